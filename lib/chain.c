/*
 * chain.c: the global set of validated chains.
 */
#include "chain.h"

#include <urcu-bp.h>
#include <urcu/rculfhash.h>

#include "alloc.h"
#include "lfht.h"
#include "util.h"

struct chain {
	struct cds_lfht_node node;
	uint64_t key;
};

static struct uld__lfht chain_ht;
static uint64_t nchains;

void
uld__chain_init(void)
{
	uld__lfht_create(&chain_ht, ULD_LFHT_INIT_BUCKETS, 1UL << 26);
}

uint64_t
uld__chain_count(void)
{
	return nchains;
}

static int
match(struct cds_lfht_node *node, const void *key)
{
	return uld__container_of(node, struct chain, node)->key ==
	    *(const uint64_t *)key;
}

int
uld__chain_lookup(struct uld__thread *t, uint64_t key)
{
	struct cds_lfht_iter iter;
	int found;

	rcu_read_lock();
	cds_lfht_lookup(chain_ht.ht, key, match, &key, &iter);
	found = cds_lfht_iter_get_node(&iter) != NULL;
	rcu_read_unlock();
	if (found)
		t->ccache[key & (ULD_CCACHE_SIZE - 1)] = key;
	return found;
}

int
uld__chain_add(struct uld__thread *t, uint64_t key)
{
	/* Never freed: chains are forgotten only with the process. */
	struct chain *c = uld__perm_alloc(sizeof(*c));

	t->ccache[key & (ULD_CCACHE_SIZE - 1)] = key;
	if (c == NULL)
		return 1;
	c->key = key;
	cds_lfht_node_init(&c->node);
	rcu_read_lock();
	struct cds_lfht_node *got = cds_lfht_add_unique(chain_ht.ht, key, match,
	    &key, &c->node);
	rcu_read_unlock();
	if (got != &c->node)
		return 0; /* c stays unused: 24 bytes, once per race lost */
	nchains++;
	uld__lfht_added(&chain_ht, 1);
	return 1;
}
