/*
 * keysort.c: heapsort by a leading uint64_t key.
 */
#include "keysort.h"

#include <stdint.h>
#include <string.h>

static uint64_t
key(const char *base, size_t size, size_t i)
{
	uint64_t k;

	memcpy(&k, base + i * size, sizeof(k));
	return k;
}

static void
swap(char *base, size_t size, size_t i, size_t j)
{
	char t[64];

	memcpy(t, base + i * size, size);
	memcpy(base + i * size, base + j * size, size);
	memcpy(base + j * size, t, size);
}

static void
sift(char *a, size_t size, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && key(a, size, c + 1) > key(a, size, c))
			c++;
		if (key(a, size, root) >= key(a, size, c))
			return;
		swap(a, size, root, c);
		root = c;
	}
}

void
uld__keysort(void *base, size_t n, size_t size)
{
	char *a = base;

	if (size < sizeof(uint64_t) || size > 64)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift(a, size, i, n);
	for (size_t end = n; end-- > 1;) {
		swap(a, size, 0, end);
		sift(a, size, 0, end);
	}
}
