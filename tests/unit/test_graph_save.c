/*
 * test_graph_save.c: the saved graph file (lib/graph_save.c), line by line.
 *
 * A small graph is built through the class registry (so the saver finds
 * it as at exit), with hand-made edges, stacks and a usage trace, and
 * saved; each line must be exactly what doc/graph-format.md says.  Then
 * the parts a small graph does not reach: a file larger than the write
 * buffer, a record that cannot fit, a missing directory, and the lock
 * taken with a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "class.h"
#include "graph.h"
#include "graph_save.h"
#include "irq.h"
#include "mutex.h"
#include "stack.h"
#include "tap.h"

static char dir[] = "/tmp/uld-graph-save.XXXXXX";

/* The lines of the file last read.  Frames point into read_lines(). */
static char *lines[16384];
static int nlines;

static int
read_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0;
	ssize_t n;
	char *line = NULL;

	for (int i = 0; i < nlines; i++)
		free(lines[i]);
	nlines = 0;
	if (f == NULL)
		return -1;
	while ((n = getline(&line, &cap, f)) > 0 && nlines < 16384) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		lines[nlines++] = strdup(line);
	}
	free(line);
	fclose(f);
	return nlines;
}

/* Run uld__graph_save(path) with stderr caught; returns its result. */
static int
save_caught(const char *path, char *err, size_t errlen)
{
	char errpath[128];
	int saved = dup(2), fd, rc;
	sigset_t all, old;

	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = uld__graph_save(path);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	dup2(saved, 2);
	close(saved);
	fd = open(errpath, O_RDONLY);
	ssize_t n = read(fd, err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(errpath);
	return rc;
}

static int
count_files(void)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	if (p != NULL && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p != NULL)
		pclose(p);
	return n;
}

static struct uld__stack *s1, *s2;

static void
test_small_graph(void)
{
	char path[128], err[1024], want[512];
	struct uld__class *a, *b, *c, *a1, *own;
	struct uld__edge *e;
	void *ips1[2] = { (char *)read_lines + 4, (char *)read_lines + 8 };
	void *ips2[1] = { (char *)read_lines + 12 };
	sigset_t old;

	a = uld__class_get(ULD_CLASS_NAME, NULL, ULD_LOCK_MUTEX, "gs_a", NULL);
	b = uld__class_get(ULD_CLASS_NAME, NULL, ULD_LOCK_SPIN_KERNEL, "gs_b",
	    NULL);
	c = uld__class_get(ULD_CLASS_NAME, NULL, ULD_LOCK_RWLOCK, "gs \"c\"",
	    NULL);
	own = uld__class_get(ULD_CLASS_NAME, NULL, ULD_LOCK_MUTEX, "gs_own",
	    NULL);
	a1 = uld__class_sub(a, 1);
	if (!ok(a && b && c && own && a1 && a1 != a, "classes made"))
		return;
	own->own = 1;

	uld__graph_enter(&old);
	s1 = (struct uld__stack *)uld__stack_intern(ips1, 2);
	s2 = (struct uld__stack *)uld__stack_intern(ips2, 1);
	e = uld__graph_add(a, b, ULD_DEP_EN);
	e->stack = s1;
	e->tid = 42;
	strcpy(e->thread, "t1");
	uld__graph_add(a, b, ULD_DEP_SR);	/* widens a -> b */
	e = uld__graph_add(b, c, ULD_DEP_ER);	/* no stack */
	e->tid = 43;
	strcpy(e->thread, "t2");
	e = uld__graph_add(a1, own, ULD_DEP_EN);	/* into our own */
	e->stack = s2;
	e = uld__graph_add(own, c, ULD_DEP_EN);	/* out of our own */
	e->stack = s2;
	e = uld__graph_add(a1, c, ULD_DEP_SN);	/* shares s1 */
	e->stack = s1;
	e->tid = 44;
	strcpy(e->thread, "t3");
	struct uld__usage_trace *u = calloc(1, sizeof(*u));
	u->kind = ULD_USED_IN_W;
	u->sigs = uld__sigbit(SIGALRM);
	u->stack = s2;
	u->tid = 45;
	strcpy(u->thread, "irq");
	c->traces = u;
	c->usage[ULD_USED_IN_W] = uld__sigbit(SIGALRM);
	/* More than half the signals: written as the ones it lacks. */
	b->usage[ULD_ENABLED_W] = ~(uld__sigbit(SIGKILL) | uld__sigbit(SIGSTOP));
	c->usage[ULD_ENABLED_R] = uld__sigbit(SIGUSR1) | uld__sigbit(SIGRTMIN + 2);
	uld__graph_leave(&old);

	snprintf(path, sizeof(path), "%s/g.1", dir);
	is_int(save_caught(path, err, sizeof(err)), 0, "saved");
	is_str(err, "", "nothing on stderr");
	is_int(count_files(), 1, "one file, no temporary file left");
	struct stat st;
	stat(path, &st);
	is_int(st.st_mode & 0777, 0600, "mode 0600");
	if (!ok(read_lines(path) == 12, "12 lines (got %d)", nlines))
		return;
	snprintf(want, sizeof(want), "{\"format\":\"ulockdep-graph\","
	    "\"version\":1,\"pid\":%d,\"exe\":\"", (int)getpid());
	ok(strncmp(lines[0], want, strlen(want)) == 0, "header: %s",
	    lines[0]);
	ok(strstr(lines[0], ",\"softirq_signals\":[\"SIGALRM\",\"SIGVTALRM\","
	    "\"SIGPROF\"]}") != NULL, "header ends with softirq_signals");
	ok(strstr(lines[0], ",\"signals\":[\"SIGHUP\",\"SIGINT\",") != NULL &&
	    strstr(lines[0], ",\"SIGRTMAX\"],\"softirq_signals\":") != NULL,
	    "header: the table of all 64 signal names");
	ok(strncmp(lines[1], "{\"stack\":1,\"frames\":[{\"ip\":\"0x", 28) == 0 &&
	    strstr(lines[1], "\"function\":\"read_lines\",\"offset\":4,") &&
	    strstr(lines[1], "\"function\":\"read_lines\",\"offset\":8,"),
	    "stack 1, first used by a -> b: %s", lines[1]);
	ok(strncmp(lines[2], "{\"stack\":2,\"frames\":[{", 22) == 0 &&
	    strstr(lines[2], "\"function\":\"read_lines\",\"offset\":12,"),
	    "stack 2, first used by c's trace: %s", lines[2]);

	snprintf(want, sizeof(want), "{\"class\":%u,\"name\":\"gs_a\","
	    "\"kind\":\"name\",\"type\":\"mutex\"}", a->id);
	is_str(lines[3], want, "class a");
	snprintf(want, sizeof(want), "{\"class\":%u,\"name\":\"gs_b\","
	    "\"kind\":\"name\",\"type\":\"kspin\","
	    "\"enabled_write\":{\"all_except\":[\"SIGKILL\",\"SIGSTOP\"]}}",
	    b->id);
	is_str(lines[4], want, "class b: a set of most signals, as all_except");
	snprintf(want, sizeof(want), "{\"class\":%u,\"name\":\"gs \\\"c\\\"\","
	    "\"kind\":\"name\",\"type\":\"rwlock\","
	    "\"used_in_write\":[\"SIGALRM\"],"
	    "\"enabled_read\":[\"SIGUSR1\",\"SIGRTMIN+2\"]}", c->id);
	is_str(lines[5], want, "class c: escaped name, usage arrays");
	snprintf(want, sizeof(want), "{\"class\":%u,\"name\":\"gs_a/1\","
	    "\"kind\":\"name\",\"type\":\"mutex\"}", a1->id);
	is_str(lines[6], want, "subclass a/1 (the own class is left out)");
	snprintf(want, sizeof(want), "{\"usage\":%u,\"bit\":\"used_in_write\","
	    "\"signals\":[\"SIGALRM\"],\"thread\":\"irq\",\"tid\":45,"
	    "\"stack\":2}", c->id);
	is_str(lines[7], want, "c's usage trace");
	snprintf(want, sizeof(want), "{\"edge\":[%u,%u],\"deps\":[\"EN\",\"SR\"],"
	    "\"thread\":\"t1\",\"tid\":42,\"stack\":1}", a->id, b->id);
	is_str(lines[8], want, "edge a -> b, both dependency types");
	snprintf(want, sizeof(want), "{\"edge\":[%u,%u],\"deps\":[\"ER\"],"
	    "\"thread\":\"t2\",\"tid\":43}", b->id, c->id);
	is_str(lines[9], want, "edge b -> c, no stack field");
	/* a/1 -> own and own -> c are left out; a/1 -> c follows. */
	snprintf(want, sizeof(want), "{\"edge\":[%u,%u],\"deps\":[\"SN\"],"
	    "\"thread\":\"t3\",\"tid\":44,\"stack\":1}", a1->id, c->id);
	is_str(lines[10], want,
	    "edge a/1 -> c shares stack 1; edges of our own class left out");
	is_str(lines[11], "{\"end\":true,\"classes\":4,\"edges\":3,"
	    "\"stacks\":2,\"usage\":1}", "trailer: the count of each record");
	ok(s1->save_id == 0 && s2->save_id == 0,
	    "stack numbers cleared after the save");
}

/* A second save replaces the file and numbers stacks from 1 again. */
static void
test_resave(void)
{
	char path[128], err[1024];

	snprintf(path, sizeof(path), "%s/g.1", dir);
	is_int(save_caught(path, err, sizeof(err)), 0, "saved again, over "
	    "the old file");
	is_int(count_files(), 1, "still one file");
	read_lines(path);
	is_int(nlines, 12, "12 lines");
	ok(nlines > 1 && strncmp(lines[1], "{\"stack\":1,", 11) == 0,
	    "stacks numbered from 1 again");
}

/* More than the 1 MiB buffer: records flushed, none cut or repeated. */
static void
test_large(void)
{
	char path[128], err[1024], name[600];
	int n = 3000;

	memset(name, 'x', 500);
	for (int i = 0; i < n; i++) {
		snprintf(name + 500, sizeof(name) - 500, "%d", i);
		uld__class_get(ULD_CLASS_NAME, NULL, ULD_LOCK_MUTEX, name, NULL);
	}
	snprintf(path, sizeof(path), "%s/g.2", dir);
	is_int(save_caught(path, err, sizeof(err)), 0, "a 1.5 MB graph saved");
	read_lines(path);
	is_int(nlines, 12 + n, "every class once");
	int good = 1;
	for (int i = 0; i < n && 7 + i < nlines; i++) {
		snprintf(name + 500, sizeof(name) - 500, "%d", i);
		if (strstr(lines[7 + i], name) == NULL ||
		    lines[7 + i][strlen(lines[7 + i]) - 1] != '}')
			good = 0;
	}
	ok(good, "class lines whole and in order across buffer flushes");
	ok(nlines > 0 && strstr(lines[nlines - 1], "\"classes\":3004,") != NULL,
	    "trailer: %s", nlines ? lines[nlines - 1] : "");
	unlink(path);
}

static void
test_missing_dir(void)
{
	char path[128], err[1024], want[256];

	snprintf(path, sizeof(path), "%s/none/g.3", dir);
	is_int(save_caught(path, err, sizeof(err)), -1, "missing directory: "
	    "fails");
	snprintf(want, sizeof(want), "ulockdep: graph_path: lock graph not "
	    "saved to %s: creating the temporary file: No such file or "
	    "directory\n", path);
	is_str(err, want, "one line naming the file and errno");
	is_int(count_files(), 1, "no file made");
}

/* Last: the class it makes stays in the graph. */
static void
test_record_too_large(void)
{
	char path[128], err[1024], want[256];
	size_t len = 2u << 20;
	char *name = malloc(len + 1);

	memset(name, 'y', len);
	name[len] = '\0';
	uld__class_get(ULD_CLASS_NAME, NULL, ULD_LOCK_MUTEX, name, NULL);
	free(name);
	snprintf(path, sizeof(path), "%s/g.4", dir);
	is_int(save_caught(path, err, sizeof(err)), -1, "a 2 MB record: fails");
	snprintf(want, sizeof(want), "ulockdep: graph_path: lock graph not "
	    "saved to %s: a record is larger than the write buffer\n", path);
	is_str(err, want, "says why");
	is_int(count_files(), 1, "temporary file removed");
	ok(s1->save_id == 0 && s2->save_id == 0,
	    "stack numbers cleared after a failure too");
}

/* Unranked: released by another thread, which no validator lock is. */
static uld__mutex_t m = ULD_MUTEX_INIT(ULD_RANK_NONE);

static void *
unlock_later(void *arg)
{
	(void)arg;
	usleep(50 * 1000);
	uld__mutex_unlock(&m);
	return NULL;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
test_lock_timeout(void)
{
	struct timespec t0;
	pthread_t t;

	is_int(uld__mutex_lock_timeout(&m, 100), 0, "a free lock is taken");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(uld__mutex_lock_timeout(&m, 100), -1, "a held lock: gives up");
	long ms = ms_since(&t0);
	ok(ms >= 95 && ms < 2000, "after the deadline (%ld ms)", ms);
	pthread_create(&t, NULL, unlock_later, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(uld__mutex_lock_timeout(&m, 5000), 0,
	    "taken when released within the deadline");
	ms = ms_since(&t0);
	ok(ms < 2000, "at once when released (%ld ms)", ms);
	pthread_join(t, NULL);
	uld__mutex_unlock(&m);
	is_int(m.state, 0, "and released");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_small_graph();
	test_resave();
	test_large();
	test_missing_dir();
	test_record_too_large();
	test_lock_timeout();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
