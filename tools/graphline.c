/*
 * graphline.c: one line of a saved graph into a record (graphfile_priv.h).
 *
 * Each line goes through a fast scanner first, which handles the common
 * case (no escapes in the strings it keeps, integers where integers
 * belong) without building a tree, and gives up on anything else; the
 * line is then parsed again with the strict DOM reader of json.c, which
 * either finds it valid (and the same record is filled from the tree) or
 * says exactly what is wrong.  So the scanner is only an optimisation:
 * both paths feed graphfile.c's apply(), which checks ids and meanings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphfile_priv.h"
#include "tool.h"

const char *const uldt_usage_keys[4] = {
	"used_in_write", "used_in_read", "enabled_write", "enabled_read",
};

static const char *const dep_names[4] = { "EN", "ER", "SN", "SR" };

void
uldt_gf_bad(struct reader *rd, const char *why)
{
	uldt_error(rd->path, rd->line, "%s", why);
	rd->errors++;
}

/* Signal name -> bit, interned; -1 when 64 names are already taken. */
int
uldt_gf_sig_bit(struct uldt_union *u, const char *s, size_t n)
{
	for (unsigned i = 0; i < u->nsig; i++)
		if (strlen(u->sig[i]) == n && memcmp(u->sig[i], s, n) == 0)
			return (int)i;
	if (u->nsig == 64)
		return -1;
	u->sig[u->nsig] = uldt_xstrndup(s, n);
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

int
uldt_gf_usage_kind(const char *s, size_t n)
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
		int b = deps ? dep_bit(v.s, v.n) : uldt_gf_sig_bit(u, v.s, v.n);
		if (b < 0)
			return -1;
		*out |= deps ? (uint64_t)b : 1ULL << b;
	} while (slit(s, ',') == 0);
	return slit(s, ']');
}

/* A signal set: an array of names, or {"all_except":[names]} against the
 * header's signals table (doc/graph-format.md, "Signal sets"). */
static int
ssigset(struct sc *s, const struct reader *rd, uint64_t *out)
{
	struct slice key;
	uint64_t except;

	sws(s);
	if (s->p < s->end && *s->p == '[')
		return sstrarr(s, rd->u, 0, out);
	if (!rd->has_table || slit(s, '{') < 0 || sstr(s, &key) < 0 ||
	    key.n != 10 || memcmp(key.s, "all_except", 10) != 0 ||
	    slit(s, ':') < 0 || sstrarr(s, rd->u, 0, &except) < 0 ||
	    slit(s, '}') < 0)
		return -1;
	*out = rd->table & ~except;
	return 0;
}

int
uldt_gl_fast(const struct reader *rd, const char *line, size_t len,
    struct rec *r)
{
	struct uldt_union *u = rd->u;
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
			if (ssigset(&s, rd, &r->signals) < 0)
				return -1;
		} else if (KEY("end") || KEY("format") || KEY("classes") ||
		    KEY("edges") || KEY("stacks")) {
			return -1;	/* rare lines: the DOM path */
		} else {
			int k = uldt_gf_usage_kind(key.s, key.n);
			if (k >= 0) {
				r->has_use[k] = 1;
				if (ssigset(&s, rd, &r->use[k]) < 0)
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
	case R_HEADER: return "header";
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
	uldt_gf_bad(rd, msg);
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
	uldt_gf_bad(rd, msg);
	return -1;
}

static int
dom_strarr(struct reader *rd, const struct rec *r, const struct uldt_json *v,
    const char *key, int deps, uint64_t *out)
{
	char msg[200];

	*out = 0;
	/* A signal set may be {"all_except":[...]} (graph-format.md). */
	if (!deps && v != NULL && v->type == ULDT_J_OBJ) {
		const struct uldt_json *ex = uldt_json_get(v, "all_except");
		uint64_t except;
		if (ex == NULL || v->u.obj.n != 1)
			goto fail;
		if (!rd->has_table) {
			snprintf(msg, sizeof(msg), "%s: \"%s\": all_except "
			    "without a \"signals\" table in the header",
			    type_of(r), key);
			uldt_gf_bad(rd, msg);
			return -1;
		}
		if (dom_strarr(rd, r, ex, key, 0, &except) < 0)
			return -1;
		*out = rd->table & ~except;
		return 0;
	}
	if (v == NULL || v->type != ULDT_J_ARR)
		goto fail;
	for (size_t i = 0; i < v->u.arr.n; i++) {
		const struct uldt_json *e = &v->u.arr.v[i];
		if (e->type != ULDT_J_STR || e->u.str.len == 0)
			goto fail;
		int b = deps ? dep_bit(e->u.str.s, e->u.str.len)
			     : uldt_gf_sig_bit(rd->u, e->u.str.s, e->u.str.len);
		if (b < 0 && !deps) {
			snprintf(msg, sizeof(msg), "%s: more than 64 distinct "
			    "signal names", type_of(r));
			uldt_gf_bad(rd, msg);
			return -1;
		}
		if (b < 0)
			goto fail;
		*out |= deps ? (uint64_t)b : 1ULL << b;
	}
	return 0;
fail:
	snprintf(msg, sizeof(msg), "%s: \"%s\" must be %s", type_of(r), key,
	    deps ? "an array of \"EN\", \"ER\", \"SN\", \"SR\""
		 : "a signal set (an array of signal names, or "
		   "{\"all_except\":[names]})");
	uldt_gf_bad(rd, msg);
	return -1;
}

/* Fills r from the tree in *doc, which the caller frees (r's strings
 * point into it) whatever this returns. */
int
uldt_gl_dom(struct reader *rd, const char *line, size_t len, struct rec *r,
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
		uldt_gf_bad(rd, msg);
		return -1;
	}
	const struct uldt_json *o = &doc.root;
	if (o->type != ULDT_J_OBJ) {
		uldt_gf_bad(rd, "not a JSON object");
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
		uldt_gf_bad(rd, "a second header");
		goto out;
	case R_END:
	case R_NONE:
		break;
	}
	if (r->type == R_NONE) {
		uldt_gf_bad(rd, "unknown record type (not stack, class, usage, "
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
			uldt_gf_bad(rd, "stack: \"frames\" must be an array of "
			    "frame objects");
			goto out;
		}
	}
	if ((v = uldt_json_get(o, "edge")) != NULL) {
		r->has_edge = 1;
		if (v->type != ULDT_J_ARR || v->u.arr.n != 2 ||
		    uldt_json_int(&v->u.arr.v[0], &r->from) < 0 ||
		    uldt_json_int(&v->u.arr.v[1], &r->to) < 0) {
			uldt_gf_bad(rd, "edge: \"edge\" must be [from, to], two "
			    "class ids");
			goto out;
		}
	}
	if (r->type == R_END) {
		static const char *const ck[3] = { "classes", "edges",
			"stacks" };
		v = uldt_json_get(o, "end");
		if (v->type != ULDT_J_BOOL || !v->u.b) {
			uldt_gf_bad(rd, "trailer: \"end\" must be true");
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

enum rtype
uldt_gl_classify(const struct rec *r)
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
uldt_gl_sigset(struct reader *rd, const struct uldt_json *v, const char *key,
    uint64_t *out)
{
	struct rec r = { .type = R_HEADER };

	return dom_strarr(rd, &r, v, key, 0, out);
}
