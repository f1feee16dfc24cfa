/*
 * graph_save.h: saving the learned lock graph at exit (option graph_path).
 *
 * The file is doc/graph-format.md, version 1: JSON Lines, written whole to
 * a temporary file in the same directory, fsynced, then renamed into
 * place, so a reader never sees half of one.  Saving takes
 * uld__graph_lock (rank 1; the symbol lock, rank 4, nests inside it while
 * frames are named) with every signal blocked; it gives up, with one line
 * on stderr, rather than wait more than a few seconds for it.
 */
#ifndef ULD_GRAPH_SAVE_H
#define ULD_GRAPH_SAVE_H

/*
 * Save the graph to `path` (the final name, "PATH.<pid>").  0 when saved;
 * -1 after one line on stderr naming `path` and why, with no file left
 * behind.  The caller has blocked signals and set the re-entry guard.
 */
int uld__graph_save(const char *path);
/*
 * At exit (init.c): with graph_path=PATH, save to PATH.<pid>.  Never
 * changes the exit status, never aborts.
 */
void uld__graph_save_exit(void);

#endif /* ULD_GRAPH_SAVE_H */
