/*
 * life_mod.c: a module that life.c dlopens and dlcloses, built twice
 * (liblifemod1.so, liblifemod2.so, MOD = 1 or 2) so that the second, loaded
 * after the first is closed, may land at the same address with other
 * names: a static lock (its class is its symbol, mod1_static_lock or
 * mod2_static_lock), and a heap lock initialised here (its class is this
 * file's init line).  Module 2 has extra code in front, so that the same
 * offsets hold other functions.
 */
#include <pthread.h>
#include <stdlib.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#if MOD == 1
#define N(x) CAT(mod1_, x)
#else
#define N(x) CAT(mod2_, x)
#endif

const char *mod_name(void);
void mod_static_then(void (*cb)(void));
pthread_mutex_t *mod_new_lock(void);
void mod_lock_then(pthread_mutex_t *m, void (*cb)(void));

static pthread_mutex_t N(static_lock) = PTHREAD_MUTEX_INITIALIZER;

#if MOD == 2
/* Padding: module 2's functions do not start where module 1's did. */
int mod2_padding(int x);
__attribute__((noinline, used)) int
mod2_padding(int x)
{
	volatile int v = x;
	for (int i = 0; i < 64; i++)
		v = v * 31 + i;
	return v;
}
#endif

__attribute__((noinline)) static void
N(take_static)(void (*cb)(void))
{
	pthread_mutex_lock(&N(static_lock));
	if (cb)
		cb();
	pthread_mutex_unlock(&N(static_lock));
}

const char *
mod_name(void)
{
	return MOD == 1 ? "lifemod1" : "lifemod2";
}

void
mod_static_then(void (*cb)(void))
{
	N(take_static)(cb);
}

pthread_mutex_t *
mod_new_lock(void)
{
	pthread_mutex_t *m = malloc(sizeof(*m));

	pthread_mutex_init(m, NULL); /* the class of module 1's heap lock */
	return m;
}

void
mod_lock_then(pthread_mutex_t *m, void (*cb)(void))
{
	pthread_mutex_lock(m);
	cb(); /* module 1's frame in the saved stack */
	pthread_mutex_unlock(m);
}
