/*
 * json.c: a strict JSON reader and a small writer (json.h).
 *
 * Recursive descent over a length-bounded buffer: no input is ever read
 * past `len`, nesting is capped at ULDT_JSON_DEPTH, and every failure says
 * the column where it happened.  Nodes come from a chunked arena; the
 * members of an array or object are gathered in a scratch vector and
 * copied into the arena once their number is known.
 */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ULDT_JSON_DEPTH 64
#define CHUNK_MIN (64 * 1024)

struct uldt_jchunk {
	struct uldt_jchunk *next;
	size_t used, cap;
	_Alignas(max_align_t) char mem[];
};

struct parser {
	const char *s, *end, *p;
	struct uldt_jdoc *doc;
	char *err;
	size_t errlen;
	int failed;
};

static void *
arena_alloc(struct parser *ps, size_t n)
{
	struct uldt_jchunk *c = ps->doc->arena;

	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->next = ps->doc->arena;
		c->used = 0;
		c->cap = cap;
		ps->doc->arena = c;
	}
	void *r = c->mem + c->used;
	c->used += n;
	return r;
}

static int
fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return -1;
	ps->failed = 1;
	int n = snprintf(ps->err, ps->errlen, "column %ld: ",
	    (long)(ps->p - ps->s) + 1);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	    (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
		*ps->p == '\r'))
		ps->p++;
}

static int
hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;

	if (ps->end - ps->p < 4)
		return fail(ps, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = *ps->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(ps, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote.  The decoded string is never longer than its
 * escaped form, so one allocation of that size suffices. */
static int
parse_string(struct parser *ps, char **out, size_t *outlen)
{
	const char *q = ++ps->p;

	while (q < ps->end && *q != '"') {
		if (*q == '\\')
			q++;
		q++;
	}
	if (q >= ps->end)
		return fail(ps, "unterminated string");
	char *o = arena_alloc(ps, (size_t)(q - ps->p) + 1);
	if (o == NULL)
		return fail(ps, "out of memory");
	size_t n = 0;
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p++;
		if (c < 0x20)
			return fail(ps, "control character in a string");
		if (c != '\\') {
			o[n++] = (char)c;
			continue;
		}
		switch (*ps->p++) {
		case '"': o[n++] = '"'; break;
		case '\\': o[n++] = '\\'; break;
		case '/': o[n++] = '/'; break;
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'n': o[n++] = '\n'; break;
		case 'r': o[n++] = '\r'; break;
		case 't': o[n++] = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (hex4(ps, &cp) < 0)
				return -1;
			if (cp >= 0xd800 && cp < 0xdc00 && ps->end - ps->p >= 6 &&
			    ps->p[0] == '\\' && ps->p[1] == 'u') {
				ps->p += 2;
				if (hex4(ps, &lo) < 0)
					return -1;
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
				} else {
					/* A high surrogate alone, then a
					 * character of its own: keep it. */
					n += put_utf8(o + n, 0xfffd);
					cp = lo >= 0xd800 && lo < 0xe000 ? 0xfffd
									 : lo;
				}
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd; /* a lone surrogate */
			}
			/* 6 escaped bytes always hold the <= 4 decoded
			 * (12 hold the 6 of a lone surrogate and another). */
			n += put_utf8(o + n, cp);
			break;
		}
		default:
			ps->p--;
			return fail(ps, "bad escape '\\%c'", *ps->p);
		}
	}
	ps->p++;
	o[n] = '\0';
	*out = o;
	*outlen = n;
	return 0;
}

/* Digits at q; returns past them. */
static const char *
skip_digits(const char *q, const char *end)
{
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	return q;
}

/* RFC 8259's grammar exactly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * (strtod alone would also take "01", "1." or "0x1"). */
static int
parse_number(struct parser *ps, struct uldt_json *v)
{
	const char *q = ps->p, *d;
	char tmp[64];

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9')
		return fail(ps, "expected a value");
	d = q;
	q = skip_digits(q, ps->end);
	if (*d == '0' && q - d > 1)
		return fail(ps, "number with a leading zero");
	if (q < ps->end && *q == '.') {
		d = ++q;
		q = skip_digits(q, ps->end);
		if (q == d)
			return fail(ps, "no digit after '.' in a number");
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		d = q;
		q = skip_digits(q, ps->end);
		if (q == d)
			return fail(ps, "no digit in a number's exponent");
	}
	size_t n = (size_t)(q - ps->p);
	if (n >= sizeof(tmp))
		return fail(ps, "number too long");
	memcpy(tmp, ps->p, n);
	tmp[n] = '\0';
	char *e;
	errno = 0;
	v->type = ULDT_J_NUM;
	v->u.num.is_int = strcspn(tmp, ".eE") == n;
	if (v->u.num.is_int) {
		v->u.num.i = strtoll(tmp, &e, 10);
		if (errno == ERANGE)
			v->u.num.is_int = 0;
	}
	errno = 0;
	v->u.num.d = strtod(tmp, &e);
	if (*e != '\0' || !isfinite(v->u.num.d))
		return fail(ps, "bad number '%s'", tmp);
	ps->p = q;
	return 0;
}

static int
literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "expected a value");
	ps->p += n;
	return 0;
}

static int parse_value(struct parser *ps, struct uldt_json *v, int depth);

/* Grow a scratch vector of `size`-byte elements. */
static int
grow(struct parser *ps, void **vec, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *nv = realloc(*vec, ncap * size);
	if (nv == NULL)
		return fail(ps, "out of memory");
	*vec = nv;
	*cap = ncap;
	return 0;
}

/* At '[' or '{': step in; 1 when the list is empty (its close consumed). */
static int
list_open(struct parser *ps, char close)
{
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 1;
	}
	return 0;
}

/* After an element: 1 at ',' (another follows), 0 at the close, -1 else. */
static int
list_next(struct parser *ps, char close, const char *what)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ',') {
		ps->p++;
		return 1;
	}
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	return ps->p < ps->end ? fail(ps, "expected ',' or '%c'", close)
			       : fail(ps, "unexpected end of input in %s", what);
}

/* The gathered elements, moved from the scratch vector into the arena. */
static int
arena_copy(struct parser *ps, void **dst, const void *src, size_t bytes)
{
	*dst = NULL;
	if (bytes == 0)
		return 0;
	*dst = arena_alloc(ps, bytes);
	if (*dst == NULL)
		return fail(ps, "out of memory");
	memcpy(*dst, src, bytes);
	return 0;
}

static int
parse_array(struct parser *ps, struct uldt_json *v, int depth)
{
	struct uldt_json *items = NULL;
	size_t n = 0, cap = 0;
	int more = !list_open(ps, ']'), rc = -1;

	while (more) {
		if (grow(ps, (void **)&items, &cap, n, sizeof(*items)) < 0 ||
		    parse_value(ps, &items[n], depth + 1) < 0)
			goto out;
		n++;
		if ((more = list_next(ps, ']', "an array")) < 0)
			goto out;
	}
	v->type = ULDT_J_ARR;
	v->u.arr.n = n;
	rc = arena_copy(ps, (void **)&v->u.arr.v, items, n * sizeof(*items));
out:
	free(items);
	return rc;
}

static int
parse_object(struct parser *ps, struct uldt_json *v, int depth)
{
	struct uldt_jmember *m = NULL;
	size_t n = 0, cap = 0, klen;
	int more = !list_open(ps, '}'), rc = -1;
	char *key;

	while (more) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"') {
			fail(ps, ps->p < ps->end ? "expected a member name"
						 : "unexpected end of input in "
						   "an object");
			goto out;
		}
		if (parse_string(ps, &key, &klen) < 0)
			goto out;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			fail(ps, "expected ':' after \"%s\"", key);
			goto out;
		}
		ps->p++;
		if (grow(ps, (void **)&m, &cap, n, sizeof(*m)) < 0)
			goto out;
		m[n].key = key;
		if (parse_value(ps, &m[n].val, depth + 1) < 0)
			goto out;
		n++;
		if ((more = list_next(ps, '}', "an object")) < 0)
			goto out;
	}
	v->type = ULDT_J_OBJ;
	v->u.obj.n = n;
	rc = arena_copy(ps, (void **)&v->u.obj.m, m, n * sizeof(*m));
out:
	free(m);
	return rc;
}

static int
parse_value(struct parser *ps, struct uldt_json *v, int depth)
{
	if (depth > ULDT_JSON_DEPTH)
		return fail(ps, "nested deeper than %d", ULDT_JSON_DEPTH);
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	memset(v, 0, sizeof(*v));
	switch (*ps->p) {
	case '{':
		return parse_object(ps, v, depth);
	case '[':
		return parse_array(ps, v, depth);
	case '"':
		v->type = ULDT_J_STR;
		return parse_string(ps, &v->u.str.s, &v->u.str.len);
	case 't':
		v->type = ULDT_J_BOOL;
		v->u.b = 1;
		return literal(ps, "true");
	case 'f':
		v->type = ULDT_J_BOOL;
		return literal(ps, "false");
	case 'n':
		v->type = ULDT_J_NULL;
		return literal(ps, "null");
	default:
		return parse_number(ps, v);
	}
}

int
uldt_json_parse(struct uldt_jdoc *doc, const char *s, size_t len, char *err,
    size_t errlen)
{
	struct parser ps = {
		.s = s, .end = s + len, .p = s, .doc = doc,
		.err = err, .errlen = errlen,
	};

	memset(doc, 0, sizeof(*doc));
	if (errlen)
		err[0] = '\0';
	if (parse_value(&ps, &doc->root, 0) == 0) {
		skip_ws(&ps);
		if (ps.p == ps.end)
			return 0;
		fail(&ps, "unexpected text after the value");
	}
	uldt_json_free(doc);
	return -1;
}

void
uldt_json_free(struct uldt_jdoc *doc)
{
	struct uldt_jchunk *c = doc->arena, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	memset(doc, 0, sizeof(*doc));
}

const struct uldt_json *
uldt_json_get(const struct uldt_json *v, const char *key)
{
	if (v == NULL || v->type != ULDT_J_OBJ)
		return NULL;
	for (size_t i = 0; i < v->u.obj.n; i++)
		if (strcmp(v->u.obj.m[i].key, key) == 0)
			return &v->u.obj.m[i].val;
	return NULL;
}

const char *
uldt_json_str(const struct uldt_json *v)
{
	return v != NULL && v->type == ULDT_J_STR ? v->u.str.s : NULL;
}

int
uldt_json_int(const struct uldt_json *v, long long *out)
{
	if (v == NULL || v->type != ULDT_J_NUM || !v->u.num.is_int)
		return -1;
	*out = v->u.num.i;
	return 0;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0xc2)
		return 0;
	if (s[0] < 0xe0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] < 0xf5) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff)
		return 0;
	return len;
}

static void
put_str_n(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	putc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		switch (c) {
		case '"': fputs("\\\"", f); continue;
		case '\\': fputs("\\\\", f); continue;
		case '\n': fputs("\\n", f); continue;
		case '\r': fputs("\\r", f); continue;
		case '\t': fputs("\\t", f); continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else if (c < 0x80) {
			putc(c, f);
		} else {
			size_t len = utf8_len(s + i, n - i);
			if (len == 0) {
				fputs("\\ufffd", f); /* not UTF-8 */
				continue;
			}
			fwrite(s + i, 1, len, f);
			i += len - 1;
		}
	}
	putc('"', f);
}

void
uldt_json_put_str(FILE *f, const char *s)
{
	put_str_n(f, s, strlen(s));
}

void
uldt_json_put(FILE *f, const struct uldt_json *v)
{
	switch (v->type) {
	case ULDT_J_NULL:
		fputs("null", f);
		break;
	case ULDT_J_BOOL:
		fputs(v->u.b ? "true" : "false", f);
		break;
	case ULDT_J_NUM:
		if (v->u.num.is_int)
			fprintf(f, "%lld", v->u.num.i);
		else
			fprintf(f, "%.17g", v->u.num.d);
		break;
	case ULDT_J_STR:
		put_str_n(f, v->u.str.s, v->u.str.len);
		break;
	case ULDT_J_ARR:
		putc('[', f);
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (i)
				putc(',', f);
			uldt_json_put(f, &v->u.arr.v[i]);
		}
		putc(']', f);
		break;
	case ULDT_J_OBJ:
		putc('{', f);
		for (size_t i = 0; i < v->u.obj.n; i++) {
			if (i)
				putc(',', f);
			uldt_json_put_str(f, v->u.obj.m[i].key);
			putc(':', f);
			uldt_json_put(f, &v->u.obj.m[i].val);
		}
		putc('}', f);
		break;
	}
}

long
uldt_getline(FILE *f, char **buf, size_t *cap, int *truncated)
{
	size_t n = 0;
	int c;

	*truncated = 0;
	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n + 1 >= *cap) {
			size_t ncap = *cap ? *cap * 2 : 4096;
			char *nb = realloc(*buf, ncap);
			if (nb == NULL)
				return -1;
			*buf = nb;
			*cap = ncap;
		}
		(*buf)[n++] = (char)c;
	}
	if (c == EOF && n == 0)
		return -1;
	if (c == EOF)
		*truncated = 1;
	if (*buf == NULL) {
		*buf = malloc(1);
		if (*buf == NULL)
			return -1;
		*cap = 1;
	}
	(*buf)[n] = '\0';
	return (long)n;
}
