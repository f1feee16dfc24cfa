/*
 * out.c: bounded buffers, a small async-signal-safe formatter, write(2).
 */
#include "out.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

void
uld__buf_init(struct uld__buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->truncated = 0;
	if (cap)
		mem[0] = '\0';
}

void
uld__buf_putn(struct uld__buf *b, const char *s, size_t n)
{
	/* Keep one byte for the terminating NUL. */
	if (b->cap == 0 || b->len + n >= b->cap) {
		b->truncated = 1;
		n = b->cap && b->len + 1 < b->cap ? b->cap - 1 - b->len : 0;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void
uld__buf_putc(struct uld__buf *b, char c)
{
	uld__buf_putn(b, &c, 1);
}

void
uld__buf_puts(struct uld__buf *b, const char *s)
{
	uld__buf_putn(b, s ? s : "(null)", strlen(s ? s : "(null)"));
}

void
uld__buf_note_truncation(struct uld__buf *b, const char *note)
{
	size_t n = strlen(note);

	if (!b->truncated || b->cap <= n + 1)
		return;
	/* Make room at the end: the note must survive a full buffer. */
	if (b->len > b->cap - 1 - n)
		b->len = b->cap - 1 - n;
	memcpy(b->p + b->len, note, n);
	b->len += n;
}

const char *
uld__buf_str(struct uld__buf *b)
{
	if (b->cap == 0)
		return "";
	b->p[b->len < b->cap ? b->len : b->cap - 1] = '\0';
	return b->p;
}

void
uld__buf_pad_to(struct uld__buf *b, size_t col)
{
	size_t start = b->len;

	while (start > 0 && b->p[start - 1] != '\n')
		start--;
	/* Already at or past the column: one space keeps fields apart. */
	if (b->len - start >= col) {
		uld__buf_putc(b, ' ');
		return;
	}
	for (size_t cur = b->len - start; cur < col && !b->truncated; cur++)
		uld__buf_putc(b, ' ');
}

/* A number with an optional sign or "0x" prefix: zero padding goes
 * between the prefix and the digits, space padding before the prefix. */
static void
put_num(struct uld__buf *b, uint64_t v, const char *prefix, unsigned base,
    int width, int left, char padc)
{
	char tmp[24];
	int n = 0;
	int plen = (int)strlen(prefix);

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	int pad = width > n + plen ? width - n - plen : 0;
	if (!left && padc == ' ')
		while (pad-- > 0)
			uld__buf_putc(b, ' ');
	uld__buf_puts(b, prefix);
	if (!left && padc == '0')
		while (pad-- > 0)
			uld__buf_putc(b, '0');
	while (n)
		uld__buf_putc(b, tmp[--n]);
	if (left)
		while (pad-- > 0)
			uld__buf_putc(b, ' ');
}

void
uld__buf_vprintf(struct uld__buf *b, const char *fmt, va_list ap)
{
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			uld__buf_putc(b, *f);
			continue;
		}
		f++;
		int left = 0, width = 0, prec = -1, lng = 0;
		char padc = ' ';
		for (;; f++) {
			if (*f == '-')
				left = 1;
			else if (*f == '0')
				padc = '0';
			else
				break;
		}
		if (*f == '*') {
			width = va_arg(ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		if (*f == '.') {
			f++;
			if (*f == '*') {
				prec = va_arg(ap, int);
				f++;
			} else {
				prec = 0;
				while (*f >= '0' && *f <= '9')
					prec = prec * 10 + (*f++ - '0');
			}
		}
		while (*f == 'l' || *f == 'z') {
			lng++;
			f++;
		}
		switch (*f) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (s == NULL)
				s = "(null)";
			size_t n = strlen(s);
			if (prec >= 0 && (size_t)prec < n)
				n = prec;
			int pad = width > (int)n ? width - (int)n : 0;
			if (!left)
				while (pad-- > 0)
					uld__buf_putc(b, ' ');
			uld__buf_putn(b, s, n);
			if (left)
				while (pad-- > 0)
					uld__buf_putc(b, ' ');
			break;
		}
		case 'c':
			uld__buf_putc(b, (char)va_arg(ap, int));
			break;
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
			put_num(b, v < 0 ? -(uint64_t)v : (uint64_t)v,
			    v < 0 ? "-" : "", 10, width, left, padc);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = lng ? va_arg(ap, unsigned long)
					 : va_arg(ap, unsigned);
			put_num(b, v, "", *f == 'x' ? 16 : 10, width, left,
			    padc);
			break;
		}
		case 'p':
			put_num(b, (uintptr_t)va_arg(ap, void *), "0x", 16,
			    width, left, padc);
			break;
		case '%':
			uld__buf_putc(b, '%');
			break;
		default:
			/* Unknown conversion: show it rather than guess. */
			uld__buf_putc(b, '%');
			if (*f)
				uld__buf_putc(b, *f);
			else
				f--;
			break;
		}
	}
}

void
uld__buf_printf(struct uld__buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	uld__buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not valid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and out-of-range code points. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void
uld__buf_json_str(struct uld__buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	uld__buf_putc(b, '"');
	while (*s) {
		size_t n = utf8_len(s);
		if (n == 0) {
			uld__buf_puts(b, "\\ufffd");
			s++;
			continue;
		}
		if (n > 1) {
			uld__buf_putn(b, (const char *)s, n);
			s += n;
			continue;
		}
		switch (*s) {
		case '"':
			uld__buf_puts(b, "\\\"");
			break;
		case '\\':
			uld__buf_puts(b, "\\\\");
			break;
		case '\n':
			uld__buf_puts(b, "\\n");
			break;
		case '\t':
			uld__buf_puts(b, "\\t");
			break;
		case '\r':
			uld__buf_puts(b, "\\r");
			break;
		default:
			if (*s < 0x20 || *s == 0x7f)
				uld__buf_printf(b, "\\u%04x", *s);
			else
				uld__buf_putc(b, (char)*s);
		}
		s++;
	}
	uld__buf_putc(b, '"');
}

int
uld__write_all(int fd, const char *p, size_t n)
{
	int saved = errno;
	int rc = 0;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	errno = saved;
	return rc;
}
