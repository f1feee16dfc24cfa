/*
 * run.c: `ulockdep run [OPTIONS] -- PROG ARGS...`
 *
 * Sets ULOCKDEP_OPTIONS and LD_PRELOAD for the program and execs it, so
 * the program's exit status is the command's and no process stays in
 * between.  Everything the flags do can be written by hand as environment
 * variables; the command only saves the user from knowing where the
 * preload library is installed and how pairs are separated.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define PRELOAD_NAME "libulockdep-preload.so"

static const char usage_text[] =
    "usage: ulockdep run [OPTIONS] [--] PROG [ARGS...]\n"
    "Run PROG under the lock validator (LD_PRELOAD=" PRELOAD_NAME ").\n"
    "\n"
    "  --json FILE          JSON Lines reports to FILE.<pid> (json_path)\n"
    "  --log FILE           human-readable reports to FILE.<pid> (log_path)\n"
    "  --halt               abort right after the first report (halt_on_error=1)\n"
    "  --suppressions FILE  a suppressions file (suppressions)\n"
    "  --graph FILE         save the lock graph to FILE.<pid> at exit (graph_path)\n"
    "  -o KEY=VALUE         any ULOCKDEP_OPTIONS key (repeatable)\n"
    "  -h, --help           this text\n"
    "\n"
    "The pairs are appended to ULOCKDEP_OPTIONS from the environment, so the\n"
    "flags win.  Exit status: PROG's; 2 for a usage error, 125 if the preload\n"
    "library is not found, 126/127 if PROG cannot be run or is not found.\n"
    "See ulockdep(1) and ulockdep-options(7).\n";

/* The keys -o accepts: the library's own table. */
static const char *const keys[] = {
#define ULD_OPT(type, name, def, min, max, desc) #name,
#include "../lib/options.def"
#undef ULD_OPT
};

/* Flags that set one key. */
static const struct {
	const char *flag;
	const char *key;
	const char *fixed;	/* the value, for a flag that takes none */
} flags[] = {
	{ "--json", "json_path", NULL },
	{ "--log", "log_path", NULL },
	{ "--halt", "halt_on_error", "1" },
	{ "--suppressions", "suppressions", NULL },
	{ "--graph", "graph_path", NULL },
};

static __attribute__((format(printf, 1, 2))) int
usage_error(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	uldt_error(NULL, 0, "run: %s", msg);
	fputs("usage: ulockdep run [OPTIONS] [--] PROG [ARGS...]"
	      " (ulockdep run --help)\n", stderr);
	return 2;
}

static int
known_key(const char *k, size_t n)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == n && strncmp(keys[i], k, n) == 0)
			return 1;
	return 0;
}

/* Append "key=value" to the option string being built; 0, or 2 (usage). */
static int
add_pair(char **opts, const char *what, const char *key, size_t klen,
    const char *val)
{
	/* ':' separates pairs: a value cannot hold one (a path with ':'
	 * would end the value there and the rest would be a bad key). */
	if (strchr(val, ':') != NULL)
		return usage_error("%s: '%s' contains ':', which "
				   "ULOCKDEP_OPTIONS cannot hold", what, val);
	size_t len = *opts ? strlen(*opts) : 0;
	size_t need = len + 1 + klen + 1 + strlen(val) + 1;
	char *n = realloc(*opts, need);
	if (n == NULL) {
		uldt_error(NULL, 0, "run: out of memory");
		exit(125);
	}
	snprintf(n + len, need - len, "%s%.*s=%s", len ? ":" : "", (int)klen,
	    key, val);
	*opts = n;
	return 0;
}

/* -o KEY=VALUE */
static int
add_o(char **opts, const char *kv)
{
	const char *eq = strchr(kv, '=');

	if (eq == NULL || eq == kv)
		return usage_error("-o: '%s' is not KEY=VALUE", kv);
	if (!known_key(kv, (size_t)(eq - kv)))
		return usage_error("-o: unknown key '%.*s' (see "
				   "ulockdep-options(7))", (int)(eq - kv), kv);
	return add_pair(opts, "-o", kv, (size_t)(eq - kv), eq + 1);
}

/*
 * The preload library: $ULOCKDEP_PRELOAD, else next to this command in a
 * build tree (tools/ulockdep -> preload/.libs/), else in the library
 * directory of an installation moved as a whole (bin/../lib), else where
 * it was configured to be installed.  NULL (after an error naming every
 * place looked at) when not found.
 */
static const char *
find_preload(void)
{
	static char cand[3][4096];
	const char *env = getenv("ULOCKDEP_PRELOAD");
	const char *self = uldt_self_dir();
	int n = 0;

	if (env != NULL && env[0] != '\0') {
		if (access(env, R_OK) == 0)
			return env;
		uldt_error(NULL, 0, "run: ULOCKDEP_PRELOAD=%s: %s", env,
		    strerror(errno));
		return NULL;
	}
	if (self[0] != '\0') {
		snprintf(cand[n++], sizeof(cand[0]),
		    "%s/../preload/.libs/" PRELOAD_NAME, self);
		snprintf(cand[n++], sizeof(cand[0]), "%s/../lib/" PRELOAD_NAME,
		    self);
	}
	snprintf(cand[n++], sizeof(cand[0]), "%s/" PRELOAD_NAME,
	    ULD_PKGLIBDIR);
	for (int i = 0; i < n; i++)
		if (access(cand[i], R_OK) == 0) {
			/* Without the "..": the path shows in the program's
			 * environment and in ld.so's messages. */
			static char real[4096];
			return realpath(cand[i], real) ? real : cand[i];
		}
	uldt_error(NULL, 0, "run: cannot find " PRELOAD_NAME "; looked for "
	    "%s%s%s%s%s (set ULOCKDEP_PRELOAD to its path)", cand[0],
	    n > 1 ? ", " : "", n > 1 ? cand[1] : "", n > 2 ? ", " : "",
	    n > 2 ? cand[2] : "");
	return NULL;
}

/* In an --enable-asan build (make check-asan) the preload needs ASan's
 * runtime loaded ahead of libc: right after the preload, for the reason
 * tests/Makefile.inc gives. */
#ifdef ULD_ASAN_RUNTIME
#define RUNTIME ":" ULD_ASAN_RUNTIME
#else
#define RUNTIME ""
#endif

/* LD_PRELOAD with ours first, the entries already there kept after it. */
static int
set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");

	/* ld.so splits LD_PRELOAD at ' ' and ':'. */
	if (strpbrk(lib, " :") != NULL) {
		uldt_error(NULL, 0, "run: cannot preload '%s': LD_PRELOAD "
		    "cannot hold a path with ' ' or ':'", lib);
		return 125;
	}
	if (old == NULL)
		old = "";

	size_t need = strlen(lib) + sizeof(RUNTIME) + 1 + strlen(old);
	char *v = malloc(need);
	if (v == NULL)
		return 125;
	snprintf(v, need, "%s" RUNTIME "%s%s", lib, old[0] ? ":" : "", old);
	int r = setenv("LD_PRELOAD", v, 1);
	free(v);
	return r == 0 ? 0 : 125;
}

int
uldt_cmd_run(int argc, char **argv)
{
	char *opts = NULL;
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		size_t f;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break; /* PROG: options end at the first operand */
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			free(opts);
			return 0;
		}
		if (strncmp(a, "-o", 2) == 0) {
			val = a[2] != '\0' ? a + 2 : argv[++i];
			if (val == NULL)
				return usage_error("-o needs KEY=VALUE");
			if ((r = add_o(&opts, val)) != 0)
				return r;
			continue;
		}
		for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			size_t fl = strlen(flags[f].flag);
			if (strncmp(a, flags[f].flag, fl) != 0)
				continue;
			if (a[fl] == '=' && flags[f].fixed == NULL)
				val = a + fl + 1;
			else if (a[fl] == '\0')
				val = flags[f].fixed ? flags[f].fixed
						     : argv[++i];
			else
				continue;
			break;
		}
		if (f == sizeof(flags) / sizeof(flags[0]))
			return usage_error("unknown option '%s'", a);
		if (val == NULL)
			return usage_error("%s needs a FILE", flags[f].flag);
		if (val[0] == '\0')
			return usage_error("%s: the FILE is empty",
			    flags[f].flag);
		if ((r = add_pair(&opts, flags[f].flag, flags[f].key,
		    strlen(flags[f].key), val)) != 0)
			return r;
	}
	if (i >= argc)
		return usage_error("no program to run");

	const char *lib = find_preload();
	if (lib == NULL)
		return 125;
	if ((r = set_preload(lib)) != 0)
		return r;
	if (opts != NULL) {
		/* After what the environment has: the later pair wins. */
		const char *env = getenv("ULOCKDEP_OPTIONS");
		if (env != NULL && env[0] != '\0') {
			size_t need = strlen(env) + 1 + strlen(opts) + 1;
			char *v = malloc(need);
			if (v == NULL)
				return 125;
			snprintf(v, need, "%s:%s", env, opts);
			free(opts);
			opts = v;
		}
		if (setenv("ULOCKDEP_OPTIONS", opts, 1) != 0)
			return 125;
		free(opts);
	}

	execvp(argv[i], argv + i);
	/* As a shell: 127 when not found, 126 when found but not runnable. */
	r = errno == ENOENT || errno == ENOTDIR ? 127 : 126;
	uldt_error(NULL, 0, "run: cannot run '%s': %s", argv[i],
	    strerror(errno));
	return r;
}
