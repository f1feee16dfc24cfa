/*
 * util.h: small helpers shared by every file of the core.
 */
#ifndef ULD_UTIL_H
#define ULD_UTIL_H

#include "lockrules.h"
#include <stddef.h>
#include <stdint.h>

#define uld__likely(x) __builtin_expect(!!(x), 1)
#define uld__unlikely(x) __builtin_expect(!!(x), 0)
#define ULD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define uld__container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

/* Everything not static is hidden (-fvisibility=hidden); this says so. */
#define ULD_HIDDEN __attribute__((visibility("hidden")))
#define ULD_TLS __thread __attribute__((tls_model("initial-exec")))

/* Build configuration as a constant, so debug code is always compiled. */
static const int uld__config_debug = ULD_CONFIG_DEBUG;


/* A 64-bit mixer (splitmix64 finaliser) for chain keys and address hashes. */
static inline uint64_t
uld__mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

#endif /* ULD_UTIL_H */
