/*
 * suppress.h: the suppressions file (option `suppressions`).
 *
 * One rule per line, `KIND:PATTERN` or `signature:HEX` (the format is in
 * ulockdep-options(7)).  A report is suppressed when a rule of its kind
 * (or of kind `*`) matches a class name of its locks or of its cycle or
 * irq chain, or a function or module in a frame of any of its stacks; a
 * signature rule matches that one signature.
 *
 * The file is read once, at start-up, into anonymous mappings;
 * the rules are immutable afterwards, so matching takes no lock of this
 * module.  Matching runs inside report emission (under uld__graph_lock,
 * signals blocked, perhaps in a signal handler): it allocates nothing
 * itself and only names frames through symbols.h, as the renderers do.
 */
#ifndef ULD_SUPPRESS_H
#define ULD_SUPPRESS_H

#include <stdint.h>

struct uld__report;

struct uld__supp {
	int kind;		/* enum uld__report_kind; -1: any kind */
	int is_sig;		/* a signature rule: match `sig` only */
	uint64_t sig;
	const char *pattern;	/* the glob (or the signature as written) */
	unsigned line;		/* line in the file, for messages */
};

/*
 * Read the rules of the file `path` ("" or NULL: none).  Each bad line
 * prints one line on stderr naming the file and the line; an unreadable
 * file prints one line naming it.  The good lines are kept either way.
 * Returns the number of rules loaded.
 */
unsigned uld__suppress_load(const char *path);
/* The file the rules came from ("" if none). */
const char *uld__suppress_file(void);
/*
 * The first rule that matches the report, or NULL.  With a match, *what
 * (if `what` is not NULL) is the name it matched: a class, a function, a
 * module path, or the signature rule's text.
 */
const struct uld__supp *uld__suppress_match(const struct uld__report *r,
    const char **what);
/* Forget every rule (tests). */
void uld__suppress_reset(void);

#endif /* ULD_SUPPRESS_H */
