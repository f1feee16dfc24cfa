/*
 * startup.c: what the preload adds to process start (make bench-startup).
 *
 *   startup RUNS PRELOAD PROG [ARGS...]
 *
 * Runs PROG RUNS times bare and RUNS times with LD_PRELOAD=PRELOAD,
 * alternating one run of each (the order flipping every pair), so that a
 * busy machine slows both alike, and prints for each the mean and median
 * wall time per run (fork to wait) and the mean CPU time (user + system)
 * of the child, and the differences.  CPU time is the steadier figure on
 * a shared machine; wall time is what a user waits.  Nothing asserts it.
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

/* One run: wall ms; cpu[0] gets the child's user ms, cpu[1] its system
 * ms. */
static double
run(char **argv, const char *preload, double cpu[2])
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
	cpu[0] = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3;
	cpu[1] = ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	return t;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
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
	double *wall[2], user[2] = { 0, 0 }, sys[2] = { 0, 0 };
	double sum[2] = { 0, 0 };

	if (n < 1)
		n = 1;
	wall[0] = calloc(n, sizeof(double));
	wall[1] = calloc(n, sizeof(double));
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			int which = (i & 1) ^ k; /* 0 bare, 1 preloaded */
			double c[2];
			wall[which][i] = run(argv + 3, which ? preload : NULL, c);
			user[which] += c[0];
			sys[which] += c[1];
			sum[which] += wall[which][i];
		}
	}
	qsort(wall[0], n, sizeof(double), cmp);
	qsort(wall[1], n, sizeof(double), cmp);
	printf("%s, %d runs each, ms per run:\n", argv[3], n);
	printf("%-10s %10s %10s %10s %10s %10s\n", "", "wall mean", "median",
	    "cpu mean", "user", "sys");
	printf("%-10s %10.3f %10.3f %10.3f %10.3f %10.3f\n", "bare",
	    sum[0] / n, wall[0][n / 2], (user[0] + sys[0]) / n, user[0] / n,
	    sys[0] / n);
	printf("%-10s %10.3f %10.3f %10.3f %10.3f %10.3f\n", "ulockdep",
	    sum[1] / n, wall[1][n / 2], (user[1] + sys[1]) / n, user[1] / n,
	    sys[1] / n);
	printf("%-10s %10.3f %10.3f %10.3f %10.3f %10.3f\n", "added",
	    (sum[1] - sum[0]) / n, wall[1][n / 2] - wall[0][n / 2],
	    (user[1] + sys[1] - user[0] - sys[0]) / n, (user[1] - user[0]) / n,
	    (sys[1] - sys[0]) / n);
	return 0;
}
