#!/bin/sh
# matrix-vg1.sh: half 2 of matrix.sh, for make check-valgrind.
ULD_MATRIX_SHARD=1/2
. "${ULD_SRCDIR:?}/tests/preload/matrix.sh"
