/*
 * kinds.h: what the command knows about each report kind (contract.md):
 * the validator's headline, how severe it is, and what to tell a reader.
 *
 * Text, JSON and SARIF output order reports by `rank` (most severe
 * first) and SARIF gives each kind a rule whose level is `level`.  A kind
 * the command does not know (a newer validator) still prints, last, as a
 * warning: uldt_kind_find returns the `unknown` entry for it.
 */
#ifndef ULDT_KINDS_H
#define ULDT_KINDS_H

#include <stddef.h>

struct uldt_kind {
	const char *name;	/* the `kind` field */
	const char *rule;	/* SARIF rule name, PascalCase */
	const char *headline;	/* as lib/report.h's ULD_REPORT_KINDS */
	const char *level;	/* SARIF level: "error" or "warning" */
	const char *summary;	/* one line: what was seen */
	const char *help;	/* what to do about it */
	int rank;		/* order of output, 0 first */
};

extern const struct uldt_kind uldt_kinds[];
extern const size_t uldt_nkinds;

/* The entry of `name`; the `unknown` entry (rank last, name NULL) when
 * the kind is not one of the contract's. */
const struct uldt_kind *uldt_kind_find(const char *name);

#endif /* ULDT_KINDS_H */
