/*
 * htab.c: open-addressing hash table with copied keys (htab.h).
 */
#include "htab.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64 bits: keys are short (signatures, names), so a simple
 * byte-at-a-time hash costs less than setting up a stronger one; the
 * final mix spreads the low bits that the table's mask uses. */
static uint64_t
hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

void
uldt_htab_init(struct uldt_htab *h)
{
	h->e = NULL;
	h->cap = h->n = 0;
}

void
uldt_htab_fini(struct uldt_htab *h)
{
	for (size_t i = 0; i < h->cap; i++)
		free(h->e[i].key);
	free(h->e);
	uldt_htab_init(h);
}

static int
grow(struct uldt_htab *h)
{
	size_t ncap = h->cap ? h->cap * 2 : 64;
	struct uldt_hent *ne = calloc(ncap, sizeof(*ne));

	if (ne == NULL)
		return -1;
	for (size_t i = 0; i < h->cap; i++) {
		if (h->e[i].key == NULL)
			continue;
		size_t j = h->e[i].hash & (ncap - 1);
		while (ne[j].key != NULL)
			j = (j + 1) & (ncap - 1);
		ne[j] = h->e[i];
	}
	free(h->e);
	h->e = ne;
	h->cap = ncap;
	return 0;
}

/* The slot of key: its entry, or the empty slot where it would go. */
static struct uldt_hent *
probe(const struct uldt_htab *h, uint64_t hash, const void *key, size_t len)
{
	size_t i = hash & (h->cap - 1);

	for (; h->e[i].key != NULL; i = (i + 1) & (h->cap - 1)) {
		struct uldt_hent *e = &h->e[i];
		if (e->hash == hash && e->len == len &&
		    memcmp(e->key, key, len) == 0)
			break;
	}
	return &h->e[i];
}

struct uldt_hent *
uldt_htab_find(const struct uldt_htab *h, const void *key, size_t len)
{
	if (h->cap == 0)
		return NULL;
	struct uldt_hent *e = probe(h, hash_bytes(key, len), key, len);
	return e->key != NULL ? e : NULL;
}

struct uldt_hent *
uldt_htab_get(struct uldt_htab *h, const void *key, size_t len, int create,
    int *created)
{
	uint64_t hash = hash_bytes(key, len);

	if (created != NULL)
		*created = 0;
	if (h->cap == 0 || (create && (h->n + 1) * 2 > h->cap)) {
		if (!create)
			return NULL;
		if (grow(h) < 0)
			return NULL;
	}
	struct uldt_hent *e = probe(h, hash, key, len);
	if (e->key != NULL)
		return e;
	if (!create)
		return NULL;
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, key, len);
	copy[len] = '\0';
	*e = (struct uldt_hent){ .hash = hash, .key = copy, .len = len };
	h->n++;
	if (created != NULL)
		*created = 1;
	return e;
}

const char *
uldt_intern(struct uldt_htab *h, const char *s)
{
	if (s == NULL)
		return NULL;
	struct uldt_hent *e = uldt_htab_get(h, s, strlen(s), 1, NULL);
	return e != NULL ? e->key : NULL;
}
