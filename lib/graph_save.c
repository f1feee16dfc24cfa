/*
 * graph_save.c: writing the learned lock graph to a file at exit.
 *
 * The graph can be large (100,000 classes, a million edges), so it is
 * streamed: each record is formatted into one fixed buffer, which is
 * written out with write(2) whenever the next record does not fit.  The
 * only memory taken is that buffer; stacks are numbered in a field of
 * their own (struct uld__stack's save_id) rather than in a table, and the
 * numbers are cleared again before the graph lock is released.
 *
 * Everything the file says is read under uld__graph_lock, which every
 * writer of classes, edges, usage and stacks holds: a thread halfway
 * through adding an edge has either finished or not started.  The lock is
 * held while the records are formatted (frames are named then, under the
 * symbol lock, as reports do), not while the file is synced and renamed.
 */
#include "graph_save.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h> /* rename */
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "api.h"
#include "class.h"
#include "graph.h"
#include "irq.h"
#include "mutex.h"
#include "options.h"
#include "out.h"
#include "report.h"
#include "thread.h"
#include "util.h"

/* Room for the largest record (a stack: 48 frames of long names). */
#define BUF_SIZE (1u << 20)
/* Used when even that cannot be had: records are small, as a rule. */
static char fallback_mem[64 * 1024];

/* How long exit waits for a graph lock that another thread keeps. */
#define LOCK_TIMEOUT_MS 5000

struct writer {
	int fd;
	struct uld__buf b;
	int err;		/* errno of the first failure; -1: see `what` */
	const char *what;	/* what failed */
	uint32_t stacks, classes, usage, edges; /* records written */
};

static void
fail(struct writer *w, const char *what, int err)
{
	if (w->err == 0) {
		w->err = err ? err : -1;
		w->what = what;
	}
}

static void
flush(struct writer *w)
{
	const char *p = w->b.p;
	size_t n = w->b.len;

	while (n > 0 && w->err == 0) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0) {
			if (errno != EINTR)
				fail(w, "writing", errno);
			continue;
		}
		p += k;
		n -= (size_t)k;
	}
	w->b.len = 0;
	w->b.truncated = 0;
}

/*
 * Append one record, formatted by fn(buf, arg).  A record that does not
 * fit is taken back, the buffer written out, and the record formatted
 * again into the empty buffer.
 */
typedef void (*record_fn)(struct uld__buf *b, const void *arg);

static int
put(struct writer *w, record_fn fn, const void *arg)
{
	for (;;) {
		size_t mark = w->b.len;

		if (w->err)
			return -1;
		fn(&w->b, arg);
		if (!w->b.truncated)
			return 0;
		w->b.len = mark;
		w->b.truncated = 0;
		if (mark == 0) {
			fail(w, "a record is larger than the write buffer", 0);
			return -1;
		}
		flush(w);
	}
}

/* ---- the records (doc/graph-format.md) ---- */

static void
render_names(struct uld__buf *b, uint64_t sigs)
{
	char name[32];
	int first = 1;

	uld__buf_putc(b, '[');
	for (int sig = 1; sig <= 64; sig++) {
		if (!(sigs & uld__sigbit(sig)))
			continue;
		uld__signal_name(sig, name, sizeof(name));
		if (!first)
			uld__buf_putc(b, ',');
		uld__buf_json_str(b, name);
		first = 0;
	}
	uld__buf_putc(b, ']');
}

/*
 * A class taken with no signal blocked is "enabled" for nearly all 64:
 * written as names, that is 2 KB a class and most of the file.  A set of
 * more than half the signals is written as the few it lacks, against the
 * header's table of all 64 (doc/graph-format.md, "Signal sets").
 */
static void
render_signals(struct uld__buf *b, uint64_t sigs)
{
	if (__builtin_popcountll(sigs) <= 32) {
		render_names(b, sigs);
		return;
	}
	uld__buf_puts(b, "{\"all_except\":");
	render_names(b, ~sigs);
	uld__buf_putc(b, '}');
}

/*
 * A class taken with signals deliverable has most of the 64 in its
 * enabled arrays, and nearly every class has the same few sets: those are
 * rendered once and copied.  Only the saving thread uses the cache.
 */
static struct {
	uint64_t sigs;
	size_t len;
	char text[64 * 16];
} sig_cache[4];
static unsigned sig_cache_next;

static void
put_signals(struct uld__buf *b, uint64_t sigs)
{
	struct uld__buf t;
	unsigned i;

	for (i = 0; i < ULD_ARRAY_SIZE(sig_cache); i++)
		if (sig_cache[i].len && sig_cache[i].sigs == sigs) {
			uld__buf_putn(b, sig_cache[i].text, sig_cache[i].len);
			return;
		}
	i = sig_cache_next++ % ULD_ARRAY_SIZE(sig_cache);
	uld__buf_init(&t, sig_cache[i].text, sizeof(sig_cache[i].text));
	render_signals(&t, sigs);
	if (t.truncated) { /* cannot be: 64 names fit */
		sig_cache[i].len = 0;
		render_signals(b, sigs);
		return;
	}
	sig_cache[i].sigs = sigs;
	sig_cache[i].len = t.len;
	uld__buf_putn(b, t.p, t.len);
}

static void
header(struct uld__buf *b, const void *arg)
{
	(void)arg;
	uld__buf_printf(b, "{\"format\":\"ulockdep-graph\",\"version\":1,"
			   "\"pid\":%d", (int)getpid());
	uld__json_process(b);
	uld__buf_puts(b, ",\"time\":");
	uld__json_time(b);
	uld__buf_puts(b, ",\"ulockdep\":\"" PACKAGE_VERSION "\","
			 "\"signals\":");
	render_names(b, ~0ULL);
	uld__buf_puts(b, ",\"softirq_signals\":");
	render_names(b, uld__opts.softirq_signals);
	uld__buf_puts(b, "}\n");
}

static void
stack_rec(struct uld__buf *b, const void *arg)
{
	const struct uld__stack *s = arg;

	uld__buf_printf(b, "{\"stack\":%u,\"frames\":", s->save_id);
	uld__json_frames(b, s->ips, s->n);
	uld__buf_puts(b, "}\n");
}

static const char *
kind_name(uint8_t kind)
{
	static const char *const names[] = {
		[ULD_CLASS_INIT_SITE] = "init_site",
		[ULD_CLASS_STATIC] = "static",
		[ULD_CLASS_ACQUIRE_SITE] = "acquire_site",
		[ULD_CLASS_KEY] = "key",
		[ULD_CLASS_NAME] = "name",
	};

	return kind < ULD_ARRAY_SIZE(names) && names[kind] ? names[kind]
							   : "unknown";
}

static const char *
type_name(uint8_t type)
{
	switch (type) {
	case ULD_LOCK_SPIN:
		return "spin";
	case ULD_LOCK_MUTEX:
		return "mutex";
	case ULD_LOCK_RWLOCK:
		return "rwlock";
	case ULD_LOCK_SPIN_KERNEL:
		return "kspin";
	case ULD_LOCK_RWLOCK_KERNEL:
		return "krwlock";
	}
	return "unknown";
}

/* The usage arrays' names, indexed by enum uld__usage. */
static const char *const usage_names[] = {
	[ULD_USED_IN_W] = "used_in_write",
	[ULD_USED_IN_R] = "used_in_read",
	[ULD_ENABLED_W] = "enabled_write",
	[ULD_ENABLED_R] = "enabled_read",
};

static void
class_rec(struct uld__buf *b, const void *arg)
{
	const struct uld__class *c = arg;

	uld__buf_printf(b, "{\"class\":%u,\"name\":", c->id);
	uld__buf_json_str(b, uld__class_name(c));
	uld__buf_printf(b, ",\"kind\":\"%s\",\"type\":\"%s\"",
	    kind_name(c->kind), type_name(c->type));
	for (size_t k = 0; k < ULD_ARRAY_SIZE(usage_names); k++) {
		if (c->usage[k] == 0)
			continue;
		uld__buf_printf(b, ",\"%s\":", usage_names[k]);
		put_signals(b, c->usage[k]);
	}
	uld__buf_puts(b, "}\n");
}

/* Who took it, and where: the tail of usage and edge records. */
static void
taker(struct uld__buf *b, const char *thread, pid_t tid,
    const struct uld__stack *s)
{
	uld__buf_puts(b, ",\"thread\":");
	uld__buf_json_str(b, thread);
	uld__buf_printf(b, ",\"tid\":%d", (int)tid);
	if (s != NULL)
		uld__buf_printf(b, ",\"stack\":%u", s->save_id);
	uld__buf_puts(b, "}\n");
}

struct usage_arg {
	const struct uld__class *c;
	const struct uld__usage_trace *u;
};

static void
usage_rec(struct uld__buf *b, const void *arg)
{
	const struct usage_arg *a = arg;
	const struct uld__usage_trace *u = a->u;

	uld__buf_printf(b, "{\"usage\":%u,\"bit\":\"%s\",\"signals\":",
	    a->c->id, u->kind < ULD_ARRAY_SIZE(usage_names)
		? usage_names[u->kind] : "unknown");
	put_signals(b, u->sigs);
	taker(b, u->thread, u->tid, u->stack);
}

struct edge_arg {
	const struct uld__class *from;
	const struct uld__edge *e;
};

static void
edge_rec(struct uld__buf *b, const void *arg)
{
	const struct edge_arg *a = arg;
	const struct uld__edge *e = a->e;
	static const struct {
		uint8_t bit;
		const char *name;
	} deps[] = { { ULD_DEP_EN, "EN" }, { ULD_DEP_ER, "ER" },
		{ ULD_DEP_SN, "SN" }, { ULD_DEP_SR, "SR" } };
	int first = 1;

	uld__buf_printf(b, "{\"edge\":[%u,%u],\"deps\":[", a->from->id,
	    e->to->id);
	for (size_t i = 0; i < ULD_ARRAY_SIZE(deps); i++) {
		if (!(e->deps & deps[i].bit))
			continue;
		uld__buf_printf(b, "%s\"%s\"", first ? "" : ",", deps[i].name);
		first = 0;
	}
	uld__buf_putc(b, ']');
	taker(b, e->thread, e->tid, e->stack);
}

static void
trailer(struct uld__buf *b, const void *arg)
{
	const struct writer *w = arg;

	uld__buf_printf(b, "{\"end\":true,\"classes\":%u,\"edges\":%u,"
			   "\"stacks\":%u,\"usage\":%u}\n",
	    w->classes, w->edges, w->stacks, w->usage);
}

/* ---- walking the graph, under uld__graph_lock ---- */

/*
 * The validator's own classes (jemalloc's, urcu's locks) are not the
 * program's: neither they nor the edges that touch them are saved.
 */
static int
saved_edge(const struct uld__class *from, const struct uld__edge *e)
{
	return !from->own && !e->to->own;
}

/* Number a stack at its first use and write it then: stack lines come
 * first, and each is written once however many records share it. */
static void
stack_once(struct writer *w, const struct uld__stack *s)
{
	if (s == NULL || s->save_id != 0)
		return;
	((struct uld__stack *)s)->save_id = w->stacks + 1;
	if (put(w, stack_rec, s) == 0)
		w->stacks++;
}

static void
write_graph(struct writer *w)
{
	struct uld__class *c;

	put(w, header, NULL);
	for (c = uld__class_first(); c != NULL && !w->err; c = c->next) {
		if (c->own)
			continue;
		for (const struct uld__usage_trace *u = c->traces; u; u = u->next)
			stack_once(w, u->stack);
		for (uint32_t i = 0; i < c->nedges; i++)
			if (saved_edge(c, &c->edges[i]))
				stack_once(w, c->edges[i].stack);
	}
	for (c = uld__class_first(); c != NULL && !w->err; c = c->next)
		if (!c->own && put(w, class_rec, c) == 0)
			w->classes++;
	for (c = uld__class_first(); c != NULL && !w->err; c = c->next) {
		if (c->own)
			continue;
		for (const struct uld__usage_trace *u = c->traces; u; u = u->next) {
			struct usage_arg a = { c, u };
			if (put(w, usage_rec, &a) == 0)
				w->usage++;
		}
	}
	for (c = uld__class_first(); c != NULL && !w->err; c = c->next) {
		for (uint32_t i = 0; i < c->nedges; i++) {
			struct edge_arg a = { c, &c->edges[i] };
			if (saved_edge(c, a.e) && put(w, edge_rec, &a) == 0)
				w->edges++;
		}
	}
	put(w, trailer, w);
}

/* The stack numbers are only for this file: clear them all, also after a
 * failure part way, so a later save (a fork child's) starts afresh. */
static void
clear_stack_ids(void)
{
	for (struct uld__class *c = uld__class_first(); c; c = c->next) {
		for (struct uld__usage_trace *u = c->traces; u; u = u->next)
			if (u->stack)
				((struct uld__stack *)u->stack)->save_id = 0;
		for (uint32_t i = 0; i < c->nedges; i++)
			if (c->edges[i].stack)
				((struct uld__stack *)c->edges[i].stack)->save_id = 0;
	}
}

/* ---- the file ---- */

/* PATH.<pid>.tmp.XXXXXX, created exclusively (never through a symlink). */
static int
create_temp(const char *path, char *tmp, size_t len)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	for (int attempt = 0; attempt < 32; attempt++) {
		unsigned char r[6];
		struct timespec ts;
		struct uld__buf b;
		char suffix[7];

		if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			uint64_t x = uld__mix64((uint64_t)ts.tv_nsec ^
			    ((uint64_t)getpid() << 32) ^ (uint64_t)attempt);
			memcpy(r, &x, sizeof(r));
		}
		for (size_t i = 0; i < sizeof(r); i++)
			suffix[i] = chars[r[i] % (sizeof(chars) - 1)];
		suffix[6] = '\0';
		uld__buf_init(&b, tmp, len);
		uld__buf_printf(&b, "%s.tmp.%s", path, suffix);
		if (b.truncated) {
			errno = ENAMETOOLONG;
			return -1;
		}
		uld__buf_str(&b);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, 0600);
		if (fd >= 0) {
			/* 0600 whatever the umask: the graph names the
			 * program's functions and files. */
			(void)fchmod(fd, 0600);
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static void
say(const char *path, const char *what, int err)
{
	char line[ULD_OPT_STR_MAX + 256];
	struct uld__buf b;

	uld__buf_init(&b, line, sizeof(line));
	uld__buf_printf(&b, "ulockdep: graph_path: lock graph not saved to "
			    "%s: %s", path, what);
	if (err > 0)
		uld__buf_printf(&b, ": %s", strerror(err));
	uld__buf_putc(&b, '\n');
	uld__write_all(STDERR_FILENO, b.p, b.len);
}

int
uld__graph_save(const char *path)
{
	char tmp[PATH_MAX + 32];
	struct writer w;
	char *mem;
	size_t cap = BUF_SIZE;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&w, 0, sizeof(w));
	w.fd = create_temp(path, tmp, sizeof(tmp));
	if (w.fd < 0) {
		say(path, "creating the temporary file", errno);
		return -1;
	}
	if (uld__mutex_lock_timeout(&uld__graph_lock, LOCK_TIMEOUT_MS) != 0) {
		close(w.fd);
		unlink(tmp);
		say(path, "another thread held the validator's lock for 5 s",
		    0);
		return -1;
	}
	/* Taken under the graph lock: jemalloc's arena is used there. */
	mem = uld__malloc(cap);
	if (mem == NULL) {
		mem = fallback_mem;
		cap = sizeof(fallback_mem);
	}
	uld__buf_init(&w.b, mem, cap);
	write_graph(&w);
	clear_stack_ids();
	uld__mutex_unlock(&uld__graph_lock);

	/* The records are in the buffer: the rest needs no lock. */
	flush(&w);
	if (mem != fallback_mem)
		uld__free(mem);
	if (w.err == 0 && fsync(w.fd) != 0)
		fail(&w, "syncing", errno);
	if (close(w.fd) != 0)
		fail(&w, "closing", errno);
	if (w.err == 0 && rename(tmp, path) != 0)
		fail(&w, "renaming the temporary file", errno);
	if (w.err != 0) {
		unlink(tmp);
		say(path, w.what, w.err);
		return -1;
	}
	if (uld__opts.verbosity >= 1) {
		char line[ULD_OPT_STR_MAX + 256];
		struct uld__buf b;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		uld__buf_init(&b, line, sizeof(line));
		uld__buf_printf(&b, "ulockdep: lock graph saved to %s: %u "
				    "classes, %u dependencies, %u stacks, %u "
				    "usage traces, %ld ms\n", path, w.classes,
		    w.edges, w.stacks, w.usage,
		    (long)((t1.tv_sec - t0.tv_sec) * 1000 +
			(t1.tv_nsec - t0.tv_nsec) / 1000000));
		uld__write_all(STDERR_FILENO, b.p, b.len);
	}
	return 0;
}

void
uld__graph_save_exit(void)
{
	struct uld__thread *t = &uld__self;
	char path[ULD_OPT_STR_MAX + 32];
	struct uld__buf b;
	sigset_t old;
	int saved = errno;

	if (uld__opts.graph_path[0] == '\0')
		return;
	uld__buf_init(&b, path, sizeof(path));
	uld__buf_printf(&b, "%s.%d", uld__opts.graph_path, (int)getpid());
	uld__buf_str(&b);
	/*
	 * exit() from a signal handler that interrupted the validator on
	 * this thread: it may hold the symbol lock or be inside jemalloc,
	 * and saving would wait for itself.
	 */
	if (t->in_uld) {
		say(path, "exit() was called from a signal handler that "
			  "interrupted the validator", 0);
		errno = saved;
		return;
	}
	t->in_uld++;
	uld__sig_block(&old);
	uld__graph_save(path);
	uld__sig_restore(&old);
	uld__api_leave(t);
	errno = saved;
}
