/*
 * test_htab.c: the command's hash table (tools/htab.c): every key found
 * again after the table has grown many times, keys with NULs, interning.
 */
#include <stdio.h>
#include <string.h>

#include "htab.h"
#include "tap.h"

int
main(void)
{
	struct uldt_htab h;
	char key[32];
	int created, bad = 0;

	uldt_htab_init(&h);
	ok(uldt_htab_get(&h, "x", 1, 0, NULL) == NULL,
	    "lookup in an empty table");
	for (long i = 0; i < 100000; i++) {
		int n = snprintf(key, sizeof(key), "sig/%016lx", i * 7919);
		struct uldt_hent *e = uldt_htab_get(&h, key, (size_t)n, 1,
		    &created);
		if (e == NULL || !created)
			bad++;
		else
			e->val = (void *)(i + 1);
	}
	is_int(bad, 0, "100000 distinct keys inserted");
	is_int(h.n, 100000, "and counted");
	for (long i = 0; i < 100000; i++) {
		int n = snprintf(key, sizeof(key), "sig/%016lx", i * 7919);
		struct uldt_hent *e = uldt_htab_get(&h, key, (size_t)n, 0, NULL);
		if (e == NULL || e->val != (void *)(i + 1))
			bad++;
	}
	is_int(bad, 0, "each found again with its value");
	ok(uldt_htab_find(&h, "sig/0000000000001eef", 20) != NULL &&
	    uldt_htab_find(&h, "sig/0000000000001eee", 20) == NULL,
	    "find: present and absent keys");
	struct uldt_hent *e = uldt_htab_get(&h, "sig/0000000000000000", 20, 1,
	    &created);
	ok(e != NULL && !created && h.n == 100000,
	    "inserting a present key finds it");
	ok(uldt_htab_get(&h, "sig/000000000000000", 19, 0, NULL) == NULL,
	    "a prefix of a key is another key");
	ok(uldt_htab_get(&h, "a\0b", 3, 1, &created) != NULL && created &&
	    uldt_htab_get(&h, "a\0c", 3, 1, &created) != NULL && created,
	    "keys differing after a NUL are distinct");

	const char *a = uldt_intern(&h, "host1"), *b;
	char copy[] = "host1";
	b = uldt_intern(&h, copy);
	ok(a != NULL && a == b && a != copy, "equal strings intern to one copy");
	ok(uldt_intern(&h, "host2") != a, "different strings do not");
	ok(uldt_intern(&h, NULL) == NULL, "NULL interns to NULL");
	uldt_htab_fini(&h);
	ok(h.n == 0 && h.e == NULL, "fini empties the table");
	return done_testing();
}
