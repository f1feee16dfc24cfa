/*
 * htab.h: a hash table from byte strings to pointers, and string interning.
 *
 * `report` and `merge` read up to millions of records and must find the
 * one report of a signature, the processes already counted for it and the
 * strings (hosts, files, classes) already seen in constant time.  The
 * table copies each key once, on insertion, and never frees a value:
 * values belong to the caller.  Open addressing, linear probing, grown x2
 * at half full; no deletion (nothing the command reads is ever forgotten).
 */
#ifndef ULDT_HTAB_H
#define ULDT_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct uldt_hent {
	uint64_t hash;
	char *key;	/* NUL-ended copy (keys may hold NULs too: see len) */
	size_t len;
	void *val;
};

struct uldt_htab {
	struct uldt_hent *e;
	size_t cap, n;
};

void uldt_htab_init(struct uldt_htab *h);
/* Frees the keys and the table, not the values. */
void uldt_htab_fini(struct uldt_htab *h);
/*
 * The entry of `key`, or NULL when absent and !create.  With create, an
 * absent key is added with val NULL (*created set to 1); NULL only when
 * memory runs out.  The pointer is valid until the next insertion.
 */
struct uldt_hent *uldt_htab_get(struct uldt_htab *h, const void *key,
    size_t len, int create, int *created);
/* The entry of `key`, or NULL: a lookup that never changes the table. */
struct uldt_hent *uldt_htab_find(const struct uldt_htab *h, const void *key,
    size_t len);
/* One copy of each distinct string: equal strings get equal pointers
 * (so they compare with ==).  NULL stays NULL, and out of memory gives
 * NULL. */
const char *uldt_intern(struct uldt_htab *h, const char *s);

#endif /* ULDT_HTAB_H */
