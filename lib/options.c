/*
 * options.c: the ULOCKDEP_OPTIONS parser, driven by options.def.
 *
 * Sources, in order, each read once: the compiled-in defaults
 * (options.def), the configure-time --with-default-options string, and the
 * environment.  A bad pair prints one line naming the key; the rest of the
 * string still applies.
 */
#include "options.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glob.h"
#include "util.h"

struct uld__options uld__opts;

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL, OPT_SIGS };

struct opt_desc {
	const char *name;
	enum opt_type type;
	const char *def;
	long min, max;
	const char *desc;
	size_t offset;
};

static const struct opt_desc opt_table[] = {
#define ULD_OPT(type, name, def, min, max, desc)                        \
	{ #name, OPT_##type, def, min, max, desc,                      \
	    offsetof(struct uld__options, name) },
#include "options.def"
#undef ULD_OPT
};

static const struct {
	const char *name;
	int sig;
} sig_names[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
	{ "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

static int
parse_long(const char *s, size_t n, long *out)
{
	long v = 0;
	int neg = 0;
	size_t i = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i++;
	}
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (LONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

/* Unsigned decimal only: "RTMIN+-1" must not parse. */
static int
parse_digits(const char *s, size_t n, long *out)
{
	return n > 0 && s[0] >= '0' && s[0] <= '9' ? parse_long(s, n, out)
						    : -1;
}

int
uld__signal_from_name(const char *s, unsigned long n)
{
	long v;

	if (n >= 3 && strncmp(s, "SIG", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (parse_digits(s, n, &v) == 0)
		return v >= 1 && v <= SIGRTMAX ? (int)v : 0;
	if (n >= 5 && strncmp(s, "RTMIN", 5) == 0) {
		if (n == 5)
			return SIGRTMIN;
		if (s[5] == '+' && parse_digits(s + 6, n - 6, &v) == 0 &&
		    v <= SIGRTMAX - SIGRTMIN)
			return SIGRTMIN + (int)v;
		return 0;
	}
	if (n >= 5 && strncmp(s, "RTMAX", 5) == 0) {
		if (n == 5)
			return SIGRTMAX;
		if (s[5] == '-' && parse_digits(s + 6, n - 6, &v) == 0 &&
		    v <= SIGRTMAX - SIGRTMIN)
			return SIGRTMAX - (int)v;
		return 0;
	}
	for (size_t i = 0; i < ULD_ARRAY_SIZE(sig_names); i++)
		if (strlen(sig_names[i].name) == n &&
		    strncmp(sig_names[i].name, s, n) == 0)
			return sig_names[i].sig;
	return 0;
}

void
uld__signal_name(int sig, char *buf, size_t len)
{
	struct uld__buf b;

	uld__buf_init(&b, buf, len);
	for (size_t i = 0; i < ULD_ARRAY_SIZE(sig_names); i++)
		if (sig_names[i].sig == sig) {
			uld__buf_printf(&b, "SIG%s", sig_names[i].name);
			uld__buf_str(&b);
			return;
		}
	if (sig == SIGRTMIN)
		uld__buf_puts(&b, "SIGRTMIN");
	else if (sig == SIGRTMAX)
		uld__buf_puts(&b, "SIGRTMAX");
	else if (sig > SIGRTMIN && sig - SIGRTMIN <= SIGRTMAX - sig)
		uld__buf_printf(&b, "SIGRTMIN+%d", sig - SIGRTMIN);
	else if (sig > SIGRTMIN && sig < SIGRTMAX)
		uld__buf_printf(&b, "SIGRTMAX-%d", SIGRTMAX - sig);
	else
		uld__buf_printf(&b, "signal %d", sig);
	uld__buf_str(&b);
}

static void
error_line(struct uld__buf *err, const char *source, const char *key,
    size_t klen, const char *why, const char *val, size_t vlen)
{
	uld__buf_printf(err, "ulockdep: %s: %.*s: ", source, (int)klen, key);
	if (val != NULL)
		uld__buf_printf(err, "'%.*s' %s\n", (int)vlen, val, why);
	else
		uld__buf_printf(err, "%s\n", why);
}

/* init_wrappers: ["+"]GLOB,GLOB,... with well-formed globs. */
static const char *
check_globs(const char *v, size_t vlen)
{
	size_t i = vlen > 0 && v[0] == '+';

	while (i < vlen) {
		char pat[256];
		size_t j = i;
		while (j < vlen && v[j] != ',')
			j++;
		if (j == i)
			return "has an empty pattern";
		if (j - i >= sizeof(pat))
			return "has a pattern longer than 255 bytes";
		memcpy(pat, v + i, j - i);
		pat[j - i] = '\0';
		if (uld__glob_check(pat) != NULL)
			return "has a malformed pattern";
		i = j + 1;
	}
	return NULL;
}

/* Parse one value into the field; NULL on success, else why it is bad. */
static const char *
set_value(struct uld__options *o, const struct opt_desc *d, const char *v,
    size_t vlen)
{
	char *field = (char *)o + d->offset;
	long n;
	static char range[96];

	switch (d->type) {
	case OPT_STR:
		if (vlen >= ULD_OPT_STR_MAX)
			return "is too long";
		/* An empty log_path would name a hidden file ".<pid>". */
		if (vlen == 0 && strcmp(d->name, "log_path") == 0)
			return "is empty (use stderr, stdout or a path)";
		if (strcmp(d->name, "same_class") == 0 &&
		    !(vlen == 6 && strncmp(v, "report", 6) == 0) &&
		    !(vlen == 5 && strncmp(v, "order", 5) == 0))
			return "is neither report nor order";
		if (strcmp(d->name, "init_wrappers") == 0) {
			const char *why = check_globs(v, vlen);
			if (why != NULL)
				return why;
		}
		memcpy(field, v, vlen);
		field[vlen] = '\0';
		return NULL;
	case OPT_INT:
		if (parse_long(v, vlen, &n) != 0) {
			struct uld__buf b;
			uld__buf_init(&b, range, sizeof(range));
			uld__buf_printf(&b, "is not an integer in %ld..%ld",
			    d->min, d->max);
			return uld__buf_str(&b);
		}
		if (n < d->min || n > d->max) {
			struct uld__buf b;
			uld__buf_init(&b, range, sizeof(range));
			uld__buf_printf(&b, "is out of range %ld..%ld", d->min,
			    d->max);
			return uld__buf_str(&b);
		}
		*(long *)(void *)field = n;
		return NULL;
	case OPT_BOOL:
		if ((vlen == 1 && v[0] == '1') ||
		    (vlen == 4 && strncmp(v, "true", 4) == 0) ||
		    (vlen == 3 && strncmp(v, "yes", 3) == 0))
			n = 1;
		else if ((vlen == 1 && v[0] == '0') ||
		    (vlen == 5 && strncmp(v, "false", 5) == 0) ||
		    (vlen == 2 && strncmp(v, "no", 2) == 0))
			n = 0;
		else
			return "is not a boolean (0, 1, true, false, yes, no)";
		*(int *)(void *)field = (int)n;
		return NULL;
	case OPT_SIGS: {
		uint64_t mask = 0;
		size_t i = 0;
		while (i <= vlen) {
			size_t j = i;
			while (j < vlen && v[j] != ',')
				j++;
			if (j > i) {
				int sig = uld__signal_from_name(v + i, j - i);
				if (sig == 0)
					return "is not a list of signal names "
					       "(e.g. SIGALRM,SIGPROF)";
				mask |= 1ULL << (sig - 1);
			}
			i = j + 1;
		}
		*(uint64_t *)(void *)field = mask;
		return NULL;
	}
	}
	return "has an unknown type";
}

void
uld__options_defaults(struct uld__options *o)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < ULD_ARRAY_SIZE(opt_table); i++) {
		const struct opt_desc *d = &opt_table[i];
		const char *why = set_value(o, d, d->def, strlen(d->def));
		(void)why; /* defaults are checked by the unit tests */
	}
}

int
uld__options_parse(struct uld__options *o, const char *s, const char *source,
    struct uld__buf *err)
{
	int errors = 0;

	while (s && *s) {
		const char *end = strchr(s, ':');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *eq = memchr(s, '=', len);

		if (len == 0) {
			/* Tolerate "a=1::b=2" and a trailing ':'. */
		} else if (eq == NULL) {
			error_line(err, source, s, len,
			    "expected key=value", NULL, 0);
			errors++;
		} else {
			size_t klen = (size_t)(eq - s);
			const char *v = eq + 1;
			size_t vlen = len - klen - 1;
			const struct opt_desc *d = NULL;

			for (size_t i = 0; i < ULD_ARRAY_SIZE(opt_table); i++)
				if (strlen(opt_table[i].name) == klen &&
				    strncmp(opt_table[i].name, s, klen) == 0)
					d = &opt_table[i];
			if (d == NULL) {
				error_line(err, source, s, klen,
				    "unknown option (help=1 lists them)", NULL,
				    0);
				errors++;
			} else {
				/* Parse into a copy: a bad value keeps the
				 * previous one in force. */
				const char *why;
				static struct uld__options tmp;
				memcpy(&tmp, o, sizeof(tmp));
				why = set_value(&tmp, d, v, vlen);
				if (why != NULL) {
					error_line(err, source, s, klen, why, v,
					    vlen);
					errors++;
				} else {
					memcpy(o, &tmp, sizeof(tmp));
				}
			}
		}
		if (end == NULL)
			break;
		s = end + 1;
	}
	return errors;
}

void
uld__options_help(struct uld__buf *b)
{
	uld__buf_puts(b, "ulockdep: ULOCKDEP_OPTIONS=key=value:key=value...\n");
	for (size_t i = 0; i < ULD_ARRAY_SIZE(opt_table); i++) {
		const struct opt_desc *d = &opt_table[i];
		uld__buf_printf(b, "  %-18s default '%s'\n      %s\n", d->name,
		    d->def, d->desc);
	}
}

static void
print_err(struct uld__buf *b)
{
	if (b->len)
		uld__write_all(STDERR_FILENO, b->p, b->len);
}

void
uld__options_init(void)
{
	static char errmem[4096];
	struct uld__buf err;
	const char *env;

	uld__buf_init(&err, errmem, sizeof(errmem));
	uld__options_defaults(&uld__opts);
	uld__options_parse(&uld__opts, ULD_DEFAULT_OPTIONS,
	    "--with-default-options", &err);
#ifdef HAVE_SECURE_GETENV
	env = secure_getenv("ULOCKDEP_OPTIONS");
#else
	env = getenv("ULOCKDEP_OPTIONS");
#endif
	uld__options_parse(&uld__opts, env, "ULOCKDEP_OPTIONS", &err);
	print_err(&err);
	if (uld__opts.help) {
		static char helpmem[8192];
		struct uld__buf h;
		uld__buf_init(&h, helpmem, sizeof(helpmem));
		uld__options_help(&h);
		print_err(&h);
	}
}
