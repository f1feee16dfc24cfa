/*
 * environ.h: follow_exec=0 takes ulockdep out of the environment that
 * executed programs inherit (environ.c).
 */
#ifndef ULD_ENVIRON_H
#define ULD_ENVIRON_H

/* From uld__init, after the options are read. */
void uld__environ_init(void);

#endif /* ULD_ENVIRON_H */
