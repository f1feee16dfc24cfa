/*
 * graph_save.h: saving the learned lock graph at exit (option graph_path).
 */
#ifndef ULD_GRAPH_SAVE_H
#define ULD_GRAPH_SAVE_H

#endif /* ULD_GRAPH_SAVE_H */
