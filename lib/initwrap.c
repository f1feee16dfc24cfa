/*
 * initwrap.c: lock constructors (initwrap.h).
 *
 * The list is read from uld__opts.init_wrappers every time a class is
 * made, not parsed into a table: that happens once per init site, and a
 * table would need a lock or a start-up hook for nothing.
 */
#define UNW_LOCAL_ONLY
#include "initwrap.h"

#include <libunwind.h>
#include <string.h>

#include "demangle.h"
#include "glob.h"
#include "options.h"
#include "symbols.h"
#include "util.h"

/* Does `name` match one of the ','-separated globs of list[0, n)? */
static int
match_list(const char *list, size_t n, const char *name)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		while (j < n && list[j] != ',')
			j++;
		char pat[256];
		if (j > i && j - i < sizeof(pat)) {
			memcpy(pat, list + i, j - i);
			pat[j - i] = '\0';
			if (uld__glob_match(pat, name))
				return 1;
		}
		i = j + 1;
	}
	return 0;
}

/* "+GLOB,...": the built-in list and these. */
static int
matches(const char *list, const char *name)
{
	if (list[0] != '+')
		return match_list(list, strlen(list), name);
	return match_list(ULD_INIT_WRAPPERS_DEFAULT,
		   strlen(ULD_INIT_WRAPPERS_DEFAULT), name) ||
	    match_list(list + 1, strlen(list + 1), name);
}

int
uld__initwrap_match(const void *site, char *fn, size_t len)
{
	const char *list = uld__opts.init_wrappers;
	struct uld__symbol s;

	if (list[0] == '\0' || uld__sym_function(site, &s) != 0 ||
	    s.name == NULL)
		return 0;
	/* A C++ constructor by its C++ name (Mutex::Mutex*), as reports
	 * show it, or by its mangled one. */
	const char *name = uld__demangle(s.name);
	int m = matches(list, name) ||
	    (name != s.name && matches(list, s.name));
	if (m && len > 0) {
		size_t n = strlen(name);
		if (n >= len)
			n = len - 1;
		memcpy(fn, name, n);
		fn[n] = '\0';
	}
	return m;
}

int
uld__initwrap_callers(const void *site, void **up, int max)
{
	/*
	 * Our own frames (this function, class.c, the API entry and the
	 * interposed pthread_*_init) come first: a dozen is ample, and
	 * libunwind walks no further than asked.
	 */
	void *raw[12 + ULD_INITWRAP_DEPTH];
	int n = unw_backtrace(raw, (int)ULD_ARRAY_SIZE(raw));
	int k = 0;

	for (int i = 0; i < n; i++)
		if (raw[i] == site) {
			for (int j = i + 1; j < n && k < max; j++)
				up[k++] = raw[j];
			break;
		}
	return k;
}
