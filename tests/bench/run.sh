#!/bin/sh
# run.sh: the `make bench` driver.
#
#   run.sh BENCH PRELOAD RESULTS [ROUNDS [SCALE]]
#
# Runs each workload of BENCH bare and under LD_PRELOAD=PRELOAD, ROUNDS
# times, one process per run, and prints the median of each as a table.
# Bare and validated runs alternate, and which goes first alternates by
# round, so a drift of the machine (frequency, a noisy neighbour) lands on
# both columns alike.  Every run's number goes to RESULTS.
#
# A run that fails is not retried or skipped: the script stops and prints
# the command that reproduces it.  A lock report fails a run too (exit
# status 66): the workloads keep one lock order, so a report is a bug.

set -u
bench=$1 preload=$2 results=$3 rounds=${4:-5} scale=${5:-1}

# The validator's defaults, whatever the caller's environment says.
unset ULOCKDEP_OPTIONS LD_PRELOAD
# A hung run (a validator deadlock) must not hang `make bench`.
tmo=
command -v timeout >/dev/null 2>&1 && tmo="timeout -s KILL 60"

[ -x "$bench" ] || { echo "run.sh: no $bench: run make first" >&2; exit 1; }
[ -f "$preload" ] || { echo "run.sh: no $preload" >&2; exit 1; }
workloads=$("$bench" -l) || exit 1
err=$(mktemp "${TMPDIR:-/tmp}/uld-bench.XXXXXX") || exit 1
trap 'rm -f "$err"' EXIT

# run_one MODE WORKLOAD: one process; prints its ns_per_pair.
run_one() {
	if [ "$1" = bare ]; then
		set -- "$1" "$2" ""
	else
		set -- "$1" "$2" "LD_PRELOAD=$preload"
	fi
	# Only the benchmark runs under the preload, not timeout(1).
	out=$($tmo env ${3:+"$3"} "$bench" -s "$scale" "$2" 2>"$err")
	status=$?
	cat "$err" >&2
	ns=$(printf '%s\n' "$out" | sed -n "s/^workload=$2 ns_per_pair=//p")
	if [ $status -ne 0 ] || [ -z "$ns" ]; then
		echo "run.sh: $1 run of $2 failed (exit status $status)." >&2
		[ $status -eq 66 ] && echo "(66: ulockdep made a report)" >&2
		[ $status -eq 137 ] && echo "(137: killed after 60 s: a hang?)" >&2
		echo "Reproduce with:  $3 $bench -s $scale $2" >&2
		exit 1
	fi
	echo "$ns"
}

{
	echo "# ulockdep bench: $(date -u '+%Y-%m-%dT%H:%M:%SZ')," \
	    "$(uname -srm), $(getconf _NPROCESSORS_ONLN 2>/dev/null) CPUs"
	echo "# rounds=$rounds scale=$scale preload=$preload"
} >"$results"

echo "ulockdep bench: $rounds rounds, median ns per lock+unlock pair" \
    "(raw numbers: $results)"
r=1
while [ $r -le "$rounds" ]; do
	if [ $((r % 2)) -eq 1 ]; then order="bare ulockdep"; else order="ulockdep bare"; fi
	for w in $workloads; do
		for mode in $order; do
			ns=$(run_one "$mode" "$w") || exit 1
			echo "round=$r mode=$mode workload=$w ns_per_pair=$ns" >>"$results"
		done
	done
	r=$((r + 1))
done

# Median per workload and mode, then the table (kept in RESULTS too).
table=$(awk -v order="$(echo $workloads)" '
	/^round=/ {
		split($2, m, "="); split($3, w, "="); split($4, v, "=")
		k = w[2] SUBSEP m[2]
		vals[k, ++n[k]] = v[2] + 0
	}
	function median(k,    i, j, t, c) {
		c = n[k]
		for (i = 2; i <= c; i++)	# insertion sort: a few values
			for (j = i; j > 1 && vals[k, j - 1] > vals[k, j]; j--) {
				t = vals[k, j]; vals[k, j] = vals[k, j - 1]; vals[k, j - 1] = t
			}
		return c % 2 ? vals[k, (c + 1) / 2] : (vals[k, c / 2] + vals[k, c / 2 + 1]) / 2
	}
	END {
		printf "%-12s | %12s | %16s | %6s\n", "workload", "bare ns/pair",
		    "ulockdep ns/pair", "ratio"
		printf "%-12s-+-%12s-+-%16s-+-%6s\n", "------------", "------------",
		    "----------------", "------"
		nw = split(order, ws, " ")
		for (i = 1; i <= nw; i++) {
			b = median(ws[i] SUBSEP "bare"); u = median(ws[i] SUBSEP "ulockdep")
			printf "%-12s | %12.2f | %16.2f | %5.1fx\n", ws[i], b, u,
			    (b > 0 ? u / b : 0)
		}
	}' "$results")
echo "$table"
echo "$table" | sed 's/^/# /' >>"$results"
