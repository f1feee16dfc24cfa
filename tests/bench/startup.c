/*
 * startup.c: what the preload adds to process start (make bench-startup).
 *
 *   startup RUNS PRELOAD PROG [ARGS...]
 *
 * Runs PROG RUNS times bare and RUNS times with LD_PRELOAD=PRELOAD,
 * alternating one run of each (the order flipping every pair), so that a
 * busy machine slows both alike, and prints for each the mean and median
 * wall time per run (fork to wait), the mean CPU time of the child (user +
 * system, then each) and its mean minor page faults, and the differences.
 * CPU time is the steadier time on a shared machine, wall time is what a
 * user waits; page faults (like the instruction counts that startup.sh
 * adds) do not depend on the load at all.  Nothing asserts any of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* What one run cost the child: ms of user and system CPU, minor faults. */
struct cost {
	double user, sys, faults;
};

/* One run: wall ms; *c gets what it cost the child. */
static double
run(char **argv, const char *preload, struct cost *c)
{
	double t0 = now_ms();
	pid_t pid = fork();
	int st;
	struct rusage ru;

	if (pid == 0) {
		if (preload != NULL)
			setenv("LD_PRELOAD", preload, 1);
		else
			unsetenv("LD_PRELOAD");
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid) {
		perror("startup: fork/wait");
		exit(2);
	}
	double t = now_ms() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 127) {
		fprintf(stderr, "startup: %s did not run\n", argv[0]);
		exit(2);
	}
	c->user = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3;
	c->sys = ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	c->faults = (double)ru.ru_minflt;
	return t;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
row(const char *name, double mean, double median, const struct cost *c)
{
	printf("%-10s %10.3f %10.3f %10.3f %10.3f %10.3f %8.1f\n", name, mean,
	    median, c->user + c->sys, c->user, c->sys, c->faults);
}

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: startup RUNS PRELOAD PROG [ARGS...]\n");
		return 2;
	}
	int n = atoi(argv[1]);
	const char *preload = argv[2];
	double *wall[2], sum[2] = { 0, 0 };
	struct cost tot[2] = { { 0, 0, 0 }, { 0, 0, 0 } }, added;

	if (n < 1)
		n = 1;
	wall[0] = calloc(n, sizeof(double));
	wall[1] = calloc(n, sizeof(double));
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			int which = (i & 1) ^ k; /* 0 bare, 1 preloaded */
			struct cost c;
			wall[which][i] = run(argv + 3, which ? preload : NULL, &c);
			sum[which] += wall[which][i];
			tot[which].user += c.user / n;
			tot[which].sys += c.sys / n;
			tot[which].faults += c.faults / n;
		}
	}
	qsort(wall[0], n, sizeof(double), cmp);
	qsort(wall[1], n, sizeof(double), cmp);
	added.user = tot[1].user - tot[0].user;
	added.sys = tot[1].sys - tot[0].sys;
	added.faults = tot[1].faults - tot[0].faults;
	printf("%s, %d runs each, ms per run:\n", argv[3], n);
	printf("%-10s %10s %10s %10s %10s %10s %8s\n", "", "wall mean", "median",
	    "cpu mean", "user", "sys", "faults");
	row("bare", sum[0] / n, wall[0][n / 2], &tot[0]);
	row("ulockdep", sum[1] / n, wall[1][n / 2], &tot[1]);
	row("added", (sum[1] - sum[0]) / n, wall[1][n / 2] - wall[0][n / 2],
	    &added);
	return 0;
}
