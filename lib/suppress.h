/*
 * suppress.h: the suppressions file (option `suppressions`).
 */
#ifndef ULD_SUPPRESS_H
#define ULD_SUPPRESS_H

#endif /* ULD_SUPPRESS_H */
