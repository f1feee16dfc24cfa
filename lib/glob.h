/*
 * glob.h: shell glob patterns (`*`, `?`, `[...]`, `\`) over bytes.
 *
 * Our own rather than fnmatch(3): suppressions are matched while a report
 * is emitted, which may happen inside a signal handler with validator locks
 * held, and glibc's fnmatch allocates (malloc, from the program's heap) for
 * patterns it treats as multibyte.  This one never allocates, never
 * recurses, and ignores the locale: it is fnmatch(pattern, s, 0) in the C
 * locale, minus the [:class:] forms.  Async-signal-safe.
 */
#ifndef ULD_GLOB_H
#define ULD_GLOB_H

/* 1 if `s` matches `pat` as a whole. */
int uld__glob_match(const char *pat, const char *s);
/* NULL if `pat` is well formed, else why not ("unterminated '['"). */
const char *uld__glob_check(const char *pat);

#endif /* ULD_GLOB_H */
