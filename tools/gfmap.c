/*
 * gfmap.c: memory and the hash maps of the graph reader
 * (graphfile_priv.h): a u64 -> u32 map, open addressing with linear
 * probing, grown at half full, key and value side by side so that a
 * probe is one cache line; and a file's ids, which writers number from
 * 1, in an array, with the map only for ids past IDS_DIRECT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphfile_priv.h"

void *
uldt_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL) {
		fputs("ulockdep: out of memory\n", stderr);
		exit(2);
	}
	return q;
}

char *
uldt_xstrndup(const char *s, size_t n)
{
	char *d = uldt_xrealloc(NULL, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct uldt_map *
uldt_map_new(void)
{
	struct uldt_map *m = uldt_xrealloc(NULL, sizeof(*m));

	memset(m, 0, sizeof(*m));
	return m;
}

void
uldt_map_free(struct uldt_map *m)
{
	if (m == NULL)
		return;
	free(m->s);
	free(m);
}

void
uldt_map_clear(struct uldt_map *m)
{
	for (size_t i = 0; m->n && i < m->cap; i++)
		m->s[i].val = UINT32_MAX;
	m->n = 0;
}

static void
map_grow(struct uldt_map *m)
{
	struct uldt_map old = *m;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->s = uldt_xrealloc(NULL, m->cap * sizeof(*m->s));
	for (size_t i = 0; i < m->cap; i++)
		m->s[i].val = UINT32_MAX;
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.s[i].val != UINT32_MAX)
			uldt_map_put(m, old.s[i].key, old.s[i].val);
	free(old.s);
}

/* Add key -> val (duplicates of a key are allowed: map_next walks them). */
void
uldt_map_put(struct uldt_map *m, uint64_t key, uint32_t val)
{
	if (2 * (m->n + 1) > m->cap)
		map_grow(m);
	size_t i = mix(key) & (m->cap - 1);
	while (m->s[i].val != UINT32_MAX)
		i = (i + 1) & (m->cap - 1);
	m->s[i].key = key;
	m->s[i].val = val;
	m->n++;
}

/* The values stored under key: start with *pos = SIZE_MAX; UINT32_MAX at
 * the end. */
uint32_t
uldt_map_next(const struct uldt_map *m, uint64_t key, size_t *pos)
{
	if (m->cap == 0)
		return UINT32_MAX;
	size_t i = *pos == SIZE_MAX ? mix(key) & (m->cap - 1)
				    : (*pos + 1) & (m->cap - 1);
	for (; m->s[i].val != UINT32_MAX; i = (i + 1) & (m->cap - 1))
		if (m->s[i].key == key) {
			*pos = i;
			return m->s[i].val;
		}
	return UINT32_MAX;
}

void
uldt_map_prefetch(const struct uldt_map *m, uint64_t key)
{
	if (m->cap)
		__builtin_prefetch(&m->s[mix(key) & (m->cap - 1)]);
}

uint32_t
uldt_map_get(const struct uldt_map *m, uint64_t key)
{
	size_t pos = SIZE_MAX;

	return uldt_map_next(m, key, &pos);
}

uint64_t
uldt_hash_str(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint32_t
uldt_ids_get(const struct idmap *m, long long id)
{
	if (id < 0)
		return UINT32_MAX;
	if ((unsigned long long)id < m->cap)
		return m->v[id];
	return id >= IDS_DIRECT ? uldt_map_get(m->big, (uint64_t)id) : UINT32_MAX;
}

void
uldt_ids_put(struct idmap *m, long long id, uint32_t val)
{
	if (id >= IDS_DIRECT) {
		uldt_map_put(m->big, (uint64_t)id, val);
		return;
	}
	if ((unsigned long long)id >= m->cap) {
		size_t ncap = m->cap ? m->cap : 1024;
		while (ncap <= (size_t)id)
			ncap *= 2;
		m->v = uldt_xrealloc(m->v, ncap * sizeof(*m->v));
		memset(m->v + m->cap, 0xff, (ncap - m->cap) * sizeof(*m->v));
		m->cap = ncap;
	}
	m->v[id] = val;
	if (id > m->max)
		m->max = id;
}

void
uldt_ids_clear(struct idmap *m)
{
	if (m->max >= 0)
		memset(m->v, 0xff, (size_t)(m->max + 1) * sizeof(*m->v));
	m->max = -1;
	if (m->big == NULL)
		m->big = uldt_map_new();
	uldt_map_clear(m->big);
}

void
uldt_ids_free(struct idmap *m)
{
	free(m->v);
	uldt_map_free(m->big);
}
