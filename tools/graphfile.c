/*
 * graphfile.c: the saved-graph reader (graphfile.h, doc/graph-format.md).
 *
 * A file is read whole, then line by line.  Each line goes through a fast
 * scanner first, which handles the common case (no escapes in the strings
 * it keeps, integers where integers belong) without building a tree, and
 * gives up on anything else; the line is then parsed again with the
 * strict DOM reader of json.c, which either finds it valid (and the same
 * record struct is filled from the tree) or says exactly what is wrong.
 * So the scanner is only ever an optimisation: both paths feed apply(),
 * which does every check of ids and meanings, and a bad line is one
 * error naming FILE:LINE, skipped, while the rest of the file is used.
 */
#include "graphfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "tool.h"

const char *const uldt_usage_keys[4] = {
	"used_in_write", "used_in_read", "enabled_write", "enabled_read",
};

static const char *const dep_names[4] = { "EN", "ER", "SN", "SR" };

/* ---- memory ---- */

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL) {
		fputs("ulockdep: out of memory\n", stderr);
		exit(2);
	}
	return q;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

#define GROW(vec, n, cap)                                                    \
	do {                                                                 \
		if ((n) == (cap)) {                                          \
			(cap) = (cap) ? (cap) * 2 : 8;                       \
			(vec) = xrealloc((vec), (size_t)(cap) * sizeof(*(vec))); \
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

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static struct uldt_map *
map_new(void)
{
	struct uldt_map *m = xrealloc(NULL, sizeof(*m));

	memset(m, 0, sizeof(*m));
	return m;
}

static void
map_free(struct uldt_map *m)
{
	if (m == NULL)
		return;
	free(m->s);
	free(m);
}

static void
map_clear(struct uldt_map *m)
{
	for (size_t i = 0; m->n && i < m->cap; i++)
		m->s[i].val = UINT32_MAX;
	m->n = 0;
}

static void map_put(struct uldt_map *m, uint64_t key, uint32_t val);

static void
map_grow(struct uldt_map *m)
{
	struct uldt_map old = *m;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->s = xrealloc(NULL, m->cap * sizeof(*m->s));
	for (size_t i = 0; i < m->cap; i++)
		m->s[i].val = UINT32_MAX;
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.s[i].val != UINT32_MAX)
			map_put(m, old.s[i].key, old.s[i].val);
	free(old.s);
}

/* Add key -> val (duplicates of a key are allowed: map_next walks them). */
static void
map_put(struct uldt_map *m, uint64_t key, uint32_t val)
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
static uint32_t
map_next(const struct uldt_map *m, uint64_t key, size_t *pos)
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

static uint32_t
map_get(const struct uldt_map *m, uint64_t key)
{
	size_t pos = SIZE_MAX;

	return map_next(m, key, &pos);
}

static uint64_t
hash_str(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- a file's ids -> union indices: an array while ids are small
 * (writers number from 1), a hash map beyond ---- */

#define IDS_DIRECT (1 << 22)

struct idmap {
	uint32_t *v;
	size_t cap;
	long long max;
	struct uldt_map *big;
};

static uint32_t
id_get(const struct idmap *m, long long id)
{
	if (id < 0)
		return UINT32_MAX;
	if ((unsigned long long)id < m->cap)
		return m->v[id];
	return id >= IDS_DIRECT ? map_get(m->big, (uint64_t)id) : UINT32_MAX;
}

static void
id_put(struct idmap *m, long long id, uint32_t val)
{
	if (id >= IDS_DIRECT) {
		map_put(m->big, (uint64_t)id, val);
		return;
	}
	if ((unsigned long long)id >= m->cap) {
		size_t ncap = m->cap ? m->cap : 1024;
		while (ncap <= (size_t)id)
			ncap *= 2;
		m->v = xrealloc(m->v, ncap * sizeof(*m->v));
		memset(m->v + m->cap, 0xff, (ncap - m->cap) * sizeof(*m->v));
		m->cap = ncap;
	}
	m->v[id] = val;
	if (id > m->max)
		m->max = id;
}

static void
id_clear(struct idmap *m)
{
	if (m->max >= 0)
		memset(m->v, 0xff, (size_t)(m->max + 1) * sizeof(*m->v));
	m->max = -1;
	if (m->big == NULL)
		m->big = map_new();
	map_clear(m->big);
}

static void
id_free(struct idmap *m)
{
	free(m->v);
	map_free(m->big);
}

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
	long long line_off;
};

static void
bad(struct reader *rd, const char *why)
{
	uldt_error(rd->path, rd->line, "%s", why);
	rd->errors++;
}

/* Signal name -> bit, interned; -1 when 64 names are already taken. */
static int
sig_bit(struct uldt_union *u, const char *s, size_t n)
{
	for (unsigned i = 0; i < u->nsig; i++)
		if (strlen(u->sig[i]) == n && memcmp(u->sig[i], s, n) == 0)
			return (int)i;
	if (u->nsig == 64)
		return -1;
	u->sig[u->nsig] = xstrndup(s, n);
	return (int)u->nsig++;
}

static int
dep_bit(const char *s, size_t n)
{
	for (int i = 0; i < 4; i++)
		if (n == 2 && memcmp(s, dep_names[i], 2) == 0)
			return 1 << i;
	return -1;
}

static int
usage_kind(const char *s, size_t n)
{
	for (int i = 0; i < 4; i++)
		if (strlen(uldt_usage_keys[i]) == n &&
		    memcmp(s, uldt_usage_keys[i], n) == 0)
			return i;
	return -1;
}

/* ---- the fast scanner: 0 when it read the line, -1 to fall back ---- */

struct sc {
	const char *p, *end;
};

static inline void
sws(struct sc *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

static inline int
slit(struct sc *s, char c)
{
	sws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return 0;
	}
	return -1;
}

/* A string without escapes: its bytes. */
static int
sstr(struct sc *s, struct slice *out)
{
	sws(s);
	if (s->p >= s->end || *s->p != '"')
		return -1;
	const char *q = ++s->p;
	while (q < s->end && *q != '"') {
		if (*q == '\\' || (unsigned char)*q < 0x20)
			return -1;
		q++;
	}
	if (q >= s->end)
		return -1;
	out->s = s->p;
	out->n = (size_t)(q - s->p);
	s->p = q + 1;
	return 0;
}

static int
sint(struct sc *s, long long *out)
{
	long long v = 0;
	int neg = 0, nd = 0;

	sws(s);
	if (s->p < s->end && *s->p == '-') {
		neg = 1;
		s->p++;
	}
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		if (nd == 18)
			return -1;
		if (nd == 1 && v == 0)
			return -1;	/* a leading zero */
		v = v * 10 + (*s->p++ - '0');
		nd++;
	}
	if (nd == 0 || (s->p < s->end && (*s->p == '.' || *s->p == 'e' ||
	    *s->p == 'E')))
		return -1;
	*out = neg ? -v : v;
	return 0;
}

static int sskip(struct sc *s, int depth);

/* Any string, escapes validated. */
static int
sskip_str(struct sc *s)
{
	if (s->p >= s->end || *s->p != '"')
		return -1;
	for (s->p++; s->p < s->end; s->p++) {
		unsigned char c = (unsigned char)*s->p;
		if (c == '"') {
			s->p++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\')
			continue;
		if (++s->p >= s->end)
			return -1;
		if (*s->p == 'u') {
			for (int i = 0; i < 4; i++) {
				char h = ++s->p < s->end ? *s->p : 0;
				if (!((h >= '0' && h <= '9') ||
				    (h >= 'a' && h <= 'f') ||
				    (h >= 'A' && h <= 'F')))
					return -1;
			}
		} else if (strchr("\"\\/bfnrt", *s->p) == NULL || *s->p == 0) {
			return -1;
		}
	}
	return -1;
}

static int
sskip_num(struct sc *s)
{
	const char *p = s->p;

	if (p < s->end && *p == '-')
		p++;
	if (p >= s->end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0')
		p++;
	else
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	if (p < s->end && *p == '.') {
		if (++p >= s->end || *p < '0' || *p > '9')
			return -1;
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->end || *p < '0' || *p > '9')
			return -1;
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	return 0;
}

static int
sskip_word(struct sc *s, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/* Skip one value, validating it. */
static int
sskip(struct sc *s, int depth)
{
	if (depth > 64)
		return -1;
	sws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '"':
		return sskip_str(s);
	case 't':
		return sskip_word(s, "true");
	case 'f':
		return sskip_word(s, "false");
	case 'n':
		return sskip_word(s, "null");
	case '[':
		s->p++;
		if (slit(s, ']') == 0)
			return 0;
		do {
			if (sskip(s, depth + 1) < 0)
				return -1;
		} while (slit(s, ',') == 0);
		return slit(s, ']');
	case '{':
		s->p++;
		if (slit(s, '}') == 0)
			return 0;
		do {
			sws(s);
			if (sskip_str(s) < 0 || slit(s, ':') < 0 ||
			    sskip(s, depth + 1) < 0)
				return -1;
		} while (slit(s, ',') == 0);
		return slit(s, '}');
	default:
		return sskip_num(s);
	}
}

/* An array of strings (signal names or deps). */
static int
sstrarr(struct sc *s, struct uldt_union *u, int deps, uint64_t *out)
{
	struct slice v;

	*out = 0;
	if (slit(s, '[') < 0)
		return -1;
	if (slit(s, ']') == 0)
		return 0;
	do {
		if (sstr(s, &v) < 0)
			return -1;
		int b = deps ? dep_bit(v.s, v.n) : sig_bit(u, v.s, v.n);
		if (b < 0)
			return -1;
		*out |= deps ? (uint64_t)b : 1ULL << b;
	} while (slit(s, ',') == 0);
	return slit(s, ']');
}

static int
fast_parse(struct uldt_union *u, const char *line, size_t len, struct rec *r)
{
	struct sc s = { line, line + len };
	struct slice key;
	uint64_t bits;

	memset(r, 0, sizeof(*r));
	if (slit(&s, '{') < 0 || slit(&s, '}') == 0)
		return -1;
	do {
		if (sstr(&s, &key) < 0 || slit(&s, ':') < 0)
			return -1;
#define KEY(k) (key.n == sizeof(k) - 1 && memcmp(key.s, k, key.n) == 0)
		if (KEY("stack")) {
			r->has_stack = 1;
			if (sint(&s, &r->stack) < 0)
				return -1;
		} else if (KEY("class")) {
			r->has_class = 1;
			if (sint(&s, &r->class) < 0)
				return -1;
		} else if (KEY("name")) {
			r->has_name = 1;
			if (sstr(&s, &r->name) < 0)
				return -1;
		} else if (KEY("kind")) {
			if (sstr(&s, &r->kind) < 0)
				return -1;
		} else if (KEY("type")) {
			if (sstr(&s, &r->ctype) < 0)
				return -1;
		} else if (KEY("edge")) {
			r->has_edge = 1;
			if (slit(&s, '[') < 0 || sint(&s, &r->from) < 0 ||
			    slit(&s, ',') < 0 || sint(&s, &r->to) < 0 ||
			    slit(&s, ']') < 0)
				return -1;
		} else if (KEY("deps")) {
			r->has_deps = 1;
			if (sstrarr(&s, u, 1, &bits) < 0)
				return -1;
			r->deps = (uint8_t)bits;
		} else if (KEY("thread")) {
			if (sstr(&s, &r->thread) < 0)
				return -1;
		} else if (KEY("tid")) {
			r->has_tid = 1;
			if (sint(&s, &r->tid) < 0)
				return -1;
		} else if (KEY("frames")) {
			r->has_frames = 1;
			if (slit(&s, '[') < 0)
				return -1;
			if (slit(&s, ']') < 0) {
				do {
					sws(&s);
					if (s.p >= s.end || *s.p != '{' ||
					    sskip(&s, 2) < 0)
						return -1;
				} while (slit(&s, ',') == 0);
				if (slit(&s, ']') < 0)
					return -1;
			}
		} else if (KEY("usage")) {
			r->has_usage = 1;
			if (sint(&s, &r->usage) < 0)
				return -1;
		} else if (KEY("bit")) {
			r->has_bit = 1;
			if (sstr(&s, &r->bit) < 0)
				return -1;
		} else if (KEY("signals")) {
			r->has_signals = 1;
			if (sstrarr(&s, u, 0, &r->signals) < 0)
				return -1;
		} else if (KEY("end") || KEY("format") || KEY("classes") ||
		    KEY("edges") || KEY("stacks")) {
			return -1;	/* rare lines: the DOM path */
		} else {
			int k = usage_kind(key.s, key.n);
			if (k >= 0) {
				r->has_use[k] = 1;
				if (sstrarr(&s, u, 0, &r->use[k]) < 0)
					return -1;
			} else if (sskip(&s, 1) < 0) {
				return -1;
			}
		}
#undef KEY
	} while (slit(&s, ',') == 0);
	if (slit(&s, '}') < 0)
		return -1;
	sws(&s);
	if (s.p != s.end)
		return -1;
	return 0;
}

/* ---- the DOM path: every check, with a message ---- */

static const char *
type_of(const struct rec *r)
{
	switch (r->type) {
	case R_STACK: return "stack";
	case R_CLASS: return "class";
	case R_USAGE: return "usage";
	case R_EDGE: return "edge";
	case R_END: return "trailer";
	default: return "record";
	}
}

static int
dom_int(struct reader *rd, const struct rec *r, const struct uldt_json *v,
    const char *key, long long *out)
{
	if (uldt_json_int(v, out) == 0)
		return 0;
	char msg[128];
	snprintf(msg, sizeof(msg), "%s: \"%s\" must be an integer",
	    type_of(r), key);
	bad(rd, msg);
	return -1;
}

static int
dom_str(struct reader *rd, const struct rec *r, const struct uldt_json *v,
    const char *key, struct slice *out)
{
	if (v != NULL && v->type == ULDT_J_STR) {
		out->s = v->u.str.s;
		out->n = v->u.str.len;
		return 0;
	}
	char msg[128];
	snprintf(msg, sizeof(msg), "%s: \"%s\" must be a string", type_of(r),
	    key);
	bad(rd, msg);
	return -1;
}

static int
dom_strarr(struct reader *rd, const struct rec *r, const struct uldt_json *v,
    const char *key, int deps, uint64_t *out)
{
	char msg[160];

	*out = 0;
	if (v == NULL || v->type != ULDT_J_ARR)
		goto fail;
	for (size_t i = 0; i < v->u.arr.n; i++) {
		const struct uldt_json *e = &v->u.arr.v[i];
		if (e->type != ULDT_J_STR || e->u.str.len == 0)
			goto fail;
		int b = deps ? dep_bit(e->u.str.s, e->u.str.len)
			     : sig_bit(rd->u, e->u.str.s, e->u.str.len);
		if (b < 0 && !deps) {
			snprintf(msg, sizeof(msg), "%s: more than 64 distinct "
			    "signal names", type_of(r));
			bad(rd, msg);
			return -1;
		}
		if (b < 0)
			goto fail;
		*out |= deps ? (uint64_t)b : 1ULL << b;
	}
	return 0;
fail:
	snprintf(msg, sizeof(msg), "%s: \"%s\" must be an array of %s",
	    type_of(r), key, deps ? "\"EN\", \"ER\", \"SN\", \"SR\""
				  : "signal names");
	bad(rd, msg);
	return -1;
}

/* Fills r from the tree in *doc, which the caller frees (r's strings
 * point into it) whatever this returns. */
static int
dom_parse(struct reader *rd, const char *line, size_t len, struct rec *r,
    struct uldt_jdoc *docp)
{
	struct uldt_jdoc doc;
	char err[160];
	const struct uldt_json *v;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (uldt_json_parse(&doc, line, len, err, sizeof(err)) < 0) {
		char msg[200];
		snprintf(msg, sizeof(msg), "not JSON: %s", err);
		*docp = doc;
		bad(rd, msg);
		return -1;
	}
	const struct uldt_json *o = &doc.root;
	if (o->type != ULDT_J_OBJ) {
		bad(rd, "not a JSON object");
		goto out;
	}
	if (uldt_json_get(o, "edge"))
		r->type = R_EDGE;
	else if (uldt_json_get(o, "usage") && !uldt_json_get(o, "end"))
		r->type = R_USAGE;
	else if (uldt_json_get(o, "class"))
		r->type = R_CLASS;
	else if (uldt_json_get(o, "end"))
		r->type = R_END;
	else if (uldt_json_get(o, "stack"))
		r->type = R_STACK;
	else if (uldt_json_get(o, "format"))
		r->type = R_HEADER;
	/* Each type counts for the trailer, even when bad below. */
	switch (r->type) {
	case R_STACK: rd->counted[0]++; break;
	case R_CLASS: rd->counted[1]++; break;
	case R_USAGE: rd->counted[2]++; break;
	case R_EDGE: rd->counted[3]++; break;
	case R_HEADER:
		bad(rd, "a second header");
		goto out;
	case R_END:
	case R_NONE:
		break;
	}
	if (r->type == R_NONE) {
		bad(rd, "unknown record type (not stack, class, usage, "
		    "edge or end)");
		goto out;
	}
	if ((v = uldt_json_get(o, "stack")) != NULL) {
		r->has_stack = 1;
		if (dom_int(rd, r, v, "stack", &r->stack) < 0)
			goto out;
	}
	if ((v = uldt_json_get(o, "class")) != NULL) {
		r->has_class = 1;
		if (dom_int(rd, r, v, "class", &r->class) < 0)
			goto out;
	}
	if ((v = uldt_json_get(o, "usage")) != NULL) {
		r->has_usage = 1;
		if (dom_int(rd, r, v, "usage", &r->usage) < 0)
			goto out;
	}
	if ((v = uldt_json_get(o, "tid")) != NULL) {
		r->has_tid = 1;
		if (dom_int(rd, r, v, "tid", &r->tid) < 0)
			goto out;
	}
	if ((v = uldt_json_get(o, "name")) != NULL) {
		r->has_name = 1;
		if (dom_str(rd, r, v, "name", &r->name) < 0)
			goto out;
	}
	if ((v = uldt_json_get(o, "kind")) != NULL &&
	    dom_str(rd, r, v, "kind", &r->kind) < 0)
		goto out;
	if ((v = uldt_json_get(o, "type")) != NULL &&
	    dom_str(rd, r, v, "type", &r->ctype) < 0)
		goto out;
	if ((v = uldt_json_get(o, "thread")) != NULL &&
	    dom_str(rd, r, v, "thread", &r->thread) < 0)
		goto out;
	if ((v = uldt_json_get(o, "bit")) != NULL) {
		r->has_bit = 1;
		if (dom_str(rd, r, v, "bit", &r->bit) < 0)
			goto out;
	}
	if ((v = uldt_json_get(o, "signals")) != NULL) {
		r->has_signals = 1;
		if (dom_strarr(rd, r, v, "signals", 0, &r->signals) < 0)
			goto out;
	}
	if ((v = uldt_json_get(o, "deps")) != NULL) {
		uint64_t d;
		r->has_deps = 1;
		if (dom_strarr(rd, r, v, "deps", 1, &d) < 0)
			goto out;
		r->deps = (uint8_t)d;
	}
	for (int k = 0; k < 4 && r->type == R_CLASS; k++)
		if ((v = uldt_json_get(o, uldt_usage_keys[k])) != NULL) {
			r->has_use[k] = 1;
			if (dom_strarr(rd, r, v, uldt_usage_keys[k], 0,
			    &r->use[k]) < 0)
				goto out;
		}
	if ((v = uldt_json_get(o, "frames")) != NULL) {
		r->has_frames = 1;
		int okf = v->type == ULDT_J_ARR;
		for (size_t i = 0; okf && i < v->u.arr.n; i++)
			okf = v->u.arr.v[i].type == ULDT_J_OBJ;
		if (!okf) {
			bad(rd, "stack: \"frames\" must be an array of "
			    "frame objects");
			goto out;
		}
	}
	if ((v = uldt_json_get(o, "edge")) != NULL) {
		r->has_edge = 1;
		if (v->type != ULDT_J_ARR || v->u.arr.n != 2 ||
		    uldt_json_int(&v->u.arr.v[0], &r->from) < 0 ||
		    uldt_json_int(&v->u.arr.v[1], &r->to) < 0) {
			bad(rd, "edge: \"edge\" must be [from, to], two "
			    "class ids");
			goto out;
		}
	}
	if (r->type == R_END) {
		static const char *const ck[3] = { "classes", "edges",
			"stacks" };
		v = uldt_json_get(o, "end");
		if (v->type != ULDT_J_BOOL || !v->u.b) {
			bad(rd, "trailer: \"end\" must be true");
			goto out;
		}
		for (int i = 0; i < 3; i++)
			if ((v = uldt_json_get(o, ck[i])) != NULL) {
				r->has_cnt[i] = 1;
				if (dom_int(rd, r, v, ck[i], &r->cnt[i]) < 0)
					goto out;
			}
	}
	rc = 0;
out:
	*docp = doc;
	return rc;
}

static enum rtype
classify(const struct rec *r)
{
	if (r->has_edge)
		return R_EDGE;
	if (r->has_usage)
		return R_USAGE;
	if (r->has_class)
		return R_CLASS;
	if (r->has_stack && r->has_frames)
		return R_STACK;
	return R_NONE;
}

/* ---- applying a record to the union ---- */

static void
example_set(struct reader *rd, struct uldt_example *ex, const struct rec *r,
    uint32_t stack_idx)
{
	ex->run = rd->run;
	ex->tid = r->has_tid ? (int)r->tid : 0;
	ex->thread = r->thread.s ? xstrndup(r->thread.s, r->thread.n)
				 : xstrndup("?", 1);
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
	uint32_t v = id_get(m, id);

	if (v == UINT32_MAX) {
		char msg[96];
		snprintf(msg, sizeof(msg), "%s %lld is not defined on an "
		    "earlier line", what, id);
		bad(rd, msg);
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
	uint64_t h = hash_str(r->name.s, r->name.n);
	size_t pos = SIZE_MAX;
	uint32_t i;

	while ((i = map_next(u->name_map, h, &pos)) != UINT32_MAX) {
		const char *n = u->classes[i].name;
		if (strncmp(n, r->name.s, r->name.n) == 0 &&
		    n[r->name.n] == '\0')
			return i;
	}
	GROW(u->classes, u->nclasses, u->classes_cap);
	i = u->nclasses++;
	struct uldt_class *c = &u->classes[i];
	memset(c, 0, sizeof(*c));
	c->name = xstrndup(r->name.s, r->name.n);
	c->name_len = r->name.n;
	c->kind = r->kind.s ? xstrndup(r->kind.s, r->kind.n) : xstrndup("?", 1);
	c->type = r->ctype.s ? xstrndup(r->ctype.s, r->ctype.n)
			     : xstrndup("?", 1);
	map_put(u->name_map, h, i);
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
		bad(rd, "edge: \"deps\" must be a non-empty array of "
		    "\"EN\", \"ER\", \"SN\", \"SR\"");
		return;
	}
	uint64_t key = (uint64_t)from << 32 | to;
	uint32_t i = map_get(u->edge_map, key);
	struct uldt_edge *e;
	if (i == UINT32_MAX) {
		GROW(u->edges, u->nedges, u->edges_cap);
		i = u->nedges++;
		e = &u->edges[i];
		memset(e, 0, sizeof(*e));
		e->from = from;
		e->to = to;
		example_set(rd, &e->ex, r, stack_idx);
		map_put(u->edge_map, key, i);
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
	uint32_t *count = xrealloc(NULL, (u->nedges + 1) * sizeof(*count));
	size_t total = 0;

	memset(count, 0, (u->nedges + 1) * sizeof(*count));
	for (size_t k = 0; k < u->nlog; k++)
		count[u->log[k].edge]++;
	free(u->seen_all);
	u->seen_all = xrealloc(NULL, (u->nlog + 1) * sizeof(*u->seen_all));
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
		if (r->stack < 0 || id_get(&rd->stack_ids, r->stack) !=
		    UINT32_MAX) {
			bad(rd, r->stack < 0 ? "stack: negative id"
			    : "stack: id defined twice");
			return;
		}
		GROW(rd->stacks, rd->nstacks, rd->stacks_cap);
		rd->stacks[rd->nstacks].off = off;
		rd->stacks[rd->nstacks].len = (uint32_t)len;
		id_put(&rd->stack_ids, r->stack, rd->nstacks++);
		return;
	case R_CLASS: {
		if (r->class < 0 || id_get(&rd->class_ids, r->class) !=
		    UINT32_MAX) {
			bad(rd, r->class < 0 ? "class: negative id"
			    : "class: id defined twice");
			return;
		}
		if (!r->has_name || r->name.n == 0) {
			bad(rd, "class: \"name\" must be a non-empty "
			    "string");
			return;
		}
		/* Runs of one program mostly number their classes alike:
		 * try the class this id was last time before hashing. */
		uint32_t c = id_get(&rd->hint, r->class);
		if (c == UINT32_MAX || u->classes[c].name_len != r->name.n ||
		    memcmp(u->classes[c].name, r->name.s, r->name.n) != 0) {
			c = class_get(u, r);
			id_put(&rd->hint, r->class, c);
		}
		id_put(&rd->class_ids, r->class, c);
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
		int kind = r->has_bit ? usage_kind(r->bit.s, r->bit.n) : -1;
		if (kind < 0) {
			bad(rd, "usage: \"bit\" must be used_in_write, "
			    "used_in_read, enabled_write or enabled_read");
			return;
		}
		if (!r->has_signals || r->signals == 0) {
			bad(rd, "usage: \"signals\" must be a non-empty "
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
	buf = xrealloc(NULL, cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
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
		bad(rd, "not a ulockdep graph (the first line has no "
		    "\"format\":\"ulockdep-graph\")");
		return -1;
	}
	const struct uldt_json *h = &doc.root;
	if (uldt_json_int(uldt_json_get(h, "version"), &ver) < 0) {
		uldt_json_free(&doc);
		bad(rd, "header: \"version\" must be an integer");
		return -1;
	}
	if (ver != 1) {
		char msg[96];
		snprintf(msg, sizeof(msg), "version %lld not supported (this "
		    "ulockdep reads 1)", ver);
		uldt_json_free(&doc);
		bad(rd, msg);
		return -1;
	}
	const struct uldt_json *p = uldt_json_get(h, "pid");
	if (p != NULL && uldt_json_int(p, &pid) < 0)
		bad(rd, "header: \"pid\" must be an integer");
	const struct uldt_json *sigs = uldt_json_get(h, "softirq_signals");
	uint64_t soft = 0;
	if (sigs == NULL) {
		static const char *const def[] = { "SIGALRM", "SIGVTALRM",
			"SIGPROF" };
		for (int i = 0; i < 3; i++)
			soft |= 1ULL << sig_bit(u, def[i], strlen(def[i]));
	} else if (sigs->type != ULDT_J_ARR) {
		bad(rd, "header: \"softirq_signals\" must be an array "
		    "of signal names");
	} else {
		for (size_t i = 0; i < sigs->u.arr.n; i++) {
			const struct uldt_json *s = &sigs->u.arr.v[i];
			int b = s->type == ULDT_J_STR
			    ? sig_bit(u, s->u.str.s, s->u.str.len) : -1;
			if (b >= 0)
				soft |= 1ULL << b;
			else
				bad(rd, "header: \"softirq_signals\" "
				    "must be an array of signal names");
		}
	}
	GROW(u->runs, u->nruns, u->runs_cap);
	struct uldt_run *run = &u->runs[u->nruns];
	rd->run = u->nruns++;
	run->path = xstrndup(rd->path, strlen(rd->path));
	run->pid = pid;
	run->exe = xstrndup(header_str(h, "exe"), strlen(header_str(h, "exe")));
	run->host = xstrndup(header_str(h, "host"),
	    strlen(header_str(h, "host")));
	run->time = xstrndup(header_str(h, "time"),
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
	bad(rd, msg);
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
	id_clear(&rd->class_ids);
	id_clear(&rd->stack_ids);
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
	for (rd->line = 2; p < end; rd->line++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		long long off = p - buf;
		struct rec r;
		if (trailer) {
			bad(rd, "a record after the trailer");
		} else if (l == 0) {
			bad(rd, "empty line");
		} else if (fast_parse(u, p, l, &r) == 0 &&
		    (r.type = classify(&r)) != R_NONE) {
			rd->counted[r.type == R_STACK ? 0 : r.type == R_CLASS
			    ? 1 : r.type == R_USAGE ? 2 : 3]++;
			apply(rd, &r, off, l);
		} else {
			struct uldt_jdoc doc;
			unsigned long before = rd->errors;
			int rc = dom_parse(rd, p, l, &r, &doc);
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
	u->name_map = map_new();
	u->edge_map = map_new();
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
	map_free(u->name_map);
	map_free(u->edge_map);
	memset(u, 0, sizeof(*u));
}

static void
index_adjacency(struct uldt_union *u)
{
	u->adj_out = xrealloc(NULL, (u->nedges + 1) * sizeof(uint32_t));
	u->adj_in = xrealloc(NULL, (u->nedges + 1) * sizeof(uint32_t));
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
	rd.hint.big = map_new();
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
	id_free(&rd.class_ids);
	id_free(&rd.stack_ids);
	id_free(&rd.hint);
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
	buf = xrealloc(NULL, ex->stack_len + 1);
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

const char *
uldt_gf_deps_str(uint8_t deps, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (deps & (1 << i))
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
			    "%s%s", n ? "," : "", dep_names[i]);
	return buf;
}

int
uldt_gf_is_soft(const struct uldt_union *u, int run, unsigned sig)
{
	if (u->nruns == 0)
		return 0;
	return (int)(u->runs[run < 0 ? 0 : run].softirq >> sig & 1);
}
