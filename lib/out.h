/*
 * out.h: bounded text buffers and the write path of reports.
 *
 * The formatter is our own (no stdio, no locale, no allocation while
 * formatting) so that a report can be built in any context; the buffer is
 * allocated before formatting starts.  A report is written with one
 * write(2), so reports of concurrent processes appending to one file never
 * interleave.  All functions keep errno.
 */
#ifndef ULD_OUT_H
#define ULD_OUT_H

#include <stdarg.h>
#include <stddef.h>

struct uld__buf {
	char *p;
	size_t len;
	size_t cap;
	int truncated; /* output did not fit: the text ends with a note */
};

/* Buffer over caller memory. */
void uld__buf_init(struct uld__buf *b, char *mem, size_t cap);
void uld__buf_putc(struct uld__buf *b, char c);
void uld__buf_puts(struct uld__buf *b, const char *s);
void uld__buf_putn(struct uld__buf *b, const char *s, size_t n);
/* printf subset: %s %.*s %c %d %i %u %x %p %% with l/ll/z, width, '-', '0'. */
void uld__buf_printf(struct uld__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void uld__buf_vprintf(struct uld__buf *b, const char *fmt, va_list ap);
/* A JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD. */
void uld__buf_json_str(struct uld__buf *b, const char *s);
/* Pad with spaces up to column `col` of the current line. */
void uld__buf_pad_to(struct uld__buf *b, size_t col);
/* If the buffer overflowed, overwrite its end with `note`. */
void uld__buf_note_truncation(struct uld__buf *b, const char *note);
/* NUL-terminate and return the text. */
const char *uld__buf_str(struct uld__buf *b);

/* Write all of p[0..n) to fd, retrying on EINTR and short writes. */
int uld__write_all(int fd, const char *p, size_t n);

#endif /* ULD_OUT_H */
