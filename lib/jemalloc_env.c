/*
 * jemalloc_env.c: the static jemalloc reads ULOCKDEP_MALLOC_CONF, not the
 * program's MALLOC_CONF.
 *
 * libjemalloc_pic.a (--with-static-jemalloc) is an unprefixed jemalloc: at
 * its first allocation it reads secure_getenv("MALLOC_CONF"), the variable
 * a program linked with its own jemalloc (redis, a service run with
 * MALLOC_CONF=prof:true) is configured by.  Our private copy then obeyed
 * the program's settings as well: it printed its statistics at exit,
 * wrote heap profiles, or complained on stderr about keys it does not
 * know.  This hidden definition (not in libulockdep.sym, so the program's
 * secure_getenv stays libc's) is what every secure_getenv call in
 * libulockdep.so binds to, jemalloc's and the option reader's: it answers
 * as libc's does, except that MALLOC_CONF is looked up as
 * ULOCKDEP_MALLOC_CONF, so the validator's own heap can still be tuned or
 * profiled when debugging the validator.
 *
 * Own code, not a call to libc's: jemalloc asks while it boots, inside
 * the first allocation, where neither dlsym() nor anything that allocates
 * may run.
 */
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>

extern char **environ;

__attribute__((visibility("hidden"))) char *secure_getenv(const char *name);

char *
secure_getenv(const char *name)
{
	/* libc's rule: a setuid or setgid program reads no variable. */
	if (name == NULL || getauxval(AT_SECURE) != 0)
		return NULL;
	if (strcmp(name, "MALLOC_CONF") == 0)
		name = "ULOCKDEP_MALLOC_CONF";

	size_t n = strlen(name);
	for (char **e = environ; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}
