/*
 * sleep_under_spin.c: the char-device open() handler that sleeps under a
 * spinlock, rewritten for threads.  dev_open() takes dev_lock and then
 * waits for the device (usleep stands for copy_from_user or a GFP_KERNEL
 * allocation in the kernel): every other opener spins meanwhile.
 *
 *   LD_PRELOAD=libulockdep-preload.so ./sleep_under_spin
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_spinlock_t dev_lock;
static int open_count;

static int
dev_open(void)
{
	pthread_spin_lock(&dev_lock);
	open_count++;
	usleep(1000); /* wait for the device: sleeps under dev_lock */
	pthread_spin_unlock(&dev_lock);
	return 0;
}

static void *
opener(void *arg)
{
	for (int i = 0; i < 3; i++)
		dev_open();
	return arg;
}

int
main(void)
{
	pthread_t t[2];

	pthread_spin_init(&dev_lock, PTHREAD_PROCESS_PRIVATE);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, opener, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("opened %d times\n", open_count);
	return 0;
}
