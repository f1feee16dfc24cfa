/*
 * test_pageidx.c: the page -> instances index (lib/pageidx.c) against a
 * plain list of the addresses added and not removed.
 *
 * The index has two representations (a bit per 4-byte granule, a list
 * for addresses that are not 4-aligned) and a lock-free filter in front
 * of an exact collection; each answer must be the list's: hits() never
 * says no where the list has an address in the range (a lock freed
 * unseen), and range() gives exactly the list's addresses in it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pageidx.h"

#include "tap.h"

#define SPAN (3 * 4096)		/* three pages */
#define MAXREF SPAN

static char *base;
static unsigned char ref[SPAN]; /* 1: an address indexed at base + i */
static size_t nref;

static int
ref_has(uintptr_t a)
{
	return ref[a - (uintptr_t)base];
}

static void
ref_add(uintptr_t a)
{
	nref += !ref[a - (uintptr_t)base];
	ref[a - (uintptr_t)base] = 1;
}

static void
ref_del(uintptr_t a)
{
	nref -= ref[a - (uintptr_t)base];
	ref[a - (uintptr_t)base] = 0;
}

static size_t
ref_in(uintptr_t lo, uintptr_t hi)
{
	size_t n = 0;

	for (uintptr_t a = lo; a < hi; a++)
		n += ref_has(a);
	return n;
}

/* Does range() give exactly the reference's addresses in [lo, hi)? */
static int
same_range(uintptr_t lo, uintptr_t hi)
{
	static void *got[MAXREF];
	static unsigned char seen[SPAN];
	size_t n = uld__pageidx_range((void *)lo, hi - lo, got, MAXREF);
	int same = n == ref_in(lo, hi);

	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; same && i < n; i++) {
		uintptr_t a = (uintptr_t)got[i];
		same = a >= lo && a < hi && ref_has(a) &&
		    !seen[a - (uintptr_t)base]++;
	}
	return same;
}

static void
test_cases(void)
{
	uintptr_t p = (uintptr_t)base + 4096;

	ok(!uld__pageidx_hits((void *)p, 4096), "empty page: no hit");
	uld__pageidx_add((void *)(p + 40));
	ok(uld__pageidx_hits((void *)(p + 40), 40), "a lock at the start of "
	   "a range: hit");
	ok(uld__pageidx_hits((void *)(p + 1), 40), "a range around it: hit");
	ok(!uld__pageidx_hits((void *)p, 40), "the range ending where it "
	   "starts: no hit");
	ok(!uld__pageidx_hits((void *)(p + 41), 40), "a range starting just "
	   "after it: no hit");
	ok(uld__pageidx_hits((void *)(p - 8), 4096), "a range across the page "
	   "boundary: hit");
	uld__pageidx_add((void *)(p + 40));
	ok(uld__pageidx_used, "a lock indexed: memory is tracked");
	void *got[4];
	is_uint(uld__pageidx_range((void *)p, 4096, got, 4), 1,
	    "added twice: found once");
	uld__pageidx_del((void *)(p + 40));
	ok(!uld__pageidx_hits((void *)p, 4096), "removed: no hit");
	uld__pageidx_del((void *)(p + 40));
	ok(!uld__pageidx_hits((void *)p, 4096), "removed twice: no hit");

	/* Not 4-aligned: the odd list. */
	uld__pageidx_add((void *)(p + 65));
	uld__pageidx_add((void *)(p + 66));
	is_uint(uld__pageidx_range((void *)p, 4096, got, 4), 2,
	    "two unaligned locks found");
	ok(uld__pageidx_hits((void *)(p + 65), 1), "unaligned: hit");
	is_uint(uld__pageidx_range((void *)(p + 66), 10, got, 4), 1,
	    "range: only the one in it");
	ok(got[0] == (void *)(p + 66), "range: that one's address");
	uld__pageidx_del((void *)(p + 65));
	uld__pageidx_del((void *)(p + 66));
	is_uint(uld__pageidx_range((void *)p, 4096, got, 4), 0,
	    "unaligned removed: none found");
	ok(!uld__pageidx_hits((void *)p, 4096), "unaligned removed: no hit");
}

static void
test_random(void)
{
	unsigned long seed = 12345;
	int bad_hits = 0, bad_range = 0, bad_count = 0;

	for (int step = 0; step < 200000; step++) {
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		unsigned r = (unsigned)(seed >> 33);
		/* Mostly 8-aligned, some 4-aligned, a few anywhere. */
		uintptr_t off = r % SPAN;
		if (r % 16 < 12)
			off &= ~7UL;
		else if (r % 16 < 15)
			off &= ~3UL;
		uintptr_t a = (uintptr_t)base + off;
		switch ((r >> 20) % 4) {
		case 0:
		case 1:
			uld__pageidx_add((void *)a);
			ref_add(a);
			break;
		case 2:
			uld__pageidx_del((void *)a);
			ref_del(a);
			break;
		default: {
			uintptr_t len = 1 + (seed >> 7) % 5000;
			uintptr_t hi = a + len;
			if (hi > (uintptr_t)base + SPAN)
				hi = (uintptr_t)base + SPAN;
			if (ref_in(a, hi) && !uld__pageidx_hits((void *)a,
				hi - a))
				bad_hits++;
			if (!same_range(a, hi))
				bad_range++;
			break;
		}
		}
		if (step % 1000 == 0 && !same_range((uintptr_t)base,
			(uintptr_t)base + SPAN))
			bad_count++;
	}
	is_int(bad_hits, 0, "random: hits() never misses a lock in range");
	is_int(bad_range, 0, "random: range() gives exactly those in range");
	is_int(bad_count, 0, "random: every 1,000 steps, the whole span is exact");
	ok(same_range((uintptr_t)base, (uintptr_t)base + SPAN),
	    "all three pages: exactly the %zu indexed", nref);
}

int
main(void)
{
	/* Pages of our own: nothing else puts locks in them. */
	base = mmap(NULL, SPAN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(base != MAP_FAILED, "three pages mapped");
	if (base == MAP_FAILED)
		return done_testing();
	test_cases();
	test_random();
	return done_testing();
}
