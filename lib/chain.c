/*
 * chain.c: the global set of validated chains.
 *
 * The set holds 64-bit keys and nothing else, is never shrunk, and is
 * written only under uld__graph_lock, so it is an open-addressing table
 * of keys read without any lock: a reader loads the current table and
 * probes it; a writer stores a key into an empty slot (one atomic store:
 * a reader sees the key or an empty slot, never half of one) and, past
 * half full, copies every key into a table twice the size and publishes
 * that.  Old tables are never freed (their total is less than the
 * current one's size), so a reader still probing one is safe, and merely
 * misses the keys added since: it then takes the slow path, whose
 * uld__chain_add finds the key and says so.
 *
 * It replaced a cds_lfht, whose add (~200 instructions), RCU read-side
 * sections (~90, with urcu-bp's __tls_get_addr) and bucket splits (~175
 * a chain, amortised) were a sixth of a new chain's cost; the table's
 * keys are already well mixed (uld__chain_next), so a key's bits are
 * its slot.
 */
#include "chain.h"

#include "alloc.h"
#include "util.h"

struct chain_table {
	uint64_t mask;	/* slots - 1 */
	uint64_t key[]; /* 0: empty */
};

/* 2^10 slots: 8 KB, made at the first new chain, not at start-up. */
#define CHAIN_INIT_SLOTS 1024

static struct chain_table *table;
static uint64_t nchains;
/* Key 0 marks an empty slot, so the one chain whose key is 0 (one in
 * 2^64) is kept here instead. */
static int zero_seen;

void
uld__chain_init(void)
{
}

uint64_t
uld__chain_count(void)
{
	return nchains;
}

static int
find(const struct chain_table *tb, uint64_t key)
{
	for (uint64_t s = key & tb->mask;; s = (s + 1) & tb->mask) {
		uint64_t k = __atomic_load_n(&tb->key[s], __ATOMIC_RELAXED);
		if (k == key)
			return 1;
		if (k == 0)
			return 0;
	}
}

int
uld__chain_lookup(struct uld__thread *t, uint64_t key)
{
	const struct chain_table *tb = __atomic_load_n(&table,
	    __ATOMIC_ACQUIRE);
	int found = key == 0 ? __atomic_load_n(&zero_seen, __ATOMIC_RELAXED)
			     : tb != NULL && find(tb, key);

	if (found)
		t->ccache[key & (ULD_CCACHE_SIZE - 1)] = key;
	return found;
}

static void
put(struct chain_table *tb, uint64_t key)
{
	uint64_t s = key & tb->mask;

	while (tb->key[s] != 0)
		s = (s + 1) & tb->mask;
	__atomic_store_n(&tb->key[s], key, __ATOMIC_RELAXED);
}

/*
 * Room for one more key at most half full: a table twice the size, or
 * the first one.  0 when there is room (if memory ran out, the current
 * table takes keys up to 7/8 full; past that, chains are validated but
 * not recorded, and come back to the slow path).
 */
static int
room(void)
{
	uint64_t slots = table ? table->mask + 1 : 0;

	if (table != NULL && 2 * (nchains + 1) <= slots)
		return 0;
	uint64_t nslots = slots ? 2 * slots : CHAIN_INIT_SLOTS;
	/* Zeroed: jemalloc knows which fresh pages need no memset. */
	struct chain_table *tb = uld__calloc(1, sizeof(*tb) +
	    nslots * sizeof(tb->key[0]));

	if (tb == NULL)
		return table != NULL && 8 * (nchains + 1) <= 7 * slots ? 0 : -1;
	/* The keys are hashes: they land on every page of it. */
	uld__prefault(tb, sizeof(*tb) + nslots * sizeof(tb->key[0]));
	tb->mask = nslots - 1;
	for (uint64_t s = 0; s < slots; s++)
		if (table->key[s] != 0)
			put(tb, table->key[s]);
	/* The old table stays: readers may be probing it. */
	__atomic_store_n(&table, tb, __ATOMIC_RELEASE);
	return 0;
}

int
uld__chain_add(struct uld__thread *t, uint64_t key)
{
	t->ccache[key & (ULD_CCACHE_SIZE - 1)] = key;
	if (key == 0) {
		if (zero_seen)
			return 0;
		__atomic_store_n(&zero_seen, 1, __ATOMIC_RELAXED);
		nchains++;
		return 1;
	}
	if (table != NULL && find(table, key))
		return 0;
	if (room() != 0)
		return 1;
	put(table, key);
	nchains++;
	return 1;
}
