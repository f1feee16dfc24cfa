/*
 * glob.c: shell glob matching without allocation (see glob.h for why).
 *
 * The classic single-backtrack loop: on a mismatch after a `*`, retry the
 * rest of the pattern one byte further into the string.  Only the last
 * `*` needs remembering (an earlier one can never do better), so the cost
 * is O(len(pattern) * len(s)) at worst, without recursion.
 */
#include "glob.h"

#include <stddef.h>

/*
 * The bracket expression at p (just after its '['), against c: 1 if it
 * matches, 0 if not, with *end just after its ']'; -1 if it has no ']'
 * (the '[' is then an ordinary character, as for fnmatch).
 */
static int
bracket(const char *p, unsigned char c, const char **end)
{
	int neg = 0, match = 0;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	const char *first = p;	/* a ']' here is a member, not the end */

	for (;;) {
		unsigned char lo, hi;

		if (*p == '\0')
			return -1;
		if (*p == ']' && p != first)
			break;
		if (*p == '\\' && p[1] != '\0')
			p++;
		lo = hi = (unsigned char)*p++;
		if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
			p++;
			if (*p == '\\' && p[1] != '\0')
				p++;
			hi = (unsigned char)*p++;
		}
		if (lo <= c && c <= hi)
			match = 1;
	}
	*end = p + 1;
	return match != neg;
}

/*
 * Does the one pattern element at *pp (not '*', not the end) match c?
 * Advances *pp past it either way.
 */
static int
element(const char **pp, unsigned char c)
{
	const char *p = *pp;

	switch (*p) {
	case '?':
		*pp = p + 1;
		return 1;
	case '[': {
		const char *end;
		int m = bracket(p + 1, c, &end);
		if (m >= 0) {
			*pp = end;
			return m;
		}
		break; /* a lone '[': literal */
	}
	case '\\':
		if (p[1] != '\0')
			p++;
		break;
	}
	*pp = p + 1;
	return (unsigned char)*p == c;
}

int
uld__glob_match(const char *pat, const char *s)
{
	const char *p = pat;
	const char *star_p = NULL, *star_s = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return 1;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*p != '\0' && element(&p, (unsigned char)*s)) {
			s++;
			continue;
		}
		if (star_p == NULL)
			return 0;
		/* Let the last '*' eat one more byte and try again. */
		p = star_p;
		s = ++star_s;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

const char *
uld__glob_check(const char *pat)
{
	for (const char *p = pat; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0')
				return "ends with a lone '\\'";
			p++;
		} else if (*p == '[') {
			const char *end;
			if (bracket(p + 1, 0, &end) < 0)
				return "has a '[' without its ']'";
			for (const char *q = p + 1; q + 1 < end; q++)
				if (q[0] == '[' && (q[1] == ':' || q[1] == '=' ||
				    q[1] == '.'))
					return "uses a [:class:] form, which "
					       "is not supported";
			p = end - 1;
		}
	}
	return NULL;
}
