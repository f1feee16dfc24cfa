#!/bin/sh
# matrix-vg0.sh: half 1 of matrix.sh, for make check-valgrind.
ULD_MATRIX_SHARD=0/2
. "${ULD_SRCDIR:?}/tests/preload/matrix.sh"
