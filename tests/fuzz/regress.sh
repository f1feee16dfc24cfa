#!/bin/sh
# regress.sh: inputs that once crashed a fuzz target (tests/fuzz/regress/,
# named TARGET-WHAT) and the seed corpora of the file readers, given to
# the production code as `make check` builds it (no clang needed): the
# options string to a program under the preload, a suppressions file to
# the same, graphs to `ulockdep merge`, reports to `ulockdep report`.
# Each must end with one of its documented statuses, never a signal.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

ULOCKDEP=$ULD_BUILDDIR/tools/ulockdep
ORDER=$ULD_BUILDDIR/tests/tools/order
FUZZ=$ULD_SRCDIR/tests/fuzz
unset ULOCKDEP_PRELOAD ULOCKDEP_OPTIONS LD_PRELOAD
ulimit -c 0 2>/dev/null

# one TARGET FILE: runs the reader of TARGET on FILE; $status.
one() {
	dir=$workdir/$tap_n
	mkdir -p "$dir"
	case $1 in
	options)
		timeout -s KILL 60 env ULOCKDEP_OPTIONS="$(cat "$2")" \
		    LD_PRELOAD="$ULD_PRELOAD" "$ORDER" AB >"$dir/out" 2>"$dir/err"
		status=$?; want="0 66" ;;
	suppress)
		timeout -s KILL 60 env ULOCKDEP_OPTIONS="suppressions=$2" \
		    LD_PRELOAD="$ULD_PRELOAD" "$ORDER" AB >"$dir/out" 2>"$dir/err"
		status=$?; want="0 66" ;;
	graph)
		timeout -s KILL 60 "$ULOCKDEP" merge "$2" >"$dir/out" 2>"$dir/err"
		status=$?; want="0 1 2 3" ;;
	reports)
		timeout -s KILL 60 "$ULOCKDEP" report "$2" >"$dir/out" 2>"$dir/err"
		status=$?; want="0 1 2 3" ;;
	esac
	case " $want " in *" $status "*) return 0 ;; esac
	why="status $status, expected one of: $want"
	return 1
}

for f in "$FUZZ"/regress/* "$FUZZ"/corpus/suppress/* "$FUZZ"/corpus/graph/* \
    "$FUZZ"/corpus/reports/*; do
	[ -f "$f" ] || continue
	case $f in
	*/regress/*) t=$(basename "$f"); t=${t%%-*} ;;
	*) t=$(basename "$(dirname "$f")") ;;
	esac
	case $t in options | suppress | graph | reports) ;; *) continue ;; esac
	one "$t" "$f"
	check $? "$t: ${f#"$FUZZ"/}"
done

finish
