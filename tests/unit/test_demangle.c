/*
 * test_demangle.c: C++ names as reports show them (lib/demangle.c).
 *
 * Names of each kind a report meets (a function with parameters, a
 * variable in an anonymous namespace, a constructor, a template), names
 * that are not mangled or are malformed (given back as they are), the
 * cache (one name, one result, the same pointer), and a name whose
 * demangled form would not fit (left mangled).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "demangle.h"

#include "tap.h"

static void
demangles(const char *mangled, const char *want)
{
	const char *got = uld__demangle(mangled);

	is_str(got, want, "%s", mangled);
	ok(uld__demangle(mangled) == got, "%s: the same result again",
	    mangled);
}

static void
unchanged(const char *name, const char *why)
{
	ok(uld__demangle(name) == name, "%s: given back as it is (%s)",
	    name[0] ? name : "\"\"", why);
}

/* _Z1fI N8name0000 3defIiE E ... EvT_: void f<name0000::def<int>, ...>
 * (name0000::def<int>), n template arguments; a new string each time. */
static const char *
many_args(int n)
{
	static char bufs[2][2048];
	static int k;
	char *p = bufs[k++ % 2];
	size_t len = 0;

	len += (size_t)snprintf(p + len, 2048 - len, "_Z1fI");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(p + len, 2048 - len,
		    "N8name%04d3defIiEE", i);
	snprintf(p + len, 2048 - len, "EvT_");
	return p;
}

int
main(void)
{
	if (!ULD_HAVE_LIBIBERTY) {
		unchanged("_ZN12_GLOBAL__N_14spinE", "built without libiberty");
		return done_testing();
	}
	demangles("_ZN12_GLOBAL__N_18wait_forEb",
	    "(anonymous namespace)::wait_for(bool)");
	demangles("_ZN12_GLOBAL__N_14spinE", "(anonymous namespace)::spin");
	demangles("_ZN5Queue5lock_E", "Queue::lock_");
	demangles("_ZN5MutexC2Ev", "Mutex::Mutex()");
	demangles("_ZNSt6vectorIiSaIiEE9push_backERKi",
	    "std::vector<int, std::allocator<int> >::push_back(int const&)");
	unchanged("main", "a C name");
	unchanged("", "empty");
	unchanged("_start", "not _Z");
	unchanged("_Z", "nothing after _Z");
	unchanged("_Zjunk(", "malformed");
	/* f<name0000::def<int>, ...>: 45 arguments demangle to 927
	 * characters, which fit; 50 to 1,027, which do not. */
	ok(strlen(uld__demangle(many_args(45))) == 927,
	    "45 template arguments: demangled, 927 characters");
	unchanged(many_args(50), "too long to show");
	return done_testing();
}
