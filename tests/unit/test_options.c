/*
 * test_options.c: the ULOCKDEP_OPTIONS parser (lib/options.c).
 *
 * The contract (doc, contract.md "Options syntax"): pairs split on ':'
 * only, a value may hold ','; a bad pair prints exactly one line
 * `ulockdep: <source>: <key>: <why>` and keeps the value in force before
 * it; the rest of the string still applies.  The table in options.def is
 * walked here too, so a new key is checked without editing this file.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "out.h"
#include "util.h"

#include "tap.h"

#define SRC "ULOCKDEP_OPTIONS"
#define SIGBIT(s) (1ULL << ((s) - 1))

enum row_type { ROW_STR, ROW_INT, ROW_BOOL, ROW_SIGS };

/* The same table the parser is generated from. */
static const struct row {
	const char *name;
	enum row_type type;
	const char *def;
	long min, max;
	size_t offset;
} rows[] = {
#define ULD_OPT(type, name, def, min, max, desc)                 \
	{ #name, ROW_##type, def, min, max,                     \
	    offsetof(struct uld__options, name) },
#include "options.def"
#undef ULD_OPT
};

static char errmem[8192];
static struct uld__buf err;

/* Parse `s` over `o` with a fresh error buffer; returns the error count. */
static int
parse(struct uld__options *o, const char *s)
{
	uld__buf_init(&err, errmem, sizeof(errmem));
	return uld__options_parse(o, s, SRC, &err);
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * The last parse made exactly one error, reported as one line that names
 * `key`: `ulockdep: ULOCKDEP_OPTIONS: <key>: <why>\n`.
 */
static void
one_error(int errors, const char *key, const char *what)
{
	char prefix[256];
	const char *e = uld__buf_str(&err);
	size_t plen;

	snprintf(prefix, sizeof(prefix), "ulockdep: " SRC ": %s: ", key);
	plen = strlen(prefix);
	is_int(errors, 1, "%s: one error", what);
	is_int(count_lines(e), 1, "%s: one line", what);
	if (!ok(strncmp(e, prefix, plen) == 0, "%s: line names %s", what,
	    key))
		diag("line: %s", e);
	ok(err.len > plen + 1 && e[err.len - 1] == '\n',
	    "%s: line says why and ends with a newline", what);
	ok(!err.truncated, "%s: error line not truncated", what);
}

static long
field_long(const struct uld__options *o, const struct row *r)
{
	return *(const long *)(const void *)((const char *)o + r->offset);
}

static int
field_bool(const struct uld__options *o, const struct row *r)
{
	return *(const int *)(const void *)((const char *)o + r->offset);
}

static const struct row *
row(const char *name)
{
	for (size_t i = 0; i < ULD_ARRAY_SIZE(rows); i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

static void
test_defaults(void)
{
	static struct uld__options o, p;

	uld__options_defaults(&o);
	is_int(o.exitcode, 66, "default exitcode");
	is_str(o.log_path, "stderr", "default log_path");
	is_str(o.json_path, "", "default json_path");
	is_int(o.halt_on_error, 0, "default halt_on_error");
	is_int(o.help, 0, "default help");
	is_uint(o.softirq_signals,
	    SIGBIT(SIGALRM) | SIGBIT(SIGVTALRM) | SIGBIT(SIGPROF),
	    "default softirq_signals: SIGALRM, SIGVTALRM, SIGPROF");

	/*
	 * uld__options_defaults() ignores a bad default (it has nowhere to
	 * report it): every default must parse cleanly, and parsing all of
	 * them over a zeroed struct must give what it set.
	 */
	memset(&p, 0, sizeof(p));
	for (size_t i = 0; i < ULD_ARRAY_SIZE(rows); i++) {
		char pair[ULD_OPT_STR_MAX + 64];
		snprintf(pair, sizeof(pair), "%s=%s", rows[i].name,
		    rows[i].def);
		if (!is_int(parse(&p, pair), 0, "default of %s is valid",
		    rows[i].name))
			diag("%s", uld__buf_str(&err));
	}
	ok(memcmp(&o, &p, sizeof(o)) == 0,
	    "defaults equal the parsed default strings");
}

static void
test_full_string(void)
{
	static struct uld__options o;
	int n;

	uld__options_defaults(&o);
	n = parse(&o, "log_path=/tmp/x:json_path=/tmp/y:exitcode=3:"
		      "halt_on_error=1:softirq_signals=SIGUSR1,SIGRTMIN+2");
	is_int(n, 0, "full string: no error");
	is_int(err.len, 0, "full string: nothing printed");
	is_str(o.log_path, "/tmp/x", "full string: log_path");
	is_str(o.json_path, "/tmp/y", "full string: json_path");
	is_int(o.exitcode, 3, "full string: exitcode");
	is_int(o.halt_on_error, 1, "full string: halt_on_error");
	is_uint(o.softirq_signals, SIGBIT(SIGUSR1) | SIGBIT(SIGRTMIN + 2),
	    "full string: softirq_signals is exactly SIGUSR1,SIGRTMIN+2");
	is_int(o.verbosity, 0, "full string: keys not named keep defaults");

	/* ',' belongs to the value, for every type of key. */
	/* An empty log_path would write a hidden ".<pid>": refused. */
	uld__options_defaults(&o);
	one_error(parse(&o, "log_path="), "log_path", "empty log_path");
	is_str(o.log_path, "stderr", "empty log_path: default kept");
	is_int(parse(&o, "json_path="), 0, "empty json_path: unset, fine");

	n = parse(&o, "log_path=/tmp/a,b:exitcode=4");
	is_int(n, 0, "comma in a path: no error");
	is_str(o.log_path, "/tmp/a,b", "comma in a path: kept in the value");
	is_int(o.exitcode, 4, "comma in a path: next pair still parsed");

	/* Later pairs override earlier ones. */
	n = parse(&o, "exitcode=1:exitcode=2");
	is_int(n, 0, "repeated key: no error");
	is_int(o.exitcode, 2, "repeated key: the last one wins");

	/* Empty pairs and empty strings are not errors. */
	n = parse(&o, "exitcode=5::verbosity=1:");
	is_int(n, 0, "a::b and a trailing ':' tolerated");
	is_int(o.exitcode, 5, "a::b: first pair applied");
	is_int(o.verbosity, 1, "a::b: second pair applied");
	is_int(parse(&o, ":"), 0, "\":\" alone tolerated");
	is_int(parse(&o, ""), 0, "empty string tolerated");
	is_int(parse(&o, NULL), 0, "no string (unset variable) tolerated");
	is_int(err.len, 0, "nothing printed for empty strings");
}

static void
test_unknown(void)
{
	static struct uld__options o;
	int n;

	uld__options_defaults(&o);
	n = parse(&o, "bogus=1:exitcode=5");
	is_int(n, 1, "unknown key: one error");
	is_str(uld__buf_str(&err),
	    "ulockdep: ULOCKDEP_OPTIONS: bogus: unknown option "
	    "(help=1 lists them)\n",
	    "unknown key: the exact error line");
	is_int(o.exitcode, 5, "unknown key: other keys still apply");

	/* A known key's prefix or extension is not that key. */
	n = parse(&o, "exit=1");
	one_error(n, "exit", "prefix of a key");
	n = parse(&o, "exitcodes=1");
	one_error(n, "exitcodes", "key with a suffix");
	is_int(o.exitcode, 5, "near-miss keys change nothing");

	/* The source given by the caller is the one printed. */
	uld__buf_init(&err, errmem, sizeof(errmem));
	n = uld__options_parse(&o, "bogus=1", "--with-default-options", &err);
	is_int(n, 1, "other source: one error");
	ok(strncmp(uld__buf_str(&err),
	    "ulockdep: --with-default-options: bogus: ", 41) == 0,
	    "other source: named in the line");
}

static void
test_bad_int(void)
{
	static const char *const bad[] = {
		"abc", "300", "", "-1", "3x", " 3", "256",
		"99999999999999999999999999",
	};
	static struct uld__options o;
	char s[128];

	uld__options_defaults(&o);
	is_int(parse(&o, "exitcode=7"), 0, "exitcode=7 accepted");
	for (size_t i = 0; i < ULD_ARRAY_SIZE(bad); i++) {
		char what[sizeof(s) + 2];
		snprintf(s, sizeof(s), "exitcode=%s", bad[i]);
		snprintf(what, sizeof(what), "'%s'", s);
		one_error(parse(&o, s), "exitcode", what);
		is_int(o.exitcode, 7, "%s: previous value kept", what);
	}

	/* A bad pair does not stop the ones after it. */
	one_error(parse(&o, "exitcode=abc:verbosity=2"), "exitcode",
	    "bad int then good pair");
	is_int(o.verbosity, 2, "bad int then good pair: good pair applied");
	is_int(o.exitcode, 7, "bad int then good pair: exitcode kept");

	/* Every INT key accepts its bounds and nothing outside them. */
	for (size_t i = 0; i < ULD_ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		if (r->type != ROW_INT)
			continue;
		snprintf(s, sizeof(s), "%s=%ld", r->name, r->min);
		is_int(parse(&o, s), 0, "%s accepted", s);
		is_int(field_long(&o, r), r->min, "%s: set", s);
		snprintf(s, sizeof(s), "%s=%ld", r->name, r->max);
		is_int(parse(&o, s), 0, "%s accepted", s);
		is_int(field_long(&o, r), r->max, "%s: set", s);
		snprintf(s, sizeof(s), "%s=%ld", r->name, r->max + 1);
		one_error(parse(&o, s), r->name, s);
		snprintf(s, sizeof(s), "%s=%ld", r->name, r->min - 1);
		one_error(parse(&o, s), r->name, s);
		is_int(field_long(&o, r), r->max, "%s: out of range keeps %ld",
		    r->name, r->max);
	}
}

static void
test_bool(void)
{
	static const struct {
		const char *v;
		int val;
	} good[] = {
		{ "1", 1 }, { "0", 0 }, { "true", 1 }, { "false", 0 },
		{ "yes", 1 }, { "no", 0 },
	};
	static const char *const bad[] = { "2", "", "maybe", "on", "10",
		"01", "truex", "yess", "nop", "tru" };
	static struct uld__options o;
	const struct row *r = row("halt_on_error");
	char s[64];

	uld__options_defaults(&o);
	for (size_t i = 0; i < ULD_ARRAY_SIZE(good); i++) {
		/* Start from the opposite value, so each case can fail. */
		o.halt_on_error = !good[i].val;
		snprintf(s, sizeof(s), "halt_on_error=%s", good[i].v);
		is_int(parse(&o, s), 0, "%s accepted", s);
		is_int(field_bool(&o, r), good[i].val, "%s sets %d", s,
		    good[i].val);
	}
	for (size_t i = 0; i < ULD_ARRAY_SIZE(bad); i++) {
		o.halt_on_error = 1;
		snprintf(s, sizeof(s), "halt_on_error=%s", bad[i]);
		one_error(parse(&o, s), "halt_on_error", s);
		is_int(o.halt_on_error, 1, "%s: previous value kept", s);
	}
	is_int(parse(&o, "help=yes"), 0, "help=yes accepted");
	is_int(o.help, 1, "help=yes sets help");
}

static void
test_signals(void)
{
	static struct uld__options o;
	const uint64_t before = SIGBIT(SIGUSR2);
	int n;

	uld__options_defaults(&o);
	n = parse(&o, "softirq_signals=SIGALRM,14,PROF,SIGRTMIN,SIGRTMAX");
	is_int(n, 0, "names, short names and numbers mix");
	is_uint(o.softirq_signals,
	    SIGBIT(SIGALRM) | SIGBIT(SIGPROF) | SIGBIT(SIGRTMIN) |
		SIGBIT(SIGRTMAX),
	    "mixed list: mask");
	n = parse(&o, "softirq_signals=SIGUSR1,,SIGUSR2,");
	is_int(n, 0, "empty list items tolerated");
	is_uint(o.softirq_signals, SIGBIT(SIGUSR1) | SIGBIT(SIGUSR2),
	    "empty items: mask");

	o.softirq_signals = before;
	one_error(parse(&o, "softirq_signals=SIGFOO"), "softirq_signals",
	    "bad signal name");
	is_uint(o.softirq_signals, before, "bad signal name: previous kept");
	/* One bad name rejects the whole list, not just that item. */
	one_error(parse(&o, "softirq_signals=SIGALRM,SIGFOO"),
	    "softirq_signals", "good then bad signal");
	is_uint(o.softirq_signals, before,
	    "good then bad signal: nothing of it applied");
	one_error(parse(&o, "softirq_signals=SIGRTMIN+999"), "softirq_signals",
	    "SIGRTMIN beyond SIGRTMAX");
	one_error(parse(&o, "softirq_signals=0"), "softirq_signals",
	    "signal 0");
	is_uint(o.softirq_signals, before, "bad signals: previous kept");
}

static void
test_missing_eq(void)
{
	static struct uld__options o;

	uld__options_defaults(&o);
	one_error(parse(&o, "exitcode:verbosity=2"), "exitcode",
	    "missing '='");
	is_int(o.exitcode, 66, "missing '=': key unchanged");
	is_int(o.verbosity, 2, "missing '=': next pair applied");
	/* ',' does not split pairs, so it cannot stand in for ':'. */
	one_error(parse(&o, "exitcode=1,verbosity=0"), "exitcode",
	    "',' between pairs");
	is_int(o.exitcode, 66, "',' between pairs: nothing applied");
	is_int(o.verbosity, 2, "',' between pairs: verbosity untouched");
}

static void
test_long_value(void)
{
	static struct uld__options o;
	static char s[ULD_OPT_STR_MAX + 64];
	size_t k = strlen("log_path=");

	uld__options_defaults(&o);
	memcpy(s, "log_path=", k);

	/* The longest value that fits with its NUL. */
	memset(s + k, 'a', ULD_OPT_STR_MAX - 1);
	s[k + ULD_OPT_STR_MAX - 1] = '\0';
	is_int(parse(&o, s), 0, "%d-byte value accepted",
	    ULD_OPT_STR_MAX - 1);
	is_int(strlen(o.log_path), ULD_OPT_STR_MAX - 1,
	    "%d-byte value stored whole", ULD_OPT_STR_MAX - 1);

	is_int(parse(&o, "log_path=/tmp/ok"), 0, "short value accepted");
	memset(s + k, 'b', ULD_OPT_STR_MAX);
	s[k + ULD_OPT_STR_MAX] = '\0';
	one_error(parse(&o, s), "log_path", "1024-byte value");
	is_str(o.log_path, "/tmp/ok", "too long: previous value kept");
	memset(s + k, 'c', ULD_OPT_STR_MAX + 10);
	s[k + ULD_OPT_STR_MAX + 10] = '\0';
	one_error(parse(&o, s), "log_path", "1034-byte value");
	is_str(o.log_path, "/tmp/ok", "much too long: previous value kept");
}

static void
test_help(void)
{
	static char mem[32768];
	struct uld__buf b;
	const char *h;

	uld__buf_init(&b, mem, sizeof(mem));
	uld__options_help(&b);
	h = uld__buf_str(&b);
	ok(!b.truncated && b.len > 0, "help text built");
	for (size_t i = 0; i < ULD_ARRAY_SIZE(rows); i++) {
		char key[64], def[ULD_OPT_STR_MAX + 32];
		/* The key starts an indented line, so "help" in prose or
		 * "exitcode" in a meaning cannot satisfy this. */
		snprintf(key, sizeof(key), "\n  %s ", rows[i].name);
		snprintf(def, sizeof(def), "default '%s'", rows[i].def);
		ok(strstr(h, key) != NULL, "help lists %s", rows[i].name);
		ok(strstr(strstr(h, key) ? strstr(h, key) : h, def) != NULL,
		    "help gives the default of %s", rows[i].name);
	}
}

static int
sig(const char *s)
{
	return uld__signal_from_name(s, strlen(s));
}

static void
test_signal_names(void)
{
	is_int(sig("SIGALRM"), SIGALRM, "SIGALRM");
	is_int(sig("ALRM"), SIGALRM, "ALRM");
	is_int(sig("14"), 14, "14");
	is_int(sig("SIGUSR1"), SIGUSR1, "SIGUSR1");
	is_int(sig("SIGVTALRM"), SIGVTALRM, "SIGVTALRM");
	is_int(sig("SIGRTMIN"), SIGRTMIN, "SIGRTMIN");
	is_int(sig("SIGRTMIN+1"), SIGRTMIN + 1, "SIGRTMIN+1");
	is_int(sig("RTMIN+2"), SIGRTMIN + 2, "RTMIN+2");
	is_int(sig("SIGRTMAX"), SIGRTMAX, "SIGRTMAX");
	is_int(sig("SIGRTMAX-1"), SIGRTMAX - 1, "SIGRTMAX-1");
	is_int(sig("SIGFOO"), 0, "SIGFOO is not a signal");
	is_int(sig("99"), 0, "99 is not a signal");
	is_int(sig("0"), 0, "0 is not a signal");
	is_int(sig("-1"), 0, "-1 is not a signal");
	is_int(sig(""), 0, "empty is not a signal");
	is_int(sig("SIG"), 0, "SIG alone is not a signal");
	is_int(sig("SIGALRMX"), 0, "SIGALRMX is not a signal");
	is_int(sig("SIGALR"), 0, "SIGALR is not a signal");
	is_int(sig("SIGRTMIN+"), 0, "SIGRTMIN+ is not a signal");
	is_int(sig("SIGRTMIN1"), 0, "SIGRTMIN1 is not a signal");
	is_int(sig("SIGRTMIN-1"), 0, "SIGRTMIN-1 is not a signal");
	is_int(sig("SIGRTMINx1"), 0, "SIGRTMINx1 is not a signal");
	is_int(sig("SIGRTMAX+1"), 0, "SIGRTMAX+1 is not a signal");
	is_int(sig("SIGRTMIN+999"), 0, "SIGRTMIN+999 is not a signal");
	is_int(sig("SIGRTMAX-999"), 0, "SIGRTMAX-999 is not a signal");
	/* Regressions: no sign inside an offset; 64 is SIGRTMAX. */
	is_int(sig("SIGRTMAX--1"), 0, "SIGRTMAX--1 is not a signal");
	is_int(sig("SIGRTMIN+-1"), 0, "SIGRTMIN+-1 is not a signal");
	is_int(sig("RTMAX-+1"), 0, "RTMAX-+1 is not a signal");
	is_int(sig("64"), SIGRTMAX, "64 is SIGRTMAX");
	is_int(sig("65"), 0, "65 is not a signal");
	/* The length is the caller's: the parser passes list items. */
	is_int(uld__signal_from_name("SIGALRM,SIGPROF", 7), SIGALRM,
	    "length bounds the name (SIGALRM of a list)");
	is_int(uld__signal_from_name("SIGPROFX", 7), SIGPROF,
	    "length bounds the name (SIGPROF of SIGPROFX)");
	is_int(uld__signal_from_name("140", 2), 14,
	    "length bounds a number (14 of 140)");
}

/*
 * ULOCKDEP_OPTIONS is read with secure_getenv, so that a setuid or setgid
 * program (AT_SECURE) ignores it.  These two definitions, in the program,
 * come before libc's for the core linked into it: they count which of the
 * two asked for the variable, and secure_getenv answers with fake_env.
 */
static int secure_calls, plain_calls;
static const char *fake_env;

char *
secure_getenv(const char *name)
{
	static char *(*next)(const char *);

	if (strcmp(name, SRC) == 0) {
		secure_calls++;
		return (char *)fake_env;
	}
	if (next == NULL)
		next = (char *(*)(const char *))dlsym(RTLD_NEXT, "secure_getenv");
	return next ? next(name) : NULL;
}

char *
getenv(const char *name)
{
	static char *(*next)(const char *);

	if (strcmp(name, SRC) == 0)
		plain_calls++;
	if (next == NULL)
		next = (char *(*)(const char *))dlsym(RTLD_NEXT, "getenv");
	return next ? next(name) : NULL;
}

static void
test_secure_getenv(void)
{
#ifdef HAVE_SECURE_GETENV
	fake_env = "exitcode=7";
	uld__options_init();
	is_int(secure_calls, 1, "options read once with secure_getenv");
	is_int(plain_calls, 0, "never with getenv");
	is_int(uld__opts.exitcode, 7, "what secure_getenv gave is in force");
	uld__options_defaults(&uld__opts);
#else
	diag("no secure_getenv in this libc: options are read with getenv");
#endif
}

int
main(void)
{
	test_defaults();
	test_full_string();
	test_unknown();
	test_bad_int();
	test_bool();
	test_signals();
	test_missing_eq();
	test_long_value();
	test_help();
	test_signal_names();
	test_secure_getenv();
	return done_testing();
}
