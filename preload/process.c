/*
 * process.c: vfork() becomes fork(); dlclose() retires the module's
 * classes; _exit, _Exit and quick_exit apply the exit status as exit does.
 *
 * A vfork child runs in its parent's memory, on its parent's stack, with
 * its parent's thread-local state, until it execs or exits.  Whatever the
 * child does through the preload (sigprocmask to reset its mask, a lock,
 * a close of every descriptor) would change the parent's validator state:
 * a mask unblocked in the child would be believed unblocked in the
 * parent, and false irq reports follow.  As TSan does, vfork is turned
 * into fork: the child gets its own copy, and the fork hooks (init.c)
 * run.  The cost is a fork's page-table copy; the behaviour a correct
 * vfork user relies on (the child only execs or _exits) is the same.
 * posix_spawn, system and popen clone inside glibc, where the child calls
 * nothing we wrap, and need nothing here.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real.h"
#include "ulockdep/ulockdep.h"

ULD_INTERCEPTOR pid_t
vfork(void)
{
	return fork();
}

/*
 * dlclose(): when the module really goes (its last reference), the
 * validator forgets its locks and retires the classes keyed by its
 * addresses (uld_module_unload), so that a module mapped there later is
 * not taken for it.  Its segments are found before the call (the loader
 * forgets them) and given after it, once the module is known to be gone.
 */
#define ULD_MAX_SEGS 16

struct segs {
	uintptr_t base;
	const char *name;
	int n, found;
	uintptr_t lo[ULD_MAX_SEGS], len[ULD_MAX_SEGS];
};

static int
find_segs(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct segs *s = arg;

	(void)size;
	if (info->dlpi_addr != s->base || info->dlpi_name == NULL ||
	    strcmp(info->dlpi_name, s->name) != 0)
		return 0;
	s->found = 1;
	for (int i = 0; i < info->dlpi_phnum && s->n < ULD_MAX_SEGS; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		s->lo[s->n] = info->dlpi_addr + ph->p_vaddr;
		s->len[s->n++] = ph->p_memsz;
	}
	return 1;
}

ULD_INTERCEPTOR int
dlclose(void *handle)
{
	struct link_map *lm = NULL;
	struct segs s = { 0 };
	char name[4096];

	if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 ||
	    lm == NULL || lm->l_name == NULL || lm->l_name[0] == '\0')
		return REAL(dlclose)(handle);
	snprintf(name, sizeof(name), "%s", lm->l_name);
	s.base = lm->l_addr;
	s.name = name;
	dl_iterate_phdr(find_segs, &s);
	int rc = REAL(dlclose)(handle);
	if (rc != 0 || !s.found)
		return rc;
	struct segs again = { .base = s.base, .name = name };
	dl_iterate_phdr(find_segs, &again);
	if (!again.found)
		for (int i = 0; i < s.n; i++)
			uld_module_unload((void *)s.lo[i], s.len[i],
			    ULD_RET_IP());
	return rc;
}

/*
 * The ways a process ends normally besides exit(): each ends with the
 * status uld_exit_status() gives (`exitcode` when the process reported and
 * the program said 0), as exit() does from the validator's on_exit
 * handler, so that a program, or a test harness's child, that ends with
 * _exit(0) after a report does not pass for clean.  Nothing else exit()
 * does is added (no graph saved, no locks_held_at_exit for the main
 * thread): those skip the exit handlers on purpose.
 */
static void __attribute__((noreturn))
end_now(int status)
{
	REAL(_exit)(status);
	for (;;) /* not reached: _exit does not return */
		syscall(SYS_exit_group, status);
}

ULD_INTERCEPTOR void
_exit(int status)
{
	end_now(uld_exit_status(status));
}

ULD_INTERCEPTOR void
_Exit(int status)
{
	end_now(uld_exit_status(status));
}

/*
 * quick_exit runs the at_quick_exit handlers, which may still report,
 * then ends inside the C library (its _exit is not ours).  So the status
 * is kept here and applied by a handler registered from our constructor:
 * handlers run in reverse order, ours after the program's.
 */
static int quick_status;

static void
quick_exit_status(void)
{
	int s = uld_exit_status(quick_status);

	if (s != quick_status)
		end_now(s);
}

__attribute__((constructor)) static void
quick_exit_init(void)
{
	at_quick_exit(quick_exit_status);
}

/* The program's own exit(): the caller's held locks are not a thread
 * ending with them.  main returning calls the C library's exit directly,
 * not this, and stays a thread that ends (init.c). */
ULD_INTERCEPTOR void
exit(int status)
{
	uld_exit_called();
	REAL(exit)(status);
	end_now(status); /* not reached */
}

ULD_INTERCEPTOR void
quick_exit(int status)
{
	__atomic_store_n(&quick_status, status, __ATOMIC_RELAXED);
	REAL(quick_exit)(status);
	end_now(status); /* not reached */
}
