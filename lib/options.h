/*
 * options.h: ULOCKDEP_OPTIONS, parsed once at start-up into uld__opts.
 *
 * The parser walks `key=value` slices separated by ':' without allocating
 * (jemalloc's conf_next), so it can run before anything else is set up.
 * Only ':' separates pairs: a value may contain ',' (softirq_signals), and
 * a path value therefore cannot contain ':'.
 */
#ifndef ULD_OPTIONS_H
#define ULD_OPTIONS_H

#include <stdint.h>

#include "out.h"

#define ULD_OPT_STR_MAX 1024

/*
 * init_wrappers' default (initwrap.h): each of these calls
 * pthread_mutex_init or pthread_rwlock_init for its caller.  OpenSSL 1.1
 * and 3 make every lock in CRYPTO_THREAD_lock_new; libuv's uv_mutex_init*
 * and uv_rwlock_init, APR's apr_thread_mutex_create and
 * apr_thread_rwlock_create, NSPR's PR_NewLock and PR_NewMonitor are thin
 * constructors of the same kind.  (GLib is not listed: on Linux its GMutex
 * is a futex, and its GRecMutex and GRWLock make their pthread lock at
 * first use, in static functions.)
 *
 * And the constructors of C++ lock classes, by their mangled names (which
 * a build without a demangler has too): a class whose name ends in Mutex,
 * mutex, Lock, lock or Monitor and whose constructor initialises a
 * pthread lock out of line, as V8's v8::base::Mutex and RecursiveMutex,
 * HotSpot's os::PlatformMonitor (under Mutex::Mutex) and boost::mutex at
 * -O0 do, would otherwise put every object of the class in one class.  A
 * constructor's mangled name is _ZN, the nested name, C1 to C5, E and the
 * parameters.
 */
#define ULD_INIT_WRAPPERS_DEFAULT                                         \
	"CRYPTO_THREAD_lock_new,uv_mutex_init,uv_mutex_init_recursive,"   \
	"uv_rwlock_init,apr_thread_mutex_create,apr_thread_rwlock_create," \
	"PR_NewLock,PR_NewMonitor,"                                       \
	"_ZN*MutexC?E*,_ZN*mutexC?E*,_ZN*LockC?E*,_ZN*lockC?E*,"          \
	"_ZN*MonitorC?E*"

struct uld__options {
#define ULD_OPT_FIELD_STR(name) char name[ULD_OPT_STR_MAX];
#define ULD_OPT_FIELD_INT(name) long name;
#define ULD_OPT_FIELD_BOOL(name) int name;
#define ULD_OPT_FIELD_SIGS(name) uint64_t name;
#define ULD_OPT(type, name, def, min, max, desc) ULD_OPT_FIELD_##type(name)
#include "options.def"
#undef ULD_OPT
};

extern struct uld__options uld__opts;

/* Set every option to its default. */
void uld__options_defaults(struct uld__options *o);
/*
 * Parse `s` over `o`.  Each error appends one line
 * `ulockdep: <source>: <key>: <why>\n` to `err`, and leaves that key's
 * previous value in force.  Returns the number of errors.
 */
int uld__options_parse(struct uld__options *o, const char *s,
    const char *source, struct uld__buf *err);
/* help=1: every key, its default and its meaning. */
void uld__options_help(struct uld__buf *b);
/* Signal name ("SIGALRM", "ALRM", "14", "SIGRTMIN+2") to number; 0 if bad. */
int uld__signal_from_name(const char *s, unsigned long n);
/* Number to name: "SIGALRM", "SIGRTMIN+2". */
void uld__signal_name(int sig, char *buf, size_t len);
/* Read the environment (secure_getenv) once and print errors on stderr. */
void uld__options_init(void);

#endif /* ULD_OPTIONS_H */
