#!/bin/sh
# scale.sh PROG PRELOAD OUT [SIZES]: make bench-scale.  Runs PROG (scale.c)
# for each workload and size, bare and under the preload, one process
# each, and prints one table: wall time of the workload, ns per operation
# (a first-sight edge for classes and edges, a thread, a lock taken), and
# peak RSS (VmHWM) bare, validated, and the difference: the validator's
# memory at that size.  Every line of PROG is kept in OUT.  A validated
# run that reports anything, or prints any "ulockdep:" line (a limit, out
# of memory), is flagged in the last column: at these sizes there must be
# none.  Nothing here asserts a time.
set -u
prog=$1 preload=$2 out=$3
sizes=${4:-"classes:1000,10000,100000 edges:10000,100000,1000000
threads:10,100,1000 depth:10,100,1000 destroy:2,100,1000"}
: >"$out"
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
printf '%-8s %8s | %9s %10s %10s | %9s %9s %9s | %s\n' workload n \
    time_s ns/op bare_ns/op rss_kB bare_kB delta_kB check
printf -- '---------------------------------------------------------------------------------------------------\n'
for ws in $sizes; do
	w=${ws%%:*}
	for n in $(printf '%s' "${ws#*:}" | tr ',' ' '); do
		bare=$(timeout -s KILL 600 "$prog" "$w" "$n")
		uld=$(LD_PRELOAD="$preload" timeout -s KILL 1200 "$prog" "$w" "$n" \
		    2>"$out.err")
		st=$?
		printf 'bare %s\nulockdep %s\n' "$bare" "$uld" >>"$out"
		sed 's/^/stderr: /' "$out.err" >>"$out"
		note=ok
		[ $st -eq 0 ] || note="exit $st"
		[ "$(field "$uld" reports)" = 0 ] || note="REPORTS: $(field "$uld" reports)"
		grep -q 'ulockdep:' "$out.err" && note="$(grep -m1 'ulockdep:' "$out.err")"
		rb=$(field "$bare" vmhwm_kb) ru=$(field "$uld" vmhwm_kb)
		printf '%-8s %8s | %9s %10s %10s | %9s %9s %9s | %s\n' "$w" "$n" \
		    "$(field "$uld" time_s)" "$(field "$uld" ns_per_op)" \
		    "$(field "$bare" ns_per_op)" "$ru" "$rb" \
		    "$(( ${ru:-0} - ${rb:-0} ))" "$note"
	done
done | tee -a "$out.table"
cat "$out.table" >>"$out"
rm -f "$out.err" "$out.table"
