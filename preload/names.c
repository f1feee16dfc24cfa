/*
 * names.c: thread renames -> uld_thread_renamed().
 *
 * Reports name the threads involved, and the core keeps each thread's name
 * instead of asking the kernel at every new lock order; a rename, by
 * either call, makes it ask again.  Renames through /proc/self/task/N/comm
 * are not seen: a report may then show the thread's earlier name.
 */
#include <errno.h>
#include <stdarg.h>

#include "real.h"
#include "ulockdep/ulockdep.h"

int
pthread_setname_np(pthread_t thread, const char *name)
{
	int rc = REAL(pthread_setname_np)(thread, name);
	int saved = errno;

	if (rc == 0)
		uld_thread_renamed();
	errno = saved;
	return rc;
}

int
prctl(int option, ...)
{
	va_list ap;

	/* prctl takes up to four more arguments, unsigned long each; the C
	 * library's own wrapper reads all four whatever the option. */
	va_start(ap, option);
	unsigned long a2 = va_arg(ap, unsigned long);
	unsigned long a3 = va_arg(ap, unsigned long);
	unsigned long a4 = va_arg(ap, unsigned long);
	unsigned long a5 = va_arg(ap, unsigned long);
	va_end(ap);
	int rc = REAL(prctl)(option, a2, a3, a4, a5);
	if (option == PR_SET_NAME && rc == 0) {
		int saved = errno;
		uld_thread_renamed();
		errno = saved;
	}
	return rc;
}
