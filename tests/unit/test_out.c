/*
 * test_out.c: bounded buffers, the formatter and JSON strings (lib/out.c).
 *
 * The formatter is checked against the C library's snprintf on the same
 * format and arguments (the subset it claims), bounds with guard bytes
 * after the buffer, and JSON strings with an independent strict UTF-8
 * and JSON-literal checker plus random inputs from a fixed seed.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "out.h"
#include "util.h"

#include "tap.h"

#define GUARD 0xa5

/* uld__buf_printf and snprintf must agree on the same format and args. */
#define FMT(...)                                                          \
	do {                                                              \
		char ref_[512], mem_[512];                                \
		struct uld__buf b_;                                       \
		uld__buf_init(&b_, mem_, sizeof(mem_));                   \
		uld__buf_printf(&b_, __VA_ARGS__);                        \
		snprintf(ref_, sizeof(ref_), __VA_ARGS__);                \
		is_str(uld__buf_str(&b_), ref_, "printf(%s)", #__VA_ARGS__); \
		is_int(b_.len, strlen(ref_), "printf(%s): length",        \
		    #__VA_ARGS__);                                        \
	} while (0)

static void
test_printf(void)
{
	const char *volatile nul = NULL;
	int x = 0;
	char mem[64];
	struct uld__buf b;

	FMT("%s", "abc");
	FMT("[%s]", "");
	FMT("%.*s", 3, "abcdef");
	FMT("%.*s", 10, "abc");
	FMT("%.*s|", 0, "abc");
	FMT("%.2s", "xyz");
	FMT("%d", -42);
	FMT("%d", 0);
	FMT("%d", INT_MIN);
	FMT("%d", INT_MAX);
	FMT("%i", -7);
	FMT("%ld", LONG_MIN);
	FMT("%lld", LLONG_MIN);
	FMT("%lu", 1234567890123UL);
	FMT("%lu", ULONG_MAX);
	FMT("%u", UINT_MAX);
	FMT("%zu", (size_t)SIZE_MAX);
	FMT("%x", 0xdeadbeefU);
	FMT("%x", 0U);
	FMT("%lx", 0xfedcba9876543210UL);
	FMT("%llx", 0x0123456789abcdefULL);
	FMT("%016lx", 0x1234UL);
	FMT("%08x", 0xabcU);
	FMT("%p", (void *)0x7fff1234abcdUL);
	FMT("%p", (void *)&x);
	FMT("%-10s|", "ab");
	FMT("%10s|", "ab");
	FMT("%-3s|", "abcdef");
	FMT("%10.3s|", "abcdef");
	FMT("%5d|", 42);
	FMT("%5d|", -42);
	FMT("%-5d|", 42);
	FMT("%-5d|", -42);
	FMT("%2d|", 12345);
	FMT("%05d", 42);
	FMT("%5u|%-5u|", 7U, 8U);
	FMT("%*d|", 6, 7);
	FMT("%-*d|", 6, 7);
	FMT("%c%c%c", 'a', 'b', 'c');
	FMT("100%%");
	FMT("%s=%d:%x:%lu [%-4s] %%", "key", -1, 255U, 77UL, "v");

	/* Literal expectations too, so a shared misreading cannot pass. */
	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_printf(&b, "%016lx", 0x1234UL);
	is_str(uld__buf_str(&b), "0000000000001234", "%%016lx literal");
	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_printf(&b, "%d|%-10s|%5d", -3, "ab", 42);
	is_str(uld__buf_str(&b), "-3|ab        |   42", "mixed literal");

	/* Regressions: the sign and "0x" come before zero padding, after
	 * space padding; pad_to stops at the column. */
	FMT("%05d|%-6d|%6d", -42, -7, -7);
	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_printf(&b, "%20p|%-12p|", (void *)0x1234, (void *)0xab);
	is_str(uld__buf_str(&b), "              0x1234|0xab        |",
	    "%%p width pads before 0x");
	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_puts(&b, "ab");
	uld__buf_pad_to(&b, 5);
	uld__buf_puts(&b, "x\nabcdef");
	uld__buf_pad_to(&b, 3);
	uld__buf_puts(&b, "y");
	is_str(uld__buf_str(&b), "ab   x\nabcdef y",
	    "pad_to reaches the column, one space when past it");

	/* NULL for %s prints like puts(NULL); glibc agrees but the compiler
	 * would object to a literal NULL, hence the volatile. */
	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_printf(&b, "<%s>", nul);
	is_str(uld__buf_str(&b), "<(null)>", "%%s of NULL");
	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_puts(&b, nul);
	is_str(uld__buf_str(&b), "(null)", "puts(NULL)");

	/* Appends after what is there. */
	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_puts(&b, "ab");
	uld__buf_putc(&b, 'c');
	uld__buf_putn(&b, "defgh", 2);
	uld__buf_printf(&b, "%d", 5);
	is_str(uld__buf_str(&b), "abcde5", "puts, putc, putn, printf append");
	is_int(b.len, 6, "length counts appended bytes");
	ok(!b.truncated, "not truncated when it fits");

	/* A '%' at the very end must not read past the format's NUL. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_printf(&b, "ab%");
	uld__buf_putc(&b, '|');
	is_str(uld__buf_str(&b), "ab%|", "trailing %% shown, format ends");
#pragma GCC diagnostic pop
}

/* Fill mem with guard bytes; the buffer gets the first `cap` of them. */
static void
guarded(struct uld__buf *b, char *mem, size_t size, size_t cap)
{
	memset(mem, GUARD, size);
	uld__buf_init(b, mem, cap);
}

static int
guards_intact(const char *mem, size_t from, size_t size)
{
	for (size_t i = from; i < size; i++)
		if ((unsigned char)mem[i] != GUARD)
			return 0;
	return 1;
}

enum op { OP_PUTS, OP_PRINTF_S, OP_PRINTF_PAD, OP_PRINTF_NUM, OP_JSON,
	OP_PUTC };

static void
apply(struct uld__buf *b, enum op op)
{
	switch (op) {
	case OP_PUTS:
		uld__buf_puts(b, "0123456789abcdefghijklmnopqrstuvwxyz");
		break;
	case OP_PRINTF_S:
		uld__buf_printf(b, "<%s>", "0123456789abcdefghijklmnopqrstu");
		break;
	case OP_PRINTF_PAD:
		uld__buf_printf(b, "%-40s|%40s|", "left", "right");
		break;
	case OP_PRINTF_NUM:
		uld__buf_printf(b, "%040lx %lu %d", 0xabcdefUL, ULONG_MAX,
		    INT_MIN);
		break;
	case OP_JSON:
		uld__buf_json_str(b, "\"quoted\"\t\x01\xff \xe2\x82\xac and "
				     "more text \\ to overflow");
		break;
	case OP_PUTC:
		for (int i = 0; i < 40; i++)
			uld__buf_putc(b, (char)('a' + i % 26));
		break;
	}
}

static void
test_truncation(void)
{
	static const char *const names[] = { "puts", "printf %s",
		"printf padding", "printf numbers", "json_str", "putc" };
	static const size_t caps[] = { 1, 2, 7, 16, 33 };
	char mem[64 + 16], full[512];
	struct uld__buf b;

	/* Exactly full is not truncated; one more byte is. */
	guarded(&b, mem, sizeof(mem), 8);
	uld__buf_puts(&b, "1234567");
	ok(!b.truncated, "cap 8: 7 bytes fit with the NUL");
	is_int(b.len, 7, "cap 8: length 7");
	uld__buf_putc(&b, 'x');
	ok(b.truncated, "cap 8: an 8th byte truncates");
	is_int(b.len, 7, "cap 8: length stays 7");
	uld__buf_puts(&b, "more");
	is_str(uld__buf_str(&b), "1234567", "cap 8: text is what fitted");
	ok(guards_intact(mem, 8, sizeof(mem)), "cap 8: guard bytes intact");

	/* Each writer, each small size: a prefix of the full output. */
	for (size_t o = 0; o < ULD_ARRAY_SIZE(names); o++) {
		struct uld__buf fb;
		uld__buf_init(&fb, full, sizeof(full));
		apply(&fb, (enum op)o);
		uld__buf_str(&fb);
		for (size_t c = 0; c < ULD_ARRAY_SIZE(caps); c++) {
			size_t cap = caps[c];
			const char *s;
			guarded(&b, mem, sizeof(mem), cap);
			apply(&b, (enum op)o);
			s = uld__buf_str(&b);
			ok(b.truncated && b.len == cap - 1 &&
			    strlen(s) == cap - 1 &&
			    strncmp(s, full, cap - 1) == 0 &&
			    guards_intact(mem, cap, sizeof(mem)),
			    "%s into cap %zu: truncated prefix, guards intact",
			    names[o], cap);
			if (strlen(s) != b.len || b.len >= cap)
				diag("len %zu strlen %zu", b.len, strlen(s));
		}
	}

	/* cap 0: nothing may be written at all, not even a NUL. */
	guarded(&b, mem, sizeof(mem), 0);
	uld__buf_puts(&b, "abc");
	uld__buf_printf(&b, "%d", 1);
	uld__buf_json_str(&b, "x");
	ok(b.truncated && b.len == 0, "cap 0: truncated, empty");
	is_str(uld__buf_str(&b), "", "cap 0: str is empty");
	ok(guards_intact(mem, 0, sizeof(mem)), "cap 0: no byte written");
}

/* The JSON of `in`, in a roomy buffer. */
static const char *
json(const char *in)
{
	static char mem[4096];
	struct uld__buf b;

	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_json_str(&b, in);
	return uld__buf_str(&b);
}

/*
 * Strict UTF-8 (Unicode table 3-7, by byte ranges rather than by decoding
 * as out.c does): length of the sequence at s, 0 if ill-formed.
 */
static size_t
strict_utf8(const unsigned char *s)
{
	unsigned char a = s[0], b = s[1];

	if (a < 0x80)
		return 1;
	if (a >= 0xc2 && a <= 0xdf)
		return (b & 0xc0) == 0x80 ? 2 : 0;
	if (a >= 0xe0 && a <= 0xef) {
		unsigned char lo = a == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = a == 0xed ? 0x9f : 0xbf;
		if (b < lo || b > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (a >= 0xf0 && a <= 0xf4) {
		unsigned char lo = a == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = a == 0xf4 ? 0x8f : 0xbf;
		if (b < lo || b > hi || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* Is s one well-formed JSON string literal, in valid UTF-8? */
static int
valid_json_literal(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (*s++ != '"')
		return 0;
	while (*s != '"') {
		if (*s == '\0' || *s < 0x20)
			return 0;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
						s[i]) ||
					    s[i] == '\0')
						return 0;
				s += 5;
			} else if (*s && strchr("\"\\/bfnrt", *s)) {
				s++;
			} else {
				return 0;
			}
			continue;
		}
		size_t n = strict_utf8(s);
		if (n == 0)
			return 0;
		s += n;
	}
	return s[1] == '\0';
}

/*
 * `in` is `before` + ill-formed bytes + `after`: its JSON must be
 * "before" then one or more U+FFFD escapes then "after", nothing of the
 * bad bytes copied and nothing of the good text lost.
 */
static void
json_bad(const char *in, const char *before, const char *after,
    const char *what)
{
	const char *j = json(in);
	size_t bl = strlen(before), al = strlen(after), jl = strlen(j);
	const char *m;
	int reps = 0;

	ok(valid_json_literal(j), "%s: valid JSON in UTF-8", what);
	if (!ok(jl >= bl + al + 2 && j[0] == '"' &&
		strncmp(j + 1, before, bl) == 0 &&
		strncmp(j + jl - 1 - al, after, al) == 0 && j[jl - 1] == '"',
		"%s: text around the bad bytes kept", what)) {
		diag("got %s", j);
		return;
	}
	for (m = j + 1 + bl; m < j + jl - 1 - al; m += 6, reps++)
		if (strncasecmp(m, "\\ufffd", 6) != 0)
			break;
	if (!ok(reps > 0 && m == j + jl - 1 - al,
	    "%s: bad bytes became \\ufffd", what))
		diag("got %s", j);
}

/* A tiny fixed-seed PRNG (xorshift64*), so a failure can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static size_t
encode_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static void
test_json(void)
{
	char in[64], exp[64];
	int bad;

	is_str(json("plain text"), "\"plain text\"", "plain ASCII quoted");
	is_str(json(""), "\"\"", "empty string");
	is_str(json(NULL), "\"\"", "NULL is an empty string");
	is_str(json("a\"b"), "\"a\\\"b\"", "quote escaped");
	is_str(json("a\\b"), "\"a\\\\b\"", "backslash escaped");
	is_str(json("1\n2"), "\"1\\n2\"", "newline escaped");
	is_str(json("1\t2"), "\"1\\t2\"", "tab escaped");
	is_str(json("\\\"\n\t"), "\"\\\\\\\"\\n\\t\"", "escapes in a row");

	/* Other control characters: \u00XX (hex case is free in JSON). */
	for (int c = 1; c < 0x20; c++) {
		const char *j;
		if (c == '\n' || c == '\t' || c == '\r')
			continue;
		snprintf(in, sizeof(in), "<%c>", c);
		snprintf(exp, sizeof(exp), "\"<\\u%04x>\"", c);
		j = json(in);
		if (!ok(strcasecmp(j, exp) == 0, "control 0x%02x as \\u%04x",
		    c, c))
			diag("got %s", j);
	}
	ok(valid_json_literal(json("1\r2")), "carriage return escaped");

	/* Valid multibyte UTF-8 passes through byte for byte. */
	is_str(json("caf\xc3\xa9"), "\"caf\xc3\xa9\"", "e-acute unchanged");
	is_str(json("\xe2\x82\xac 5"), "\"\xe2\x82\xac 5\"", "euro unchanged");
	is_str(json("\xf0\x9f\x98\x80!"), "\"\xf0\x9f\x98\x80!\"",
	    "emoji unchanged");
	is_str(json("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"",
	    "U+D7FF (below the surrogates) unchanged");
	is_str(json("\xee\x80\x80"), "\"\xee\x80\x80\"",
	    "U+E000 (above the surrogates) unchanged");
	is_str(json("\xef\xbf\xbf"), "\"\xef\xbf\xbf\"", "U+FFFF unchanged");
	is_str(json("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"",
	    "U+10FFFF unchanged");
	is_str(json("\xc2\x80"), "\"\xc2\x80\"", "U+0080 unchanged");

	/* Ill-formed UTF-8 becomes U+FFFD; the text around it stays. */
	is_str(json("a\xff" "b"), "\"a\\ufffdb\"", "lone 0xff");
	json_bad("a\xff" "b", "a", "b", "lone 0xff");
	json_bad("a\x80" "b", "a", "b", "lone continuation byte");
	json_bad("a\xe2\x82", "a", "", "truncated 3-byte sequence at end");
	json_bad("a\xe2\x82" "b", "a", "b", "truncated 3-byte sequence");
	json_bad("a\xf0\x9f\x98" "b", "a", "b", "truncated 4-byte sequence");
	json_bad("a\xc3", "a", "", "truncated 2-byte sequence at end");
	json_bad("a\xc0\xaf" "b", "a", "b", "overlong 0xc0 0xaf");
	json_bad("a\xc1\xbf" "b", "a", "b", "overlong 0xc1 0xbf");
	json_bad("a\xe0\x80\xaf" "b", "a", "b", "overlong 3-byte '/'");
	json_bad("a\xf0\x80\x80\xaf" "b", "a", "b", "overlong 4-byte '/'");
	json_bad("a\xed\xa0\x80" "b", "a", "b", "surrogate ed a0 80");
	json_bad("a\xed\xbf\xbf" "b", "a", "b", "surrogate ed bf bf");
	json_bad("a\xf4\x90\x80\x80" "b", "a", "b", "above U+10FFFF");
	json_bad("a\xf8\x88\x80\x80\x80" "b", "a", "b", "5-byte form");
	json_bad("a\xfe" "b", "a", "b", "0xfe");
	json_bad("\xc3\xa9\xff\xc3\xa9", "\xc3\xa9", "\xc3\xa9",
	    "0xff between valid sequences");

	/* Random valid text comes back unchanged (escapes aside). */
	bad = 0;
	for (int t = 0; t < 2000; t++) {
		char s[200], e[256];
		size_t n = 0;
		while (n < 150) {
			uint32_t cp;
			switch (rng() % 4) {
			case 0:
				cp = 0x20 + rng() % 0x5f;
				break;
			case 1:
				cp = 0x80 + rng() % 0x780;
				break;
			case 2:
				cp = 0x800 + rng() % 0xf800;
				break;
			default:
				cp = 0x10000 + rng() % 0x100000;
				break;
			}
			if (cp == '"' || cp == '\\' ||
			    (cp >= 0xd800 && cp <= 0xdfff))
				continue;
			n += encode_utf8(cp, s + n);
		}
		s[n] = '\0';
		snprintf(e, sizeof(e), "\"%s\"", s);
		if (strcmp(json(s), e) != 0 && bad++ == 0)
			diag("changed: %s -> %s", e, json(s));
	}
	is_int(bad, 0, "2000 random valid strings unchanged");

	/* Random bytes always give one valid JSON literal in UTF-8. */
	bad = 0;
	for (int t = 0; t < 20000; t++) {
		char s[24];
		size_t n = 1 + rng() % (sizeof(s) - 1);
		for (size_t i = 0; i < n - 1; i++) {
			/* Bias to the interesting bytes. */
			uint32_t r = rng();
			s[i] = (char)(r % 3 ? 0x80 + (r >> 8) % 0x80
					    : 1 + (r >> 8) % 0xff);
		}
		s[n - 1] = '\0';
		if (!valid_json_literal(json(s)) && bad++ == 0) {
			char hex[80] = "";
			for (size_t i = 0; i + 1 < n; i++)
				snprintf(hex + 3 * i, 4, "%02x ",
				    (unsigned char)s[i]);
			diag("input %s-> %s", hex, json(s));
		}
	}
	is_int(bad, 0, "20000 random byte strings give valid JSON");
}

static void
test_write_all(void)
{
	static char data[200000], back[200000];
	FILE *f = tmpfile();
	int fd = f ? fileno(f) : -1;

	if (!ok(f != NULL, "tmpfile"))
		return;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)rng();
	errno = 4242;
	is_int(uld__write_all(fd, data, sizeof(data)), 0, "write_all 200 kB");
	is_int(errno, 4242, "write_all keeps errno on success");
	ok(lseek(fd, 0, SEEK_SET) == 0 &&
	    read(fd, back, sizeof(back)) == (ssize_t)sizeof(back) &&
	    memcmp(data, back, sizeof(data)) == 0,
	    "write_all wrote every byte in order");
	fclose(f);

	errno = 4242;
	is_int(uld__write_all(-1, "x", 1), -1, "write_all to a bad fd fails");
	is_int(errno, 4242, "write_all keeps errno on failure");
}

/* A truncated buffer ends with its note, which must fit. */
static void
test_truncation_note(void)
{
	char mem[64];
	struct uld__buf b;

	uld__buf_init(&b, mem, sizeof(mem));
	for (int i = 0; i < 20; i++)
		uld__buf_puts(&b, "0123456789");
	uld__buf_note_truncation(&b, "[cut]\n");
	const char *s = uld__buf_str(&b);
	ok(b.len == sizeof(mem) - 1 && strcmp(s + b.len - 6, "[cut]\n") == 0,
	    "truncation note ends a full buffer");
	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_puts(&b, "short");
	uld__buf_note_truncation(&b, "[cut]\n");
	is_str(uld__buf_str(&b), "short", "no note when nothing was cut");
}

int
main(void)
{
	test_printf();
	test_truncation();
	test_truncation_note();
	test_json();
	test_write_all();
	return done_testing();
}
