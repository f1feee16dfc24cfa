/*
 * test_json.c: the command's JSON reader and writer (tools/json.c).
 *
 * Every input of `ulockdep report` and `merge` goes through this reader,
 * and files come from processes that died mid-write or from other tools,
 * so what matters is what it refuses (and that it says where), that no
 * input crashes it or exhausts the stack, and that what it writes is
 * valid JSON and valid UTF-8 whatever bytes a string held.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

static struct uldt_jdoc doc;
static char err[256];

static int
parse_n(const char *s, size_t len)
{
	uldt_json_free(&doc);
	return uldt_json_parse(&doc, s, len, err, sizeof(err));
}

static int
parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* The decoded string of the JSON string literal `lit`, or NULL. */
static const char *
str_of(const char *lit)
{
	if (parse(lit) < 0 || doc.root.type != ULDT_J_STR)
		return NULL;
	return doc.root.u.str.s;
}

/* What the writer makes of v or of the string s (static buffer). */
static char out[4096];

static const char *
put_str(const char *s)
{
	FILE *f = fmemopen(out, sizeof(out), "w");

	uldt_json_put_str(f, s);
	fclose(f);
	return out;
}

static const char *
roundtrip(const char *s)
{
	if (parse(s) < 0)
		return err;
	FILE *f = fmemopen(out, sizeof(out), "w");
	uldt_json_put(f, &doc.root);
	fclose(f);
	return out;
}

static void
test_values(void)
{
	long long i;

	ok(parse("{\"kind\":\"bad_unlock\",\"pid\":42,\"ok\":true,"
		 "\"n\":null,\"a\":[1,2]}") == 0, "an object parses");
	is_str(uldt_json_str(uldt_json_get(&doc.root, "kind")), "bad_unlock",
	    "string member");
	ok(uldt_json_int(uldt_json_get(&doc.root, "pid"), &i) == 0 && i == 42,
	    "integer member");
	ok(uldt_json_get(&doc.root, "missing") == NULL, "absent member: NULL");
	ok(uldt_json_str(uldt_json_get(&doc.root, "pid")) == NULL,
	    "a number is not a string");
	is_str(roundtrip(" { \"a\" : [ 1 , -2.5 , true , null , \"x\" ] } "),
	    "{\"a\":[1,-2.5,true,null,\"x\"]}", "written back compact");
	is_str(roundtrip("[0,-0,1e3,123456789012345678]"),
	    "[0,0,1000,123456789012345678]", "numbers written back");
	ok(parse("99999999999999999999") == 0 && !doc.root.u.num.is_int &&
	    doc.root.u.num.d > 9e19, "an integer beyond 64 bits is a double");
	ok(uldt_json_int(&doc.root, &i) < 0, "... and not an integer");
	ok(parse("tru") < 0, "a cut literal is refused");
	static const char *const bad_numbers[] = {
		"01", "-", "1.", ".5", "+1", "1e", "1e+", "0x10", "-01", "1.e3",
	};
	for (size_t k = 0; k < sizeof(bad_numbers) / sizeof(*bad_numbers);
	     k++)
		ok(parse(bad_numbers[k]) < 0, "number '%s' is refused",
		    bad_numbers[k]);
}

static void
test_escapes(void)
{
	is_str(str_of("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), "\"\\/\b\f\n\r\t",
	    "the two-character escapes");
	is_str(str_of("\"\\u0041\\u00e9\\u20AC\""), "A\xc3\xa9\xe2\x82\xac",
	    "\\u escapes to UTF-8 (1, 2 and 3 bytes)");
	is_str(str_of("\"\\ud83d\\ude00\""), "\xf0\x9f\x98\x80",
	    "a surrogate pair is one 4-byte character");
	is_str(str_of("\"\\ud800x\""), "\xef\xbf\xbdx",
	    "a lone high surrogate is U+FFFD");
	is_str(str_of("\"\\udc00\""), "\xef\xbf\xbd",
	    "a lone low surrogate is U+FFFD");
	is_str(str_of("\"\\ud800\\u0041\""), "\xef\xbf\xbd" "A",
	    "a high surrogate then a character keeps the character");
	ok(parse("\"a\\u0000b\"") == 0 && doc.root.u.str.len == 3 &&
	    doc.root.u.str.s[1] == '\0', "\\u0000 is kept, with the length");
	ok(parse("\"\\x\"") < 0 && strstr(err, "bad escape") != NULL,
	    "an unknown escape is refused: %s", err);
	ok(parse("\"\\u12\"") < 0, "a short \\u escape is refused: %s", err);
	ok(parse("\"\\u12") < 0, "a \\u escape cut by the end: %s", err);
	ok(parse("\"a\tb\"") < 0 && strstr(err, "control") != NULL,
	    "a raw control character is refused: %s", err);
}

static void
test_output(void)
{
	is_str(put_str("a\"b\\c\n\t\x01\x7f"),
	    "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\"",
	    "quotes, backslashes and control bytes are escaped");
	is_str(put_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
	    "valid UTF-8 is written as is");
	is_str(put_str("a\xff" "b"), "\"a\\ufffdb\"",
	    "a byte that is not UTF-8 becomes \\ufffd");
	is_str(put_str("\xc0\xaf"), "\"\\ufffd\\ufffd\"",
	    "an overlong form is not UTF-8");
	is_str(put_str("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"",
	    "an encoded surrogate is not UTF-8");
	is_str(put_str("\xf4\x90\x80\x80"),
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "beyond U+10FFFF is not UTF-8");
	is_str(put_str("x\xe2\x82"), "\"x\\ufffd\\ufffd\"",
	    "a sequence cut by the end of the string");
	/* What was read with a NUL in it is written with the NUL. */
	is_str(roundtrip("\"a\\u0000b\""), "\"a\\u0000b\"",
	    "a NUL inside a string survives a round trip");
	ok(parse(put_str("\xff\xfe\x01\"")) == 0,
	    "what the writer makes of any bytes parses again");
}

static void
test_limits(void)
{
	char deep[300];
	size_t n;

	for (n = 0; n < 65; n++)
		deep[n] = '[';
	for (; n < 130; n++)
		deep[n] = ']';
	deep[n] = '\0';
	ok(parse(deep) == 0, "65 nested arrays parse");
	memmove(deep + 1, deep, strlen(deep) + 1);
	deep[0] = '[';
	strcat(deep, "]");
	ok(parse(deep) < 0 && strstr(err, "nested deeper") != NULL,
	    "66 nested arrays are refused: %s", err);

	/* Far deeper than any stack would hold if the depth were not
	 * bounded: refused quickly, no crash. */
	size_t big = 1000000;
	char *s = malloc(big + 1);
	memset(s, '[', big);
	s[big] = '\0';
	ok(parse_n(s, big) < 0, "a million '[' are refused: %s", err);
	for (size_t k = 0; k + 5 <= big; k += 5)
		memcpy(s + k, "{\"a\":", 5);
	ok(parse_n(s, big) < 0 && strstr(err, "nested deeper") != NULL,
	    "200000 nested objects are refused: %s", err);
	free(s);

	static const char *const cut[] = {
		"", "   ", "{", "{\"kind\"", "{\"kind\":", "{\"kind\":\"x",
		"{\"kind\":\"x\",", "[1,2", "{\"a\":[1,{\"b\":", "nul",
	};
	for (size_t k = 0; k < sizeof(cut) / sizeof(*cut); k++)
		ok(parse(cut[k]) < 0 && err[0] != '\0',
		    "truncated '%s' is refused: %s", cut[k], err);
	ok(parse("{} x") < 0 && strstr(err, "after the value") != NULL,
	    "text after the value is refused: %s", err);
	ok(parse("[1,]") < 0 && strncmp(err, "column 4:", 9) == 0,
	    "the error names the column: %s", err);
	/* The length bounds the reader, not a NUL. */
	ok(parse_n("[1]garbage", 3) == 0,
	    "only len bytes are read");
}

static void
test_getline(void)
{
	FILE *f = tmpfile();
	char *buf = NULL;
	size_t cap = 0;
	int tr;
	long n;

	fputs("a\nbb\n\n", f);
	for (int i = 0; i < 100000; i++)
		putc('x', f);
	fputs("\nlast", f);
	rewind(f);
	n = uldt_getline(f, &buf, &cap, &tr);
	ok(n == 1 && strcmp(buf, "a") == 0 && !tr, "first line");
	n = uldt_getline(f, &buf, &cap, &tr);
	ok(n == 2 && strcmp(buf, "bb") == 0, "second line");
	n = uldt_getline(f, &buf, &cap, &tr);
	ok(n == 0 && buf[0] == '\0' && !tr, "an empty line");
	n = uldt_getline(f, &buf, &cap, &tr);
	ok(n == 100000 && strlen(buf) == 100000 && !tr, "a 100000-byte line");
	n = uldt_getline(f, &buf, &cap, &tr);
	ok(n == 4 && strcmp(buf, "last") == 0 && tr,
	    "a last line without newline is flagged truncated");
	ok(uldt_getline(f, &buf, &cap, &tr) == -1, "then end of file");
	fclose(f);
	free(buf);
}

int
main(void)
{
	test_values();
	test_escapes();
	test_output();
	test_limits();
	test_getline();
	uldt_json_free(&doc);
	return done_testing();
}
