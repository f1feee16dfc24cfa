/*
 * graphfile_priv.h: what the graph reader's files share (graphfile.c:
 * files and the union; graphline.c: one line into a record; gfmap.c:
 * memory and hash maps).  Not for merge.c or graph.c, which use
 * graphfile.h.
 */
#ifndef ULDT_GRAPHFILE_PRIV_H
#define ULDT_GRAPHFILE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "graphfile.h"
#include "json.h"

/* ---- memory: out of memory ends the command (exit 2), said once ---- */

void *uldt_xrealloc(void *p, size_t n);
char *uldt_xstrndup(const char *s, size_t n);

#define GROW(vec, n, cap)                                                    \
	do {                                                                 \
		if ((n) == (cap)) {                                          \
			(cap) = (cap) ? (cap) * 2 : 8;                       \
			(vec) = uldt_xrealloc((vec),                          \
			    (size_t)(cap) * sizeof(*(vec)));                  \
		}                                                            \
	} while (0)

/* ---- a u64 -> u32 hash map (open addressing, grown at half full; key
 * and value side by side: one cache line per probe) ---- */

struct slot {
	uint64_t key;
	uint32_t val;		/* UINT32_MAX: empty */
};

struct uldt_map {
	struct slot *s;
	size_t cap, n;
};

struct uldt_map *uldt_map_new(void);
void uldt_map_free(struct uldt_map *m);
void uldt_map_clear(struct uldt_map *m);
/* Add key -> val (duplicates of a key are allowed: map_next walks them). */
void uldt_map_put(struct uldt_map *m, uint64_t key, uint32_t val);
/* The values stored under key: start with *pos = SIZE_MAX; UINT32_MAX at
 * the end. */
uint32_t uldt_map_next(const struct uldt_map *m, uint64_t key, size_t *pos);
uint32_t uldt_map_get(const struct uldt_map *m, uint64_t key);
/* Start loading key's first slot into the cache. */
void uldt_map_prefetch(const struct uldt_map *m, uint64_t key);
/* FNV-1a of a byte string, for hashing names. */
uint64_t uldt_hash_str(const char *s, size_t n);

/* ---- a file's ids -> union indices: an array while ids are small
 * (writers number from 1), a hash map beyond ---- */

#define IDS_DIRECT (1 << 22)

struct idmap {
	uint32_t *v;
	size_t cap;
	long long max;
	struct uldt_map *big;
};

/* UINT32_MAX when id is not there. */
uint32_t uldt_ids_get(const struct idmap *m, long long id);
void uldt_ids_put(struct idmap *m, long long id, uint32_t val);
void uldt_ids_clear(struct idmap *m);
void uldt_ids_free(struct idmap *m);

/* ---- the record of one line, from either path ---- */

enum rtype { R_NONE, R_STACK, R_CLASS, R_USAGE, R_EDGE, R_END, R_HEADER };

struct slice {
	const char *s;
	size_t n;
};

struct rec {
	enum rtype type;
	int has_stack, has_class, has_usage, has_tid, has_edge, has_end;
	int has_frames, has_name, has_bit, has_signals, has_deps;
	int has_cnt[3];
	long long stack, class, usage, tid, from, to, cnt[3];
	struct slice name, kind, ctype, thread, bit;
	int has_use[4];
	uint64_t use[4], signals;
	uint8_t deps;
};

/* Per file state. */
struct reader {
	struct uldt_union *u;
	const char *path;
	uint32_t run;
	long line;
	unsigned long errors;
	struct idmap class_ids, stack_ids;
	struct idmap hint;	/* class id -> union class in earlier files */
	struct { long long off; uint32_t len; } *stacks;
	uint32_t nstacks, stacks_cap;
	long long counted[4];	/* stacks, classes, usage, edges seen */
	uint64_t table;		/* the header's signals table, as bits */
	int has_table;
	long long line_off;
};

/* Print "FILE:LINE: why" for the reader's line and count it. */
void uldt_gf_bad(struct reader *rd, const char *why);
/* Signal name -> bit, interned; -1 when 64 names are already taken. */
int uldt_gf_sig_bit(struct uldt_union *u, const char *s, size_t n);
/* "used_in_write"... -> ULDT_USED_IN_W...; -1 if none. */
int uldt_gf_usage_kind(const char *s, size_t n);
/*
 * One line into r: uldt_gl_fast reads the common lines (0) or gives up
 * (-1) without a word; uldt_gl_dom reads any line with json.c, counts it
 * for the trailer and says what is wrong (0 or -1).  *doc holds r's
 * strings: the caller frees it after use, whatever the result.
 */
int uldt_gl_fast(const struct reader *rd, const char *line, size_t len,
    struct rec *r);
int uldt_gl_dom(struct reader *rd, const char *line, size_t len,
    struct rec *r, struct uldt_jdoc *doc);
/* A signal set of the header (or any tree): 0, or -1 with the error
 * printed naming `key`. */
int uldt_gl_sigset(struct reader *rd, const struct uldt_json *v,
    const char *key, uint64_t *out);
/* The record type of a line uldt_gl_fast read (R_NONE: unknown). */
enum rtype uldt_gl_classify(const struct rec *r);

#endif /* ULDT_GRAPHFILE_PRIV_H */
