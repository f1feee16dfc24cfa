/*
 * names.c: reports whose strings need escaping in JSON.
 *
 *   names abba|ordered
 *   names exec PROG ARGS...
 *
 * Both threads are named NAME_THREAD (a quote, a backslash, control
 * characters, a byte that is not UTF-8 and one that is); lock A's class
 * is named NAME_CLASS (the same mix) with uld_lock_set_class(); lock B is
 * initialised in a function whose source file, as the debug info names it
 * (#line below), has a quote, a backslash, a control character and bytes
 * that are not UTF-8, so B's class ("lock_B [FILE:LINE]") and the frames'
 * "file" carry them.  names.sh checks that every JSON line of the
 * reports, the saved graph and `ulockdep report --format json|sarif`
 * parses, and what each name became.
 *
 * abba: main takes A then B, the other thread B then A: one
 * circular_dependency.  ordered: both A then B: silent.  exec: abba,
 * then exec PROG (files.sh: the report files are not inherited).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ulockdep/ulockdep.h"

/* At most 15 bytes: the kernel's limit for a thread name. */
#define NAME_THREAD "a\"b\\c\x01\t\xff\xc3\xa9"
#define NAME_CLASS "cls \"q\" \\ \x02\n\xfe\xe2\x82\xac"

static pthread_mutex_t lock_A, lock_B;
static int reversed;

static void lock_pair(pthread_mutex_t *first, pthread_mutex_t *second);

static void *
named_thread(void *arg)
{
	/* prctl, not pthread_setname_np: the same kernel name, and no
	 * libc check of its bytes. */
	prctl(PR_SET_NAME, NAME_THREAD, 0, 0, 0);
	if (reversed)
		lock_pair(&lock_B, &lock_A);
	else
		lock_pair(&lock_A, &lock_B);
	return NULL;
}

static void init_B(void);

int
main(int argc, char **argv)
{
	pthread_t t;

	int exec = argc > 2 && strcmp(argv[1], "exec") == 0;
	if (!exec && (argc != 2 || (strcmp(argv[1], "abba") != 0 &&
	    strcmp(argv[1], "ordered") != 0))) {
		fprintf(stderr, "usage: names abba|ordered|exec PROG ARGS...\n");
		return 2;
	}
	reversed = exec || strcmp(argv[1], "abba") == 0;
	/* Main is named too: its edge and usage records in the graph file
	 * carry the name (the other thread's B -> A edge is reported, not
	 * saved). */
	prctl(PR_SET_NAME, NAME_THREAD, 0, 0, 0);
	pthread_mutex_init(&lock_A, NULL);
	uld_lock_set_class(&lock_A, NULL, NAME_CLASS);
	init_B();
	lock_pair(&lock_A, &lock_B);
	if (pthread_create(&t, NULL, named_thread, NULL) != 0)
		return 1;
	pthread_join(t, NULL);
	if (exec) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		return 127;
	}
	return 0;
}

/* Everything below is, for the debug info, in this odd file (so are
 * the frames of lock_pair); the init call is on its line 3.  Not inlined
 * (nor a tail call): a class made in code inlined from another file is
 * named by where it was inlined to, then "(via ...)" this file. */
#line 1 "odd \"dir\"/q\"u\\o\x01t\xff\xc3(e.c"
static __attribute__((noinline)) void
init_B(void)
{ pthread_mutex_init(&lock_B, NULL); /* names.sh: B's init site */
	__asm__ volatile("" ::: "memory"); /* no tail call: the site is here */
}

static void
lock_pair(pthread_mutex_t *first, pthread_mutex_t *second)
{
	pthread_mutex_lock(first);
	pthread_mutex_lock(second);
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
}
