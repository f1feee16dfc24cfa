/*
 * test_glob.c: the glob matcher of suppressions (lib/glob.c).
 *
 * glob.h promises fnmatch(pattern, s, 0) in the C locale for every
 * pattern uld__glob_check accepts, so the C library's fnmatch is the
 * reference: named cases first, then every pattern and string of a small
 * alphabet rich in special bytes, from a fixed seed.
 */
#include <fnmatch.h>
#include <locale.h>
#include <stdlib.h>

#include "glob.h"

#include "tap.h"

static void
same_as_fnmatch(const char *pat, const char *s)
{
	int ours = uld__glob_match(pat, s);
	int ref = fnmatch(pat, s, 0) == 0;

	ok(ours == ref, "'%s' ~ '%s': %d, as fnmatch", pat, s, ref);
}

static void
test_cases(void)
{
	static const char *const cases[][2] = {
		{ "mutex_A", "mutex_A" }, { "mutex_A", "mutex_B" },
		{ "mutex_*", "mutex_A" }, { "*_A", "mutex_A" },
		{ "*", "" }, { "", "" }, { "", "x" }, { "?", "" },
		{ "m?tex_[AB]", "mutex_B" }, { "mutex_[!AB]", "mutex_C" },
		{ "mutex_[^AB]", "mutex_A" }, { "[a-c]x", "bx" },
		{ "[]]", "]" }, { "[!]]", "]" }, { "[a-]", "-" },
		{ "\\*", "*" }, { "\\*", "x" }, { "[\\]]", "]" },
		{ "*stats_lock*", "stats_lock [main+0x12]" },
		{ "*/libfoo.so*", "/usr/lib/libfoo.so.1" },
		{ "*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ "[", "[" }, { "a[", "a[" }, { "*.c", "dir/x.c" },
		{ "*", "/a/b" }, { ".*", ".hidden" }, { "table[[]]", "table[]" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_as_fnmatch(cases[i][0], cases[i][1]);
}

static void
test_check(void)
{
	ok(uld__glob_check("mutex_*") == NULL, "plain pattern accepted");
	ok(uld__glob_check("[ab]\\*") == NULL, "bracket and escape accepted");
	ok(uld__glob_check("mutex_[AB") != NULL, "'[' without ']' rejected");
	ok(uld__glob_check("abc\\") != NULL, "trailing '\\' rejected");
	ok(uld__glob_check("[[:alpha:]]") != NULL, "[:class:] rejected");
	ok(uld__glob_check("table[[]]") == NULL, "'[' inside brackets accepted");
}

/* Random patterns and strings over bytes that mean something to globs. */
static void
test_random(void)
{
	static const char pa[] = "ab*?[]!^-\\/.";
	static const char sa[] = "ab/.-[]\\!^";
	unsigned long checked = 0, bad = 0;

	srand(20261201);
	for (int i = 0; i < 300000; i++) {
		char p[8], s[8];
		int pl = rand() % 7, sl = rand() % 7;

		for (int j = 0; j < pl; j++)
			p[j] = pa[rand() % (sizeof(pa) - 1)];
		p[pl] = '\0';
		for (int j = 0; j < sl; j++)
			s[j] = sa[rand() % (sizeof(sa) - 1)];
		s[sl] = '\0';
		if (uld__glob_check(p) != NULL)
			continue;
		checked++;
		if (uld__glob_match(p, s) != (fnmatch(p, s, 0) == 0)) {
			if (bad++ < 10)
				diag("differs: '%s' ~ '%s'", p, s);
		}
	}
	ok(checked > 100000, "%lu random well-formed patterns tried", checked);
	is_int(bad, 0, "random patterns: same answers as fnmatch");
}

int
main(void)
{
	setlocale(LC_ALL, "C");
	test_cases();
	test_check();
	test_random();
	return done_testing();
}
