/*
 * tap.h: a tiny header-only TAP producer for the unit tests.
 *
 *	plan(n);			or no plan: done_testing() prints it
 *	ok(cond, "fmt", ...);
 *	is_int(got, expected, "fmt", ...);
 *	is_uint(got, expected, "fmt", ...);	shown in hex (masks)
 *	is_str(got, expected, "fmt", ...);
 *	diag("fmt", ...);
 *	return done_testing();		the exit status: failures
 *
 * Output is TAP 13 as automake's tap-driver.sh reads it: `1..N`, then
 * `ok N - name` or `not ok N - name` followed by `# ` lines that say
 * where and what was got and expected.  Diagnostics go to stdout with the
 * results, so they stay next to the line they explain in the .log file.
 *
 * Every assertion returns its result, so a test can skip what depends on
 * an earlier check (`if (!ok(p != NULL, ...)) return;`).
 */
#ifndef ULD_TAP_H
#define ULD_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed, tap_planned = -1;

#define TAP_FMT(a, b) __attribute__((format(printf, a, b)))

static inline void
plan(int n)
{
	/* Line-buffered, so a crash still leaves every finished result. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_planned = n;
	printf("1..%d\n", n);
}

static inline TAP_FMT(1, 0) void
tap_vdiag(const char *fmt, va_list ap)
{
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One `# ` per line: a bare line would be read as a TAP line. */
	for (char *s = line, *nl; s != NULL; s = nl) {
		nl = strchr(s, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		if (nl != NULL || *s != '\0')
			printf("# %s\n", s);
	}
}

static inline TAP_FMT(1, 2) void
diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdiag(fmt, ap);
	va_end(ap);
}

static inline TAP_FMT(4, 0) int
tap_vok(int cond, const char *file, int line, const char *fmt, va_list ap)
{
	char name[1024];

	vsnprintf(name, sizeof(name), fmt, ap);
	/* '#' would start a TAP directive (SKIP/TODO) in the name. */
	for (char *s = name; *s; s++)
		if (*s == '#' || *s == '\n')
			*s = '_';
	tap_run++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_run, name);
	if (!cond) {
		tap_failed++;
		diag("  Failed test '%s'", name);
		diag("  at %s line %d.", file, line);
	}
	return cond;
}

static inline TAP_FMT(4, 5) int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cond = tap_vok(cond, file, line, fmt, ap);
	va_end(ap);
	return cond;
}

static inline TAP_FMT(5, 6) int
tap_is_int(long long got, long long exp, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int cond = got == exp;

	va_start(ap, fmt);
	tap_vok(cond, file, line, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("         got: %lld\n    expected: %lld", got, exp);
	return cond;
}

static inline TAP_FMT(5, 6) int
tap_is_uint(uint64_t got, uint64_t exp, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int cond = got == exp;

	va_start(ap, fmt);
	tap_vok(cond, file, line, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("         got: 0x%llx\n    expected: 0x%llx",
		    (unsigned long long)got, (unsigned long long)exp);
	return cond;
}

/* A string as a C literal, so that control bytes and trailing blanks show. */
static inline void
tap_quote(char *out, size_t cap, const char *s)
{
	size_t n = 1;

	if (s == NULL) {
		snprintf(out, cap, "NULL");
		return;
	}
	out[0] = '"';
	/* Room for the longest escape, the closing quote, "..." and NUL. */
	for (; *s && n + 10 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			n += (size_t)snprintf(out + n, cap - n, "\\n");
		else if (c == '\t')
			n += (size_t)snprintf(out + n, cap - n, "\\t");
		else if (c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, cap - n, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	snprintf(out + n, cap - n, "%s", *s ? "\"..." : "\"");
}

static inline TAP_FMT(5, 6) int
tap_is_str(const char *got, const char *exp, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int cond = (got == NULL || exp == NULL) ? got == exp
						: strcmp(got, exp) == 0;

	va_start(ap, fmt);
	tap_vok(cond, file, line, fmt, ap);
	va_end(ap);
	if (!cond) {
		char g[1024], e[1024];
		tap_quote(g, sizeof(g), got);
		tap_quote(e, sizeof(e), exp);
		diag("         got: %s\n    expected: %s", g, e);
	}
	return cond;
}

/* The plan (if none was given) and the exit status: failures, at most 254. */
static inline int
done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	else if (tap_run != tap_planned) {
		diag("planned %d tests but ran %d", tap_planned, tap_run);
		tap_failed++;
	}
	if (tap_failed)
		diag("failed %d of %d tests", tap_failed, tap_run);
	fflush(stdout);
	return tap_failed > 254 ? 254 : tap_failed;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, exp, ...)                                            \
	tap_is_int((long long)(got), (long long)(exp), __FILE__, __LINE__, \
	    __VA_ARGS__)
#define is_uint(got, exp, ...)                                           \
	tap_is_uint((uint64_t)(got), (uint64_t)(exp), __FILE__, __LINE__,  \
	    __VA_ARGS__)
#define is_str(got, exp, ...) \
	tap_is_str((got), (exp), __FILE__, __LINE__, __VA_ARGS__)

#endif /* ULD_TAP_H */
