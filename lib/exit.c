/*
 * exit.c: the status a process that ends normally exits with, and the
 * summary said once at its end (uld_exit_status).
 *
 * Every normal end goes through here: exit() and main returning (from the
 * on_exit handler, init.c), and, under the preload, _exit, _Exit and
 * quick_exit (preload/process.c), so that a process that reported never
 * passes for a clean one whichever way it ends, as TSan also applies its
 * exitcode at _exit.  abort() and fatal signals keep their signal.
 */
#include <stdio.h>

#include "class.h"
#include "chain.h"
#include "graph.h"
#include "lockmap.h"
#include "options.h"
#include "out.h"
#include "report.h"
#include "watchdog.h"
#include "ulockdep/ulockdep.h"

/* The summary is said once: exit()'s handler ends with _exit, which the
 * preload brings back here. */
static int said;

static void
summary(void)
{
	unsigned long n = uld__report_total();
	unsigned long ns = uld__report_suppressed();

	if (__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		return;
	/* Always said, not only with verbosity: a run that is green because
	 * of suppressions must not look like a clean one. */
	if (ns > 0) {
		char line[96];
		struct uld__buf b;
		uld__buf_init(&b, line, sizeof(line));
		uld__buf_printf(&b, "ulockdep: %lu report%s suppressed\n", ns,
		    ns == 1 ? "" : "s");
		uld__write_all(2, b.p, b.len);
	}
	if (uld__opts.verbosity >= 1) {
		char line[256];
		struct uld__buf b;
		unsigned long known, dead, sweeps;
		uld__lockmap_stats(&known, &dead, &sweeps);
		uld__buf_init(&b, line, sizeof(line));
		uld__buf_printf(&b, "ulockdep: %lu report%s, %u classes, %lu "
				    "dependencies, %lu chains, %lu locks (%lu "
				    "destroyed), %lu sweeps\n",
		    n, n == 1 ? "" : "s", uld__class_count(),
		    (unsigned long)uld__graph_edges(),
		    (unsigned long)uld__chain_count(), known, dead, sweeps);
		uld__write_all(2, b.p, b.len);
	}
}

ULD_API int
uld_exit_status(int status)
{
	/* A report still being written counts: let it finish. */
	uld__watchdog_quiesce();
	summary();
	/* A non-zero status of the program's own is kept: a test that fails
	 * for its own reasons still says so. */
	if (uld__report_total() > 0 && status == 0 && uld__opts.exitcode != 0)
		return (int)uld__opts.exitcode;
	return status;
}
