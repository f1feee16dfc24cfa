/*
 * environ.c: follow_exec=0, the process's environment without ulockdep.
 *
 * By default a program this process executes (exec*, posix_spawn,
 * system, popen, vfork + exec) inherits LD_PRELOAD and ULOCKDEP_OPTIONS,
 * as users expect of LD_PRELOAD tools, and is validated with its reports
 * in its own PATH.<pid>.  follow_exec=0 removes both at start-up, so that
 * those programs run bare; fork() children are the same program and
 * stay validated.  The preload is recognised by its file name (any
 * LD_PRELOAD entry whose last component starts with "libulockdep"),
 * which is all the core needs to know of it.
 *
 * Done once, from the constructor, before the program's main() starts
 * threads: setenv and unsetenv are not thread-safe.
 */
#include "environ.h"

#include <stdlib.h>
#include <string.h>

#include "options.h"

/* Is the LD_PRELOAD entry [p, p + n) one of ours? */
static int
is_ours(const char *p, size_t n)
{
	static const char stem[] = "libulockdep";
	const char *base = p;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			base = p + i + 1;
	size_t bn = (size_t)(p + n - base);
	return bn >= sizeof(stem) - 1 &&
	    memcmp(base, stem, sizeof(stem) - 1) == 0;
}

void
uld__environ_init(void)
{
	if (uld__opts.follow_exec)
		return;
	unsetenv("ULOCKDEP_OPTIONS");

	const char *pre = getenv("LD_PRELOAD");
	if (pre == NULL)
		return;
	/* ld.so separates entries with spaces or colons; the rest are kept
	 * in order, separated by one space. */
	size_t len = strlen(pre);
	char *keep = malloc(len + 1);
	if (keep == NULL)
		return;
	size_t k = 0;
	for (const char *p = pre; *p;) {
		size_t n = strcspn(p, " :");
		if (n > 0 && !is_ours(p, n)) {
			if (k > 0)
				keep[k++] = ' ';
			memcpy(keep + k, p, n);
			k += n;
		}
		p += n;
		p += strspn(p, " :");
	}
	keep[k] = '\0';
	if (k == 0)
		unsetenv("LD_PRELOAD");
	else
		setenv("LD_PRELOAD", keep, 1);
	free(keep);
}
