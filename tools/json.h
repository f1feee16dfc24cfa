/*
 * json.h: the JSON the `ulockdep` command reads and writes.
 *
 * Every input of the command is JSON Lines written by processes that may
 * have been killed mid-write, copied between machines or edited by hand,
 * so the reader is strict and says where it stopped (column and reason),
 * and bounds its nesting so that no input can exhaust the stack.  A
 * parsed value is a tree in one allocation arena per parse: freeing a
 * record is one call, whatever its size.
 */
#ifndef ULDT_JSON_H
#define ULDT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum uldt_jtype {
	ULDT_J_NULL,
	ULDT_J_BOOL,
	ULDT_J_NUM,
	ULDT_J_STR,
	ULDT_J_ARR,
	ULDT_J_OBJ,
};

struct uldt_jmember;

struct uldt_json {
	enum uldt_jtype type;
	union {
		int b;				/* BOOL */
		struct {			/* NUM */
			double d;
			long long i;		/* exact when is_int */
			int is_int;
		} num;
		struct {			/* STR: decoded, NUL-ended */
			char *s;
			size_t len;
		} str;
		struct {			/* ARR */
			struct uldt_json *v;
			size_t n;
		} arr;
		struct {			/* OBJ, members in input order */
			struct uldt_jmember *m;
			size_t n;
		} obj;
	} u;
};

struct uldt_jmember {
	const char *key;
	struct uldt_json val;
};

/* A parsed document: its root and the arena that holds every node. */
struct uldt_jdoc {
	struct uldt_json root;
	struct uldt_jchunk *arena;
};

/*
 * Parse one JSON text (s[0..len)), which must be one value with nothing
 * but whitespace after it.  Returns 0, or -1 with `err` set to "column N:
 * why" (and the document empty).  Free with uldt_json_free either way.
 */
int uldt_json_parse(struct uldt_jdoc *doc, const char *s, size_t len,
    char *err, size_t errlen);
void uldt_json_free(struct uldt_jdoc *doc);

/* Member `key` of an object; NULL when v is not an object or lacks it. */
const struct uldt_json *uldt_json_get(const struct uldt_json *v,
    const char *key);
/* The string, or NULL when v is NULL or not a string. */
const char *uldt_json_str(const struct uldt_json *v);
/* 0 and *out when v is an integer number; -1 otherwise. */
int uldt_json_int(const struct uldt_json *v, long long *out);

/* Write a string with JSON escapes, quotes included. */
void uldt_json_put_str(FILE *f, const char *s);
/* Write a value back as compact JSON (one line, no newline). */
void uldt_json_put(FILE *f, const struct uldt_json *v);

/*
 * Read one line of any length (without its '\n') into *buf (grown as
 * needed).  Returns its length, or -1 at end of file.  *truncated is set
 * when the file ended without a '\n' on a non-empty last line: a record
 * cut short by a process that died while writing it.
 */
long uldt_getline(FILE *f, char **buf, size_t *cap, int *truncated);

#endif /* ULDT_JSON_H */
