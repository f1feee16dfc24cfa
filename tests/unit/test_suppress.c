/*
 * test_suppress.c: reading suppressions files and matching reports by
 * class and signature (lib/suppress.c).
 *
 * Frames are matched through symbols.h, which needs a real process: the
 * preload test (tests/preload/suppress.sh) covers functions and modules.
 * Here, the parser: every line form, the exact error lines (stderr is
 * sent to a file and read back), and that a bad line never costs the
 * good ones.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "class.h"
#include "report.h"
#include "suppress.h"

#include "tap.h"

static char dir[] = "/tmp/uld-test-suppress.XXXXXX";
static char path[256], errpath[256];

/* Write `text` as the file, load it with stderr captured in `err`. */
static unsigned
load(const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);

	fflush(stderr);
	int saved = dup(2);
	int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	unsigned n = uld__suppress_load(path);
	dup2(saved, 2);
	close(saved);

	f = fopen(errpath, "r");
	size_t got = fread(err, 1, errlen - 1, f);
	err[got] = '\0';
	fclose(f);
	return n;
}

static struct uld__class classes[4];
static struct uld__report rep;

/* A report of `kind` naming the classes given, with signature `sig`. */
static const struct uld__report *
report(enum uld__report_kind kind, uint64_t sig, const char *c0,
    const char *c1)
{
	memset(&rep, 0, sizeof(rep));
	rep.kind = kind;
	rep.signature = sig;
	classes[0].name_ = (char *)c0;
	classes[1].name_ = (char *)c1;
	rep.locks[rep.nlocks++].class = &classes[0];
	if (c1 != NULL)
		rep.locks[rep.nlocks++].class = &classes[1];
	return &rep;
}

static int
line_of(const struct uld__report *r)
{
	const struct uld__supp *s = uld__suppress_match(r, NULL);

	return s ? (int)s->line : 0;
}

static void
test_forms(void)
{
	char err[4096];
	unsigned n = load("# a comment\n"
			  "\n"
			  "   \t\n"
			  "circular_dependency:mutex_A\n"
			  "  recursive_locking :  err_*   # why\n"
			  "*:shared_[xy]\r\n"
			  "bad_unlock:hash\\#1\n"
			  "signature:00000000000000ab\n"
			  "signature:0xCD\n"
			  "sleep_in_atomic:a:b\n",
	    err, sizeof(err));

	is_int(n, 7, "seven rules of seven forms");
	is_str(err, "", "no error line");
	is_int(line_of(report(ULD_REPORT_CIRCULAR, 1, "mutex_B", "mutex_A")),
	    4, "class, second lock: line 4");
	is_int(line_of(report(ULD_REPORT_RECURSIVE, 1, "mutex_A", NULL)), 0,
	    "rule of another kind: no match");
	is_int(line_of(report(ULD_REPORT_RECURSIVE, 1, "err_mutex", NULL)), 5,
	    "blanks and trailing comment trimmed: line 5");
	is_int(line_of(report(ULD_REPORT_SOFT_LOCKUP, 1, "shared_y", NULL)),
	    6, "kind '*', bracket, CRLF line: line 6");
	is_int(line_of(report(ULD_REPORT_SOFT_LOCKUP, 1, "shared_y2", NULL)),
	    0, "a glob matches whole names only");
	is_int(line_of(report(ULD_REPORT_BAD_UNLOCK, 1, "hash#1", NULL)), 7,
	    "backslash-hash is a literal hash: line 7");
	is_int(line_of(report(ULD_REPORT_BAD_MAGIC, 0xab, "x", NULL)), 8,
	    "signature, any kind: line 8");
	is_int(line_of(report(ULD_REPORT_BAD_MAGIC, 0xcd, "x", NULL)), 9,
	    "signature with 0x, upper case: line 9");
	is_int(line_of(report(ULD_REPORT_BAD_MAGIC, 0xabc, "x", NULL)), 0,
	    "another signature: no match");
	is_int(line_of(report(ULD_REPORT_SLEEP_IN_ATOMIC, 1, "a:b", NULL)), 10,
	    "split at the first ':' only: line 10");

	const char *what = NULL;
	uld__suppress_match(report(ULD_REPORT_CIRCULAR, 1, "mutex_A", NULL),
	    &what);
	is_str(what, "mutex_A", "what matched is the class name");
	is_str(uld__suppress_file(), path, "the file is remembered");
}

static void
test_errors(void)
{
	char err[4096], want[4096];
	unsigned n = load("circular:mutex_A\n"
			  "mutex_A\n"
			  "circular_dependency:  # nothing\n"
			  " : mutex_A\n"
			  "signature:12345678901234567\n"
			  "signature:g1\n"
			  "*:mutex_[A\n"
			  "*:mutex_A\\\n"
			  "*:[[:alpha:]]\n"
			  "circular_dependency:mutex_A\n",
	    err, sizeof(err));

	snprintf(want, sizeof(want),
	    "ulockdep: suppressions: %1$s:1: unknown report kind 'circular'\n"
	    "ulockdep: suppressions: %1$s:2: expected KIND:PATTERN, not "
	    "'mutex_A'\n"
	    "ulockdep: suppressions: %1$s:3: empty pattern after "
	    "'circular_dependency:'\n"
	    "ulockdep: suppressions: %1$s:4: no report kind before ':' in "
	    "': mutex_A'\n"
	    "ulockdep: suppressions: %1$s:5: '12345678901234567' is not a "
	    "signature (1 to 16 hex digits)\n"
	    "ulockdep: suppressions: %1$s:6: 'g1' is not a signature (1 to 16 "
	    "hex digits)\n"
	    "ulockdep: suppressions: %1$s:7: pattern 'mutex_[A' has a '[' "
	    "without its ']'\n"
	    "ulockdep: suppressions: %1$s:8: pattern 'mutex_A\\' ends with a "
	    "lone '\\'\n"
	    "ulockdep: suppressions: %1$s:9: pattern '[[:alpha:]]' uses a "
	    "[:class:] form, which is not supported\n",
	    path);
	is_str(err, want, "one line per bad line, naming file and line");
	is_int(n, 1, "the good line is kept");
	is_int(line_of(report(ULD_REPORT_CIRCULAR, 1, "mutex_A", NULL)), 10,
	    "and applies");

	/* Many bad lines: ten named, then one count. */
	char many[2048] = "";
	for (int i = 0; i < 25; i++)
		strcat(many, "junk\n");
	load(many, err, sizeof(err));
	int lines = 0;
	for (char *p = err; *p; p++)
		lines += *p == '\n';
	snprintf(want, sizeof(want),
	    "ulockdep: suppressions: %s: 15 more bad lines not shown\n", path);
	is_int(lines, 11, "25 bad lines: 11 lines of errors");
	ok(strstr(err, want) != NULL, "the last one counts the rest");

	/* Unreadable: one line, no rule. */
	fflush(stderr);
	int saved = dup(2);
	int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	n = uld__suppress_load("/nonexistent/uld.supp");
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(errpath, "r");
	size_t got = fread(err, 1, sizeof(err) - 1, f);
	err[got] = '\0';
	fclose(f);
	is_int(n, 0, "missing file: no rule");
	is_str(err, "ulockdep: suppressions: /nonexistent/uld.supp: cannot "
		    "open: No such file or directory\n",
	    "missing file: one line naming it");
	is_int(line_of(report(ULD_REPORT_CIRCULAR, 1, "mutex_A", NULL)), 0,
	    "and the previous file's rules are gone");

	n = uld__suppress_load("");
	is_int(n, 0, "no file: no rule, no error");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/s.supp", dir);
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	test_forms();
	test_errors();
	unlink(path);
	unlink(errpath);
	rmdir(dir);
	return done_testing();
}
