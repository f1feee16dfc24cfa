/*
 * graphfile.c: saved graphs into the union (graphfile.h,
 * doc/graph-format.md): files read whole, line by line through
 * graphline.c, every record checked against what the file defined
 * before it (apply), a bad line named FILE:LINE and skipped while the
 * rest of the file is used; then the union's run lists and adjacency.
 */
#include "graphfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "graphfile_priv.h"
#include "json.h"
#include "tool.h"

/* ---- applying a record to the union ---- */

static void
example_set(struct reader *rd, struct uldt_example *ex, const struct rec *r,
    uint32_t stack_idx)
{
	ex->run = rd->run;
	ex->tid = r->has_tid ? (int)r->tid : 0;
	ex->thread = r->thread.s ? uldt_xstrndup(r->thread.s, r->thread.n)
				 : uldt_xstrndup("?", 1);
	ex->stack_off = -1;
	ex->stack_len = 0;
	if (stack_idx != UINT32_MAX) {
		ex->stack_off = rd->stacks[stack_idx].off;
		ex->stack_len = rd->stacks[stack_idx].len;
	}
}

/* A file id (>= 0) that an earlier line defined; UINT32_MAX if not (the
 * error is printed). */
static uint32_t
lookup_id(struct reader *rd, const struct idmap *m, long long id,
    const char *what)
{
	uint32_t v = uldt_ids_get(m, id);

	if (v == UINT32_MAX) {
		char msg[96];
		snprintf(msg, sizeof(msg), "%s %lld is not defined on an "
		    "earlier line", what, id);
		uldt_gf_bad(rd, msg);
	}
	return v;
}

static struct uldt_run_usage *
run_usage(struct reader *rd, struct uldt_class *c)
{
	if (c->nru && c->ru[c->nru - 1].run == rd->run)
		return &c->ru[c->nru - 1];
	GROW(c->ru, c->nru, c->ru_cap);
	struct uldt_run_usage *ru = &c->ru[c->nru++];
	memset(ru, 0, sizeof(*ru));
	ru->run = rd->run;
	return ru;
}

static void
add_usage(struct reader *rd, struct uldt_class *c, int kind, uint64_t sigs,
    const struct rec *r, uint32_t stack_idx)
{
	struct uldt_run_usage *ru = run_usage(rd, c);

	ru->u[kind] |= sigs;
	c->usage[kind] |= sigs;
	if (r == NULL)
		return;
	/* A trace for the signals no earlier trace of this kind covers. */
	uint64_t covered = 0;
	for (uint32_t i = 0; i < c->nux; i++)
		if (c->ux[i].kind == kind)
			covered |= c->ux[i].sigs;
	if ((sigs & ~covered) == 0)
		return;
	GROW(c->ux, c->nux, c->ux_cap);
	struct uldt_usage_ex *ux = &c->ux[c->nux++];
	ux->kind = (uint8_t)kind;
	ux->sigs = sigs & ~covered;
	example_set(rd, &ux->ex, r, stack_idx);
}

static uint32_t
class_get(struct uldt_union *u, const struct rec *r)
{
	uint64_t h = uldt_hash_str(r->name.s, r->name.n);
	size_t pos = SIZE_MAX;
	uint32_t i;

	while ((i = uldt_map_next(u->name_map, h, &pos)) != UINT32_MAX) {
		const char *n = u->classes[i].name;
		if (strncmp(n, r->name.s, r->name.n) == 0 &&
		    n[r->name.n] == '\0')
			return i;
	}
	GROW(u->classes, u->nclasses, u->classes_cap);
	i = u->nclasses++;
	struct uldt_class *c = &u->classes[i];
	memset(c, 0, sizeof(*c));
	c->name = uldt_xstrndup(r->name.s, r->name.n);
	c->name_len = r->name.n;
	c->kind = r->kind.s ? uldt_xstrndup(r->kind.s, r->kind.n)
			    : uldt_xstrndup("?", 1);
	c->type = r->ctype.s ? uldt_xstrndup(r->ctype.s, r->ctype.n)
			     : uldt_xstrndup("?", 1);
	uldt_map_put(u->name_map, h, i);
	return i;
}

static void
apply_edge(struct reader *rd, const struct rec *r, uint32_t stack_idx)
{
	struct uldt_union *u = rd->u;
	uint32_t from = lookup_id(rd, &rd->class_ids, r->from, "class");
	uint32_t to = from == UINT32_MAX ? UINT32_MAX
	    : lookup_id(rd, &rd->class_ids, r->to, "class");

	if (to == UINT32_MAX)
		return;
	if (!r->has_deps || r->deps == 0) {
		uldt_gf_bad(rd, "edge: \"deps\" must be a non-empty array of "
		    "\"EN\", \"ER\", \"SN\", \"SR\"");
		return;
	}
	uint64_t key = (uint64_t)from << 32 | to;
	uint32_t i = uldt_map_get(u->edge_map, key);
	struct uldt_edge *e;
	if (i == UINT32_MAX) {
		GROW(u->edges, u->nedges, u->edges_cap);
		i = u->nedges++;
		e = &u->edges[i];
		memset(e, 0, sizeof(*e));
		e->from = from;
		e->to = to;
		example_set(rd, &e->ex, r, stack_idx);
		uldt_map_put(u->edge_map, key, i);
	}
	/* Logged, not appended to the edge: the edges are touched once,
	 * in order, when the reading is done (seen_lists). */
	GROW(u->log, u->nlog, u->log_cap);
	u->log[u->nlog].edge = i;
	u->log[u->nlog++].seen = rd->run | (uint32_t)r->deps << 28;
}

/* Each edge's runs from the log, in one array: the log is in run order,
 * so each list comes out sorted; a run's repeats of an edge are OR-ed. */
static void
seen_lists(struct uldt_union *u)
{
	uint32_t *count = uldt_xrealloc(NULL, (u->nedges + 1) * sizeof(*count));
	size_t total = 0;

	memset(count, 0, (u->nedges + 1) * sizeof(*count));
	for (size_t k = 0; k < u->nlog; k++)
		count[u->log[k].edge]++;
	free(u->seen_all);
	u->seen_all = uldt_xrealloc(NULL, (u->nlog + 1) * sizeof(*u->seen_all));
	for (uint32_t i = 0; i < u->nedges; i++) {
		u->edges[i].seen = u->seen_all + total;
		u->edges[i].nseen = 0;
		u->edges[i].deps = 0;
		total += count[i];
	}
	for (size_t k = 0; k < u->nlog; k++) {
		struct uldt_edge *e = &u->edges[u->log[k].edge];
		uint32_t x = u->log[k].seen;
		e->deps |= ULDT_SEEN_DEPS(x);
		if (e->nseen && ULDT_SEEN_RUN(e->seen[e->nseen - 1]) ==
		    ULDT_SEEN_RUN(x))
			e->seen[e->nseen - 1] |= x;
		else
			e->seen[e->nseen++] = x;
	}
	free(count);
	free(u->log);
	u->log = NULL;
	u->nlog = u->log_cap = 0;
}

static void
apply(struct reader *rd, const struct rec *r, long long off, size_t len)
{
	struct uldt_union *u = rd->u;
	uint32_t stack_idx = UINT32_MAX;

	/* A reference to a stack (usage and edge lines). */
	if (r->type != R_STACK && r->has_stack) {
		stack_idx = lookup_id(rd, &rd->stack_ids, r->stack, "stack");
		if (stack_idx == UINT32_MAX)
			return;
	}
	switch (r->type) {
	case R_STACK:
		if (r->stack < 0 || uldt_ids_get(&rd->stack_ids, r->stack) !=
		    UINT32_MAX) {
			uldt_gf_bad(rd, r->stack < 0 ? "stack: negative id"
			    : "stack: id defined twice");
			return;
		}
		GROW(rd->stacks, rd->nstacks, rd->stacks_cap);
		rd->stacks[rd->nstacks].off = off;
		rd->stacks[rd->nstacks].len = (uint32_t)len;
		uldt_ids_put(&rd->stack_ids, r->stack, rd->nstacks++);
		return;
	case R_CLASS: {
		if (r->class < 0 || uldt_ids_get(&rd->class_ids, r->class) !=
		    UINT32_MAX) {
			uldt_gf_bad(rd, r->class < 0 ? "class: negative id"
			    : "class: id defined twice");
			return;
		}
		if (!r->has_name || r->name.n == 0) {
			uldt_gf_bad(rd, "class: \"name\" must be a non-empty "
			    "string");
			return;
		}
		/* Runs of one program mostly number their classes alike:
		 * try the class this id was last time before hashing. */
		uint32_t c = uldt_ids_get(&rd->hint, r->class);
		if (c == UINT32_MAX || u->classes[c].name_len != r->name.n ||
		    memcmp(u->classes[c].name, r->name.s, r->name.n) != 0) {
			c = class_get(u, r);
			uldt_ids_put(&rd->hint, r->class, c);
		}
		uldt_ids_put(&rd->class_ids, r->class, c);
		for (int k = 0; k < 4; k++)
			if (r->use[k])
				add_usage(rd, &u->classes[c], k, r->use[k], NULL,
				    UINT32_MAX);
		return;
	}
	case R_USAGE: {
		uint32_t c = lookup_id(rd, &rd->class_ids, r->usage, "class");
		if (c == UINT32_MAX)
			return;
		int kind = r->has_bit ? uldt_gf_usage_kind(r->bit.s, r->bit.n) : -1;
		if (kind < 0) {
			uldt_gf_bad(rd, "usage: \"bit\" must be used_in_write, "
			    "used_in_read, enabled_write or enabled_read");
			return;
		}
		if (!r->has_signals || r->signals == 0) {
			uldt_gf_bad(rd, "usage: \"signals\" must be a non-empty "
			    "array of signal names");
			return;
		}
		add_usage(rd, &u->classes[c], kind, r->signals, r, stack_idx);
		return;
	}
	case R_EDGE:
		apply_edge(rd, r, stack_idx);
		return;
	case R_END:
	case R_HEADER:
	case R_NONE:
		return;
	}
}

/* ---- one file ---- */

/* A whole file, read (not mapped: a file truncated under a mapping
 * would kill the command with SIGBUS), NUL-terminated. */
static char *
read_whole(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t cap = 65536, n = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return NULL;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	buf = uldt_xrealloc(NULL, cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = uldt_xrealloc(buf, cap);
		}
		ssize_t k = read(fd, buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static const char *
header_str(const struct uldt_json *h, const char *key)
{
	const char *s = uldt_json_str(uldt_json_get(h, key));

	return s ? s : "?";
}

/* The header: 0 and a new run, or -1 (the file is not used). */
static int
read_header(struct reader *rd, const char *line, size_t len)
{
	struct uldt_union *u = rd->u;
	struct uldt_jdoc doc;
	char err[160];
	long long ver, pid = 0;

	rd->line = 1;
	if (uldt_json_parse(&doc, line, len, err, sizeof(err)) < 0 ||
	    doc.root.type != ULDT_J_OBJ ||
	    uldt_json_str(uldt_json_get(&doc.root, "format")) == NULL ||
	    strcmp(uldt_json_str(uldt_json_get(&doc.root, "format")),
		"ulockdep-graph") != 0) {
		uldt_json_free(&doc);
		uldt_gf_bad(rd, "not a ulockdep graph (the first line has no "
		    "\"format\":\"ulockdep-graph\")");
		return -1;
	}
	const struct uldt_json *h = &doc.root;
	if (uldt_json_int(uldt_json_get(h, "version"), &ver) < 0) {
		uldt_json_free(&doc);
		uldt_gf_bad(rd, "header: \"version\" must be an integer");
		return -1;
	}
	if (ver != 1) {
		char msg[96];
		snprintf(msg, sizeof(msg), "version %lld not supported (this "
		    "ulockdep reads 1)", ver);
		uldt_json_free(&doc);
		uldt_gf_bad(rd, msg);
		return -1;
	}
	const struct uldt_json *p = uldt_json_get(h, "pid");
	if (p != NULL && uldt_json_int(p, &pid) < 0)
		uldt_gf_bad(rd, "header: \"pid\" must be an integer");
	/* The signals table, which all_except sets are read against. */
	const struct uldt_json *tab = uldt_json_get(h, "signals");
	rd->table = 0;
	rd->has_table = 0;
	if (tab != NULL) {
		int okt = tab->type == ULDT_J_ARR;
		for (size_t i = 0; okt && i < tab->u.arr.n; i++) {
			const struct uldt_json *s = &tab->u.arr.v[i];
			int b = s->type == ULDT_J_STR && s->u.str.len
			    ? uldt_gf_sig_bit(u, s->u.str.s, s->u.str.len) : -1;
			if (b < 0)
				okt = 0;
			else
				rd->table |= 1ULL << b;
		}
		if (okt)
			rd->has_table = 1;
		else
			uldt_gf_bad(rd, "header: \"signals\" must be an array "
			    "of signal names (at most 64 distinct in all files)");
	}
	const struct uldt_json *sigs = uldt_json_get(h, "softirq_signals");
	uint64_t soft = 0;
	if (sigs == NULL) {
		static const char *const def[] = { "SIGALRM", "SIGVTALRM",
			"SIGPROF" };
		for (int i = 0; i < 3; i++) {
			int b = uldt_gf_sig_bit(u, def[i], strlen(def[i]));
			if (b >= 0)
				soft |= 1ULL << b;
		}
	} else {
		uldt_gl_sigset(rd, sigs, "softirq_signals", &soft);
	}
	GROW(u->runs, u->nruns, u->runs_cap);
	struct uldt_run *run = &u->runs[u->nruns];
	rd->run = u->nruns++;
	run->path = uldt_xstrndup(rd->path, strlen(rd->path));
	run->pid = pid;
	run->exe = uldt_xstrndup(header_str(h, "exe"), strlen(header_str(h, "exe")));
	run->host = uldt_xstrndup(header_str(h, "host"),
	    strlen(header_str(h, "host")));
	run->time = uldt_xstrndup(header_str(h, "time"),
	    strlen(header_str(h, "time")));
	run->softirq = soft;
	run->complete = 0;
	uldt_json_free(&doc);
	return 0;
}

static void
read_trailer_check(struct reader *rd, const struct rec *r, long endline)
{
	/* Trailer order: classes, edges, stacks (and usage below). */
	const long long *got[3] = { &rd->counted[1], &rd->counted[3],
		&rd->counted[0] };
	int ok = 1;

	for (int i = 0; i < 3; i++)
		if (!r->has_cnt[i] || r->cnt[i] != *got[i])
			ok = 0;
	if (r->has_usage && r->usage != rd->counted[2])
		ok = 0;
	if (ok) {
		rd->u->runs[rd->run].complete = rd->errors == 0;
		return;
	}
	char msg[256];
	snprintf(msg, sizeof(msg), "cut short: the trailer counts %lld "
	    "classes, %lld edges, %lld stacks, %lld usage, but the file has "
	    "%lld, %lld, %lld, %lld",
	    r->cnt[0], r->cnt[1], r->cnt[2], r->has_usage ? r->usage : 0,
	    rd->counted[1], rd->counted[3], rd->counted[0], rd->counted[2]);
	rd->line = endline;
	uldt_gf_bad(rd, msg);
}

/* An edge line parsed but not applied yet (read_file). */
struct pending {
	struct rec r;
	long line;		/* 0: none */
	long long off;
	size_t len;
};

static void
flush(struct reader *rd, struct pending *pd)
{
	if (pd->line == 0)
		return;
	long line = rd->line;
	rd->line = pd->line;	/* errors name the edge's line */
	apply(rd, &pd->r, pd->off, pd->len);
	rd->line = line;
	pd->line = 0;
}

static void
prefetch_edge(const struct reader *rd, const struct rec *r)
{
	uint32_t from = uldt_ids_get(&rd->class_ids, r->from);
	uint32_t to = uldt_ids_get(&rd->class_ids, r->to);

	if (from != UINT32_MAX && to != UINT32_MAX)
		uldt_map_prefetch(rd->u->edge_map, (uint64_t)from << 32 | to);
}

static void
read_file(struct uldt_union *u, const char *path, struct reader *rd)
{
	size_t len;
	char *buf = read_whole(path, &len);

	rd->u = u;
	rd->path = path;
	rd->line = 0;
	rd->errors = 0;
	rd->nstacks = 0;
	memset(rd->counted, 0, sizeof(rd->counted));
	uldt_ids_clear(&rd->class_ids);
	uldt_ids_clear(&rd->stack_ids);
	if (buf == NULL) {
		uldt_error(path, 0, "cannot read: %s", strerror(errno));
		rd->errors++;
		return;
	}
	if (len == 0) {
		uldt_error(path, 0, "not a ulockdep graph (empty file)");
		rd->errors++;
		free(buf);
		return;
	}
	char *p = buf, *end = buf + len;
	char *nl = memchr(p, '\n', len);
	size_t l0 = nl ? (size_t)(nl - p) : len;
	if (read_header(rd, p, l0) < 0) {
		free(buf);
		return;
	}
	p = nl ? nl + 1 : end;
	long trailer = 0;
	/* An edge line waits for the next line to be parsed before it is
	 * applied, its hash slot prefetched meanwhile: the edge map misses
	 * the cache on most lookups of a big union. */
	struct pending pend = { .line = 0 };
	for (rd->line = 2; p < end; rd->line++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		long long off = p - buf;
		struct rec r;
		if (trailer) {
			flush(rd, &pend);
			uldt_gf_bad(rd, "a record after the trailer");
		} else if (l == 0) {
			flush(rd, &pend);
			uldt_gf_bad(rd, "empty line");
		} else if (uldt_gl_fast(rd, p, l, &r) == 0 &&
		    (r.type = uldt_gl_classify(&r)) != R_NONE) {
			rd->counted[r.type == R_STACK ? 0 : r.type == R_CLASS
			    ? 1 : r.type == R_USAGE ? 2 : 3]++;
			if (r.type == R_EDGE) {
				prefetch_edge(rd, &r);
				flush(rd, &pend);
				pend.r = r;
				pend.line = rd->line;
				pend.off = off;
				pend.len = l;
			} else {
				flush(rd, &pend);
				apply(rd, &r, off, l);
			}
		} else {
			struct uldt_jdoc doc;
			flush(rd, &pend);
			unsigned long before = rd->errors;
			int rc = uldt_gl_dom(rd, p, l, &r, &doc);
			if (rc == 0 && r.type == R_END) {
				trailer = rd->line;
				read_trailer_check(rd, &r, rd->line);
			} else if (rc == 0) {
				apply(rd, &r, off, l);
			}
			uldt_json_free(&doc);
			if (rd->errors > before && nl == NULL)
				uldt_error(path, rd->line, "(the last line has "
				    "no end of line: the file was cut short)");
		}
		p = nl ? nl + 1 : end;
	}
	flush(rd, &pend);
	if (!trailer) {
		char msg[160];
		snprintf(msg, sizeof(msg), "cut short: no trailer (read %lld "
		    "classes, %lld edges, %lld stacks)", rd->counted[1],
		    rd->counted[3], rd->counted[0]);
		uldt_error(path, 0, "%s", msg);
		rd->errors++;
	}
	free(buf);
}

/* ---- the union ---- */

void
uldt_gf_init(struct uldt_union *u)
{
	memset(u, 0, sizeof(*u));
	u->name_map = uldt_map_new();
	u->edge_map = uldt_map_new();
}

static void
example_free(struct uldt_example *ex)
{
	free(ex->thread);
}

void
uldt_gf_free(struct uldt_union *u)
{
	for (uint32_t i = 0; i < u->nruns; i++) {
		free(u->runs[i].path);
		free(u->runs[i].exe);
		free(u->runs[i].host);
		free(u->runs[i].time);
	}
	for (uint32_t i = 0; i < u->nclasses; i++) {
		struct uldt_class *c = &u->classes[i];
		free(c->name);
		free(c->kind);
		free(c->type);
		free(c->ru);
		for (uint32_t k = 0; k < c->nux; k++)
			example_free(&c->ux[k].ex);
		free(c->ux);
	}
	for (uint32_t i = 0; i < u->nedges; i++) {
		example_free(&u->edges[i].ex);
	}
	for (unsigned i = 0; i < u->nsig; i++)
		free(u->sig[i]);
	free(u->runs);
	free(u->classes);
	free(u->edges);
	free(u->seen_all);
	free(u->log);
	free(u->adj_out);
	free(u->adj_in);
	uldt_map_free(u->name_map);
	uldt_map_free(u->edge_map);
	memset(u, 0, sizeof(*u));
}

static void
index_adjacency(struct uldt_union *u)
{
	u->adj_out = uldt_xrealloc(NULL, (u->nedges + 1) * sizeof(uint32_t));
	u->adj_in = uldt_xrealloc(NULL, (u->nedges + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < u->nclasses; i++)
		u->classes[i].nout = u->classes[i].nin = 0;
	for (uint32_t i = 0; i < u->nedges; i++) {
		u->classes[u->edges[i].from].nout++;
		u->classes[u->edges[i].to].nin++;
	}
	uint32_t o = 0, n = 0;
	for (uint32_t i = 0; i < u->nclasses; i++) {
		struct uldt_class *c = &u->classes[i];
		c->out = o;
		c->in = n;
		o += c->nout;
		n += c->nin;
		c->nout = c->nin = 0;
	}
	for (uint32_t i = 0; i < u->nedges; i++) {
		struct uldt_class *f = &u->classes[u->edges[i].from];
		struct uldt_class *t = &u->classes[u->edges[i].to];
		u->adj_out[f->out + f->nout++] = i;
		u->adj_in[t->in + t->nin++] = i;
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

unsigned long
uldt_gf_read_all(struct uldt_union *u, char **paths, int n)
{
	struct reader rd;
	int tty = isatty(2);
	double last = 0;

	memset(&rd, 0, sizeof(rd));
	rd.class_ids.max = rd.stack_ids.max = rd.hint.max = -1;
	rd.hint.big = uldt_map_new();
	for (int i = 0; i < n; i++) {
		if (tty && (i == 0 || i + 1 == n || now_s() - last > 0.1)) {
			last = now_s();
			fprintf(stderr, "\rreading %d/%d files", i + 1, n);
		}
		read_file(u, paths[i], &rd);
		if (rd.errors)
			u->bad_files++;
	}
	if (tty && n > 0)
		fputs("\r\033[K", stderr);
	uldt_ids_free(&rd.class_ids);
	uldt_ids_free(&rd.stack_ids);
	uldt_ids_free(&rd.hint);
	free(rd.stacks);
	seen_lists(u);
	index_adjacency(u);
	return u->bad_files;
}

/* ---- queries ---- */

const struct uldt_run_usage *
uldt_gf_run_usage(const struct uldt_class *c, uint32_t run)
{
	uint32_t lo = 0, hi = c->nru;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (c->ru[mid].run < run)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nru && c->ru[lo].run == run ? &c->ru[lo] : NULL;
}

uint8_t
uldt_gf_run_deps(const struct uldt_edge *e, uint32_t run)
{
	uint32_t lo = 0, hi = e->nseen;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (ULDT_SEEN_RUN(e->seen[mid]) < run)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < e->nseen && ULDT_SEEN_RUN(e->seen[lo]) == run
	    ? ULDT_SEEN_DEPS(e->seen[lo]) : 0;
}

const struct uldt_usage_ex *
uldt_gf_usage_ex(const struct uldt_class *c, int kind, unsigned sig)
{
	for (uint32_t i = 0; i < c->nux; i++)
		if (c->ux[i].kind == kind && (c->ux[i].sigs >> sig & 1))
			return &c->ux[i];
	return NULL;
}

void
uldt_gf_put_frames(const struct uldt_union *u, const struct uldt_example *ex,
    FILE *out)
{
	struct uldt_jdoc doc;
	char err[128];
	char *buf = NULL;
	int fd = -1, done = 0;

	if (ex == NULL || ex->stack_off < 0)
		goto out;
	fd = open(u->runs[ex->run].path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	buf = uldt_xrealloc(NULL, ex->stack_len + 1);
	if (pread(fd, buf, ex->stack_len, ex->stack_off) !=
	    (ssize_t)ex->stack_len)
		goto out;
	if (uldt_json_parse(&doc, buf, ex->stack_len, err, sizeof(err)) == 0) {
		const struct uldt_json *f = uldt_json_get(&doc.root, "frames");
		if (f != NULL && f->type == ULDT_J_ARR) {
			uldt_json_put(out, f);
			done = 1;
		}
	}
	uldt_json_free(&doc);
out:
	if (!done)
		fputs("[]", out);
	free(buf);
	if (fd >= 0)
		close(fd);
}


int
uldt_gf_is_soft(const struct uldt_union *u, int run, unsigned sig)
{
	if (u->nruns == 0)
		return 0;
	return (int)(u->runs[run < 0 ? 0 : run].softirq >> sig & 1);
}
