/*
 * report.c: building, deduplicating and writing reports.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "deepstack.h"
#include "mutex.h"
#include "options.h"
#include "suppress.h"
#include "init.h"
#include "util.h"

static const char *const kind_names[] = {
#define X(id, name, headline) name,
	ULD_REPORT_KINDS(X)
#undef X
};
static const char *const headlines[] = {
#define X(id, name, headline) headline,
	ULD_REPORT_KINDS(X)
#undef X
};

static unsigned long total;	/* reports written */
static unsigned long suppressed; /* reports a suppression matched */
static int log_fd = -1, json_fd = -1;
static pid_t files_pid;		/* the process the files were opened for */

/* Signatures already reported: open addressing, grown x2 at half full. */
static uint64_t *seen;
static size_t seen_cap, seen_n;

/* Report texts are built in memory sized for the report, or, if that
 * cannot be had, in this fallback (the text then says it was cut). */
static char fallback_mem[64 * 1024];

const char *
uld__report_kind_name(enum uld__report_kind kind)
{
	return kind_names[kind];
}

const char *
uld__report_headline(enum uld__report_kind kind)
{
	return headlines[kind];
}

const char *
uld__report_mode(int type, int read)
{
	switch (type) {
	case ULD_LOCK_SPIN:
	case ULD_LOCK_SPIN_KERNEL:
		return "spin";
	case ULD_LOCK_MUTEX:
		return "mutex";
	case ULD_LOCK_RWLOCK:
	case ULD_LOCK_RWLOCK_KERNEL:
	default:
		return read ? "rwlock-read" : "rwlock-write";
	}
}

unsigned long
uld__report_total(void)
{
	return __atomic_load_n(&total, __ATOMIC_RELAXED);
}

unsigned long
uld__report_suppressed(void)
{
	return __atomic_load_n(&suppressed, __ATOMIC_RELAXED);
}

void
uld__report_begin(struct uld__report *r, enum uld__report_kind kind,
    struct uld__thread *self)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->signature = uld__fnv1a(ULD_FNV_INIT, kind_names[kind],
	    strlen(kind_names[kind]) + 1);
	r->self = self;
	r->tid = self->tid;
	uld__thread_name(r->thread, sizeof(r->thread));
}

struct uld__rlock *
uld__report_add_lock(struct uld__report *r, struct uld__class *c, void *addr,
    int type, int read, const void *ip)
{
	if (r->nlocks == ULD_REPORT_MAX_LOCKS)
		return NULL;
	struct uld__rlock *l = &r->locks[r->nlocks++];
	l->class = c;
	l->addr = addr;
	l->type = (uint8_t)type;
	l->read = (uint8_t)read;
	l->ip = ip;
	return l;
}

struct uld__rstack *
uld__report_add_stack(struct uld__report *r, const char *role,
    void *const *ips, uint32_t n)
{
	if (r->nstacks == ULD_REPORT_MAX_STACKS)
		return NULL;
	struct uld__rstack *s = &r->stacks[r->nstacks++];
	s->role = role;
	s->ips = ips;
	s->n = n;
	s->tid = r->tid;
	memcpy(s->thread, r->thread, sizeof(s->thread));
	return s;
}

static int
seen_insert(uint64_t sig)
{
	if (seen_n * 2 >= seen_cap) {
		size_t ncap = seen_cap ? seen_cap * 2 : 256;
		uint64_t *n = uld__calloc(ncap, sizeof(*n));
		if (n == NULL)
			return 1; /* cannot remember: report again, never lose */
		for (size_t i = 0; i < seen_cap; i++) {
			if (seen[i] == 0)
				continue;
			size_t j = seen[i] % ncap;
			while (n[j])
				j = (j + 1) % ncap;
			n[j] = seen[i];
		}
		uld__free(seen);
		seen = n;
		seen_cap = ncap;
	}
	if (sig == 0)
		sig = 1;
	size_t j = sig % seen_cap;
	while (seen[j]) {
		if (seen[j] == sig)
			return 0;
		j = (j + 1) % seen_cap;
	}
	seen[j] = sig;
	seen_n++;
	return 1;
}

static int
open_report_file(const char *path, const char *key)
{
	char name[ULD_OPT_STR_MAX + 32];
	struct uld__buf b;
	int fd;

	if (strcmp(path, "stderr") == 0)
		return STDERR_FILENO;
	if (strcmp(path, "stdout") == 0)
		return STDOUT_FILENO;
	uld__buf_init(&b, name, sizeof(name));
	uld__buf_printf(&b, "%s.%d", path, (int)getpid());
	/* Append, never truncate: another process may share the name.
	 * O_NOFOLLOW: a planted symlink must not redirect our writes. */
	fd = open(uld__buf_str(&b),
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		char line[ULD_OPT_STR_MAX + 128];
		struct uld__buf e;
		uld__buf_init(&e, line, sizeof(line));
		uld__buf_printf(&e,
		    "ulockdep: %s: cannot open %s: %s; writing to stderr\n",
		    key, uld__buf_str(&b), strerror(errno));
		uld__write_all(STDERR_FILENO, e.p, e.len);
		return STDERR_FILENO;
	}
	return fd;
}

static void
open_files(void)
{
	if (files_pid == getpid())
		return;
	files_pid = getpid();
	log_fd = open_report_file(uld__opts.log_path, "log_path");
	json_fd = uld__opts.json_path[0]
	    ? open_report_file(uld__opts.json_path, "json_path")
	    : -1;
}

void
uld__report_atfork_child(void)
{
	/* The child's reports go to its own PATH.<pid>. */
	if (log_fd > STDERR_FILENO)
		close(log_fd);
	if (json_fd > STDERR_FILENO)
		close(json_fd);
	log_fd = json_fd = -1;
	files_pid = 0;
	total = 0;
	suppressed = 0;
	/* "Once per signature per process": the child is a new process. */
	if (seen != NULL)
		memset(seen, 0, seen_cap * sizeof(*seen));
	seen_n = 0;
}

void
uld__report_sig_add(struct uld__report *r, const char *name)
{
	r->signature = uld__fnv1a(r->signature, name, strlen(name) + 1);
}

/* Room for a rendering: every frame of every stack at a generous width. */
static size_t
estimate(const struct uld__report *r)
{
	size_t frames = 0, stacks = r->nstacks;

	for (uint32_t i = 0; i < r->nstacks; i++)
		frames += r->stacks[i].n;
	if (r->cycle)
		for (uint32_t k = 0; k < r->cycle->n; k++) {
			frames += r->cycle->e[k]->stack
			    ? r->cycle->e[k]->stack->n : 0;
			stacks++;
		}
	if (r->self)
		stacks += r->self->depth;
	return 16384 + stacks * 1024 + frames * 512;
}

/* Render with `fn` and write it with one write(2). */
static void
render_and_write(int fd, const struct uld__report *r,
    void (*fn)(struct uld__buf *, const struct uld__report *))
{
	size_t cap = estimate(r);
	char *mem = uld__malloc(cap);
	struct uld__buf b;

	if (mem == NULL) {
		mem = fallback_mem;
		cap = sizeof(fallback_mem);
	}
	uld__buf_init(&b, mem, cap);
	fn(&b, r);
	uld__write_all(fd, b.p, b.len);
	if (mem != fallback_mem)
		uld__free(mem);
}

/*
 * verbosity>=1: which rule silenced which report, on stderr like the
 * exit summary (not in the log: a process whose every report was
 * suppressed must not create report files).
 */
static void
note_suppressed(const struct uld__report *r, const struct uld__supp *s,
    const char *what)
{
	char line[ULD_OPT_STR_MAX + 512];
	struct uld__buf b;

	uld__buf_init(&b, line, sizeof(line));
	uld__buf_printf(&b, "ulockdep: suppressed %s %016lx (matched '%s'), "
			    "by %s:%u\n",
	    kind_names[r->kind], (unsigned long)r->signature, what,
	    uld__suppress_file(), s->line);
	uld__write_all(STDERR_FILENO, b.p, b.len);
}

struct emit {
	struct uld__report *r;
	int written;
};

/* Matched against the suppressions, rendered and written: on the deep
 * stack (deepstack.c), whatever stack the program gave this thread. */
static void
emit_there(void *arg)
{
	struct emit *e = arg;
	struct uld__report *r = e->r;
	const struct uld__supp *s;
	const char *what = NULL;

	if ((s = uld__suppress_match(r, &what)) != NULL) {
		/* Not written, not counted for the exit status, no halt. */
		__atomic_fetch_add(&suppressed, 1, __ATOMIC_RELAXED);
		if (uld__opts.verbosity >= 1)
			note_suppressed(r, s, what);
		return;
	}
	open_files();

	render_and_write(log_fd, r, uld__report_text);
	if (json_fd >= 0)
		render_and_write(json_fd, r, uld__report_json);
	/* Written and flushed (no user-space buffering) before the thread
	 * goes on to take the lock that may never be granted. */
	if (json_fd > STDERR_FILENO)
		fdatasync(json_fd);
	if (log_fd > STDERR_FILENO)
		fdatasync(log_fd);
	__atomic_fetch_add(&total, 1, __ATOMIC_RELAXED);
	e->written = 1;
}

int
uld__report_emit(struct uld__report *r)
{
	struct emit e = { r, 0 };

	/* Stopped (out of memory): what we know may miss an event. */
	if (uld__stopped())
		return 0;
	/* Deduplicated first: a suppressed bug is counted once, as a
	 * reported one would be. */
	if (!seen_insert(r->signature))
		return 0;
	uld__deep_call(emit_there, &e);
	if (!e.written)
		return 0;
	if (uld__opts.halt_on_error) {
		static const char msg[] =
		    "ulockdep: halt_on_error=1: aborting\n";
		uld__write_all(log_fd, msg, sizeof(msg) - 1);
		abort();
	}
	return 1;
}
