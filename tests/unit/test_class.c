/*
 * test_class.c: lock classes and their names.
 *
 * Classes are keyed by what the contract says (init site, static variable
 * with arrays sharing one class, first acquisition site, key, name) and
 * named from the full symbol table; the names end up in reports and
 * signatures, so they must be exact and stable.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "class.h"
#include "init.h"
#include "symbols.h"
#include "tap.h"

static pthread_mutex_t lone_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t other_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t arr[4];
static pthread_spinlock_t spins[8];
static struct {
	int x;
	pthread_mutex_t m;
} holder;

/* A function to name: noinline, so it has its own symbol. */
__attribute__((noinline)) int site_fn(int x);
__attribute__((noinline)) int
site_fn(int x)
{
	return x * 3 + 1;
}

/* A real call site, with its line: run-time classes are named by it. */
static const void *site_ip;
__attribute__((noinline)) static void
record_site(void)
{
	site_ip = __builtin_return_address(0);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

static void
test_variable_names(void)
{
	char buf[128];
	const void *key;

	uld__name_variable(&lone_lock, ULD_LOCK_MUTEX, 1, buf, sizeof(buf),
	    &key);
	is_str(buf, "lone_lock", "static mutex named by its variable");
	ok(key == &lone_lock, "its class key is the variable");

	uld__name_variable(&arr[2], ULD_LOCK_MUTEX, 0, buf, sizeof(buf), &key);
	is_str(buf, "arr[2]", "array element named with its index");
	ok(key == &arr[2], "an element's own key when not asked for the class");
	uld__name_variable(&arr[2], ULD_LOCK_MUTEX, 1, buf, sizeof(buf), &key);
	is_str(buf, "arr[]", "array class named with empty brackets");
	ok(key == &arr[0], "array class key is the array, for every element");
	uld__name_variable(&arr[3], ULD_LOCK_MUTEX, 1, buf, sizeof(buf), &key);
	ok(key == &arr[0], "another element: the same class key");

	uld__name_variable((const void *)&spins[5], ULD_LOCK_SPIN, 0, buf, sizeof(buf), NULL);
	is_str(buf, "spins[5]", "spinlock array element, 4-byte locks");

	uld__name_variable(&holder.m, ULD_LOCK_MUTEX, 1, buf, sizeof(buf),
	    &key);
	is_str(buf, "holder+0x8", "lock inside a static struct: var+offset");
	ok(key == &holder.m, "a struct member is a class of its own");

	void *heap = malloc(64);
	uld__name_variable(heap, ULD_LOCK_MUTEX, 1, buf, sizeof(buf), NULL);
	is_str(buf, "", "heap memory has no variable name");
	free(heap);
}

static void
test_code_names(void)
{
	char buf[128];
	const char *ip = (const char *)(uintptr_t)site_fn + 1;

	uld__name_code(ip, buf, sizeof(buf));
	is_str(buf, "site_fn+0x1", "code address: function+offset");
}

static void
test_registry(void)
{
	record_site(); int site_line = __LINE__;
	const void *site = site_ip;
	char want_site[32] = "", want[64], want_sub[96];
	struct uld__class *a, *b, *c, *h, *o, *s1, *s2, *n1, *n2, *n3;
	char want_other[64];

#if ULD_HAVE_LIBDW
	snprintf(want_site, sizeof(want_site), "test_class.c:%d", site_line);
#else
	/* No DWARF: function+offset, the offset is the compiler's. */
	struct uld__symbol sym;
	(void)site_line;
	if (uld__sym_function((const char *)site - 1, &sym) == 0)
		snprintf(want_site, sizeof(want_site), "%s+0x%lx", sym.name,
		    (unsigned long)((uintptr_t)site - sym.start));
#endif
	snprintf(want, sizeof(want), "lone_lock [%s]", want_site);
	snprintf(want_sub, sizeof(want_sub), "%s/2", want);
	snprintf(want_other, sizeof(want_other), "other_lock [%s]", want_site);
	a = uld__class_get(ULD_CLASS_INIT_SITE, site, ULD_LOCK_MUTEX, NULL,
	    &lone_lock);
	b = uld__class_get(ULD_CLASS_INIT_SITE, site, ULD_LOCK_MUTEX, NULL,
	    &lone_lock);
	if (!ok(a != NULL && b != NULL, "init-site classes created"))
		return;
	ok(a == b, "same init site, same static variable: same class");
	is_str(uld__class_name(a), want,
	    "init-site class leads with its first lock's variable, then file:line");
	/* Statics made through one helper are different locks. */
	o = uld__class_get(ULD_CLASS_INIT_SITE, site, ULD_LOCK_MUTEX, NULL,
	    &other_lock);
	ok(o != NULL && o != a, "another static variable, same site: another class");
	if (o)
		is_str(uld__class_name(o), want_other, "named by its own variable");
	void *heap = malloc(64);
	h = uld__class_get(ULD_CLASS_INIT_SITE, site, ULD_LOCK_MUTEX, NULL,
	    heap);
	ok(h != NULL && h != a && h != o &&
	    h == uld__class_get(ULD_CLASS_INIT_SITE, site, ULD_LOCK_MUTEX,
		NULL, NULL),
	    "a heap lock at that site: the site's one class");
	free(heap);
	c = uld__class_get(ULD_CLASS_ACQUIRE_SITE, site, ULD_LOCK_MUTEX, NULL,
	    NULL);
	ok(c != NULL && c != a, "same address, other kind: another class");
	if (c)
		is_str(uld__class_name(c), want_site, "acquire-site class: the site");
	s1 = uld__class_sub(a, 2);
	s2 = uld__class_sub(a, 2);
	ok(s1 == s2 && s1 != a, "subclass 2: one class, not the base");
	is_str(uld__class_name(s1), want_sub, "subclass named base/N");
	ok(s1->id != a->id && s1->base == a, "subclass: own id, same base");
	ok(uld__class_sub(a, 0) == a, "subclass 0 is the base");
	ok(uld__class_sub(a, 99) == uld__class_sub(a, ULD_MAX_SUBCLASS),
	    "subclass beyond the maximum is clamped");

	n1 = uld__class_get(ULD_CLASS_NAME, NULL, ULD_LOCK_SPIN, "inode_lock",
	    NULL);
	n2 = uld__class_get(ULD_CLASS_NAME, NULL, ULD_LOCK_SPIN, "inode_lock",
	    &lone_lock);
	n3 = uld__class_get(ULD_CLASS_NAME, NULL, ULD_LOCK_SPIN, "sb_lock",
	    NULL);
	ok(n1 != NULL && n1 == n2, "one name, one class");
	ok(n3 != NULL && n3 != n1, "another name, another class");
	if (n1)
		is_str(uld__class_name(n1), "inode_lock", "named class keeps its name");

	struct uld__class *st = uld__class_get(ULD_CLASS_STATIC, &arr[0],
	    ULD_LOCK_MUTEX, NULL, &arr[0]);
	if (st)
		is_str(uld__class_name(st), "arr[]", "static class of an array: arr[]");
	ok(st != NULL && !st->own, "a program's lock is not the validator's");
}

int
main(void)
{
	/* The core's constructor has run (it is linked in); say so. */
	ok(uld__is_ready(), "validator core initialised");
	test_variable_names();
	test_code_names();
	test_registry();
	return done_testing();
}
