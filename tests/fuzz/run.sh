#!/bin/sh
# run.sh: run each libFuzzer target of `make fuzz` for a fixed number of
# executions from a copy of its seed corpus, and print one line per
# target: executions, coverage (libFuzzer's final `cov:` line) and time.
#
#   run.sh SRCDIR BUILDDIR RUNS TARGET:MAX_LEN...
#
# New inputs go to BUILDDIR/tests/fuzz/work/TARGET, never to the seeds;
# a crash leaves BUILDDIR/tests/fuzz/work/crash-TARGET-* and fails.
srcdir=$1 builddir=$2 runs=$3
shift 3
work=$builddir/tests/fuzz/work
status=0
for spec in "$@"; do
	t=${spec%%:*} max_len=${spec#*:}
	rm -rf "$work/$t"
	mkdir -p "$work/$t"
	log=$work/$t.log
	# -close_fd_mask=3: the readers' own error lines would drown the
	# output; libFuzzer and the sanitizers keep a copy of stderr.
	if "$builddir/tests/fuzz/fuzz_$t" -runs="$runs" -max_len="$max_len" \
	    -close_fd_mask=3 -artifact_prefix="$work/crash-$t-" \
	    "$work/$t" "$srcdir/tests/fuzz/corpus/$t" >"$log" 2>&1; then
		done_line=$(grep 'DONE' "$log" | tail -n 1)
		secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
		execs=$(printf '%s\n' "$done_line" | sed 's/^#\([0-9]*\).*/\1/')
		cov=$(printf '%s\n' "$done_line" | sed 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*\(corp: [^ ]*\).*/\1 \2 \3/')
		printf 'fuzz_%-8s %s executions, %s, %ss\n' "$t" "$execs" "$cov" "$secs"
	else
		printf 'fuzz_%-8s FAILED: see %s\n' "$t" "$log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5
		status=1
	fi
done
exit $status
