/*
 * lockrules.h: what the validator and the `ulockdep` command must compute
 * the same way, byte for byte.
 *
 * `ulockdep merge` judges the union of many runs' graphs by the rules a
 * process applies to its own, and its reports must carry the signature
 * that process would have given the same bug.  So the dependency types,
 * the strong-path rules and the signature hash live here once, as
 * header-only code with no dependency on the rest of the core: the
 * command includes this file and nothing else of lib/.
 */
#ifndef ULD_LOCKRULES_H
#define ULD_LOCKRULES_H

#include <stddef.h>
#include <stdint.h>

/* Dependency types: holder Exclusive/Shared x taker Non-recursive/Recursive
 * (lockdep-design.rst); their names in graph files are EN, ER, SN, SR. */
enum {
	ULD_DEP_EN = 1 << 0,
	ULD_DEP_ER = 1 << 1,
	ULD_DEP_SN = 1 << 2,
	ULD_DEP_SR = 1 << 3,
};

/*
 * Which edge types may follow an arrival in `state` (1: the previous edge
 * ended in a recursive reader)?  A recursive reader never waits for another
 * reader, so "-(xR)-> X -(Sx)->" cannot block: such a path is not strong
 * (lockdep-design.rst, "Recursive read locks").
 */
static inline uint8_t
uld__dep_allowed(uint8_t deps, int state)
{
	return state ? deps & (ULD_DEP_EN | ULD_DEP_ER) : deps;
}

/* State after taking an edge with the allowed types `a`: prefer N. */
static inline int
uld__dep_next_state(uint8_t a)
{
	return (a & (ULD_DEP_EN | ULD_DEP_SN)) ? 0 : 1;
}

/*
 * The same, walking against the edges: a state of 1 means "the path from
 * here on starts with a shared holder" (S*), so the edge into this class
 * must then not end in a recursive reader (xR), or the path is not strong.
 */
static inline uint8_t
uld__dep_allowed_back(uint8_t deps, int state)
{
	return state ? deps & (ULD_DEP_EN | ULD_DEP_SN) : deps;
}

static inline int
uld__dep_prev_state(uint8_t a)
{
	return (a & (ULD_DEP_EN | ULD_DEP_ER)) ? 0 : 1;
}

/* FNV-1a: stable across runs and machines (signatures rely on it). */
static inline uint64_t
uld__fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define ULD_FNV_INIT 0xcbf29ce484222325ULL

#endif /* ULD_LOCKRULES_H */
