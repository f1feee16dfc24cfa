/*
 * graphfile.h: saved lock graphs (doc/graph-format.md, version 1) read
 * into one union graph, for `ulockdep merge` and `ulockdep graph`.
 *
 * Classes are the same class across files when their names are the same
 * (the signature rule), so the union is keyed by name.  Each edge keeps
 * its dependency types OR-ed over every run, which runs saw it (with the
 * types each saw: a run's own view decides whether that run could have
 * reported a cycle itself) and one example: the first run that saw it,
 * its thread and where its stack line is in that run's file.  Stacks are
 * not kept in memory: a report re-reads the few it shows
 * (uldt_gf_put_frames), so a thousand big files cost the memory of their
 * union, not of their stacks.
 *
 * Nothing here is shared between threads.
 */
#ifndef ULDT_GRAPHFILE_H
#define ULDT_GRAPHFILE_H

#include "lockrules.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Usage kinds, in the order of lib/irq.h (USED_IN_W, _R, ENABLED_W, _R). */
enum { ULDT_USED_IN_W, ULDT_USED_IN_R, ULDT_ENABLED_W, ULDT_ENABLED_R };
extern const char *const uldt_usage_keys[4]; /* "used_in_write", ... */


/* One input file: the run that wrote it. */
struct uldt_run {
	char *path;
	long long pid;
	char *exe, *host, *time;	/* "?" when the header lacks them */
	uint64_t softirq;		/* signal bits (uldt_union.sig) */
	int complete;			/* read to a matching trailer */
};

/* Where a record was seen: run, thread, and its stack line (off < 0:
 * none) in that run's file. */
struct uldt_example {
	uint32_t run;
	int tid;
	char *thread;
	long long stack_off;
	uint32_t stack_len;
};

/* seen[] entries: run index | deps << 28. */
#define ULDT_SEEN_RUN(x) ((x) & 0x0fffffffU)
#define ULDT_SEEN_DEPS(x) ((uint8_t)((x) >> 28))

struct uldt_edge {
	uint32_t from, to;
	uint8_t deps;			/* OR over every run */
	struct uldt_example ex;		/* the first run that saw it */
	uint32_t *seen, nseen;		/* sorted by run */
};

/* A class's usage in one run (bits per usage kind). */
struct uldt_run_usage {
	uint32_t run;
	uint64_t u[4];
};

/* The first trace of a usage kind for some signals. */
struct uldt_usage_ex {
	uint8_t kind;
	uint64_t sigs;
	struct uldt_example ex;
};

struct uldt_class {
	char *name, *kind, *type;	/* kind and type: as first seen */
	size_t name_len;
	uint64_t usage[4];		/* OR over every run */
	struct uldt_run_usage *ru;	/* runs with any usage, by run */
	uint32_t nru, ru_cap;
	struct uldt_usage_ex *ux;
	uint32_t nux, ux_cap;
	uint32_t out, nout, in, nin;	/* into uldt_union.adj_out/_in */
};

struct uldt_union {
	struct uldt_run *runs;
	uint32_t nruns, runs_cap;
	struct uldt_class *classes;
	uint32_t nclasses, classes_cap;
	struct uldt_edge *edges;
	uint32_t nedges, edges_cap;
	char *sig[64];			/* signal names; bit i is sig[i] */
	unsigned nsig;
	uint32_t *adj_out, *adj_in;	/* edge indices, by class */
	unsigned long bad_files;	/* files with any error */
	uint32_t *seen_all;		/* every edge's seen[] */
	struct { uint32_t edge, seen; } *log;	/* while reading */
	size_t nlog, log_cap;
	struct uldt_map *name_map, *edge_map;
};

void uldt_gf_init(struct uldt_union *u);
void uldt_gf_free(struct uldt_union *u);
/*
 * Read every file into the union, with progress on stderr when it is a
 * terminal.  Every problem is a uldt_error naming the file (and line);
 * what could be read is kept.  Returns the number of files with errors.
 * Then builds each edge's run list and the adjacency (out and in).
 */
unsigned long uldt_gf_read_all(struct uldt_union *u, char **paths, int n);

/* The run's usage of class c (NULL: none). */
const struct uldt_run_usage *uldt_gf_run_usage(const struct uldt_class *c,
    uint32_t run);
/* The deps run `run` saw for edge e, 0 if it did not see it. */
uint8_t uldt_gf_run_deps(const struct uldt_edge *e, uint32_t run);
/* The first trace of `kind` for signal bit `sig` of class c, or NULL. */
const struct uldt_usage_ex *uldt_gf_usage_ex(const struct uldt_class *c,
    int kind, unsigned sig);
/* Write the frames of an example's stack as a JSON array ("[]" when it
 * has none or its file no longer holds it). */
void uldt_gf_put_frames(const struct uldt_union *u,
    const struct uldt_example *ex, FILE *out);
/* "EN,SR"-style list of deps into buf. */
const char *uldt_gf_deps_str(uint8_t deps, char *buf, size_t len);
/* Is the signal bit a softirq in the run (or, run < 0, the first run)? */
int uldt_gf_is_soft(const struct uldt_union *u, int run, unsigned sig);

#endif /* ULDT_GRAPHFILE_H */
