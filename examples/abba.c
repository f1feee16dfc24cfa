/*
 * abba.c: two threads take two locks in opposite orders.
 *
 * The threads run one after the other, so this run never deadlocks; with
 * other timing it would.  ulockdep reports it the first time the second
 * order is taken.
 *
 *   LD_PRELOAD=libulockdep-preload.so ./abba
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t accounts_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static long balance, audited;

static void *
deposit(void *arg)
{
	pthread_setname_np(pthread_self(), "deposit");
	pthread_mutex_lock(&accounts_lock);
	pthread_mutex_lock(&audit_lock); /* accounts -> audit */
	balance += 10;
	audited++;
	pthread_mutex_unlock(&audit_lock);
	pthread_mutex_unlock(&accounts_lock);
	return arg;
}

static void *
audit(void *arg)
{
	pthread_setname_np(pthread_self(), "audit");
	pthread_mutex_lock(&audit_lock);
	pthread_mutex_lock(&accounts_lock); /* audit -> accounts: inverted */
	audited = balance;
	pthread_mutex_unlock(&accounts_lock);
	pthread_mutex_unlock(&audit_lock);
	return arg;
}

int
main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, deposit, NULL);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, audit, NULL);
	pthread_join(t, NULL);
	printf("balance %ld, audited %ld\n", balance, audited);
	return 0;
}
