#!/bin/sh
# run.sh: the `make bench` driver.
#
#   run.sh BENCH PRELOAD RESULTS [ROUNDS [SCALE]]
#
# Runs each workload of BENCH bare and under each tool of BENCH_TOOLS
# (default "ulockdep tsan helgrind"), ROUNDS times, one process per run,
# and prints one table: the median ns per lock+unlock pair of each, and
# the median over rounds of its ratio to the bare run of the same round.
#
#   ulockdep  BENCH with LD_PRELOAD=PRELOAD
#   tsan      BENCH_TSAN, bench.c built with -fsanitize=thread, run with
#             TSAN_OPTIONS=detect_deadlocks=1 (skipped if BENCH_TSAN is
#             unset or not a program: the compiler could not build it)
#   helgrind  valgrind --tool=helgrind BENCH -n BENCH_HELGRIND_PAIRS
#             (default 2000: a fixed count, Helgrind is 1000x slower;
#             skipped if valgrind is not installed)
#
# In each round the tools take turns, workload by workload, and the turn
# order rotates by round, so a drift of the machine (frequency, a noisy
# neighbour) lands on every column alike.  Every run's number goes to
# RESULTS, one line each: round=R tool=T workload=W ns_per_pair=NS.
#
# A run that fails is not retried or skipped: the script stops and prints
# the command that reproduces it.  A lock report fails a run too (exit
# status 66): the workloads keep one lock order, so a report is a bug.

set -u
bench=$1 preload=$2 results=$3 rounds=${4:-5} scale=${5:-1}
tools=${BENCH_TOOLS-ulockdep tsan helgrind}
tsan_bench=${BENCH_TSAN-}
hg_pairs=${BENCH_HELGRIND_PAIRS:-2000}

# Each tool's defaults, whatever the caller's environment says.
unset ULOCKDEP_OPTIONS LD_PRELOAD VALGRIND_OPTS
TSAN_OPTIONS=detect_deadlocks=1:second_deadlock_stack=1:report_signal_unsafe=0:halt_on_error=0
export TSAN_OPTIONS
# A hung run (a validator deadlock) must not hang `make bench`.
tmo=
command -v timeout >/dev/null 2>&1 && tmo="timeout -s KILL 60"

[ -x "$bench" ] || { echo "run.sh: no $bench: run make first" >&2; exit 1; }
workloads=$("$bench" -l) || exit 1
err=$(mktemp "${TMPDIR:-/tmp}/uld-bench.XXXXXX") || exit 1
trap 'rm -f "$err"' EXIT

# Which tools run; a tool that cannot gets a note under the table.
run_tools= notes=
for t in $tools; do
	case $t in
	ulockdep)
		if [ -f "$preload" ]; then run_tools="$run_tools $t"
		else notes="$notes
ulockdep: skipped, no $preload"; fi ;;
	tsan)
		if [ -n "$tsan_bench" ] && [ -x "$tsan_bench" ]; then
			run_tools="$run_tools $t"
		else notes="$notes
tsan: skipped, the compiler could not build bench.c with -fsanitize=thread"
		fi ;;
	helgrind)
		if command -v valgrind >/dev/null 2>&1; then
			run_tools="$run_tools $t"
		else notes="$notes
helgrind: skipped, valgrind is not installed"; fi ;;
	*)	echo "run.sh: BENCH_TOOLS: unknown tool '$t'" \
		    "(ulockdep, tsan, helgrind)" >&2
		exit 1 ;;
	esac
done
all="bare$run_tools"
ntools=$(echo $all | wc -w)

# run_one TOOL WORKLOAD: one process; prints its ns_per_pair.
run_one() {
	case $1 in
	bare)	  set -- "$1" "$2" "$bench -s $scale $2" ;;
	# Only the benchmark runs under the preload, not timeout(1).
	ulockdep) set -- "$1" "$2" "env LD_PRELOAD=$preload $bench -s $scale $2" ;;
	tsan)	  set -- "$1" "$2" "$tsan_bench -s $scale $2" ;;
	helgrind) set -- "$1" "$2" "valgrind --tool=helgrind -q $bench -n $hg_pairs $2" ;;
	esac
	out=$($tmo $3 2>"$err")
	status=$?
	cat "$err" >&2
	ns=$(printf '%s\n' "$out" | sed -n "s/^workload=$2 ns_per_pair=//p")
	if [ $status -ne 0 ] || [ -z "$ns" ]; then
		echo "run.sh: $1 run of $2 failed (exit status $status)." >&2
		[ $status -eq 66 ] && echo "(66: $1 made a report)" >&2
		[ $status -eq 137 ] && echo "(137: killed after 60 s: a hang?)" >&2
		[ "$1" = tsan ] && echo "TSAN_OPTIONS=$TSAN_OPTIONS" >&2
		echo "Reproduce with:  $3" >&2
		exit 1
	fi
	echo "$ns"
}

{
	echo "# ulockdep bench: $(date -u '+%Y-%m-%dT%H:%M:%SZ')," \
	    "$(uname -srm), $(getconf _NPROCESSORS_ONLN 2>/dev/null) CPUs," \
	    "load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
	echo "# rounds=$rounds scale=$scale tools=$all" \
	    "helgrind_pairs=$hg_pairs preload=$preload tsan=$tsan_bench"
} >"$results"

echo "ulockdep bench: $rounds rounds of $all (raw numbers: $results)"
start=$(date +%s)
r=1
while [ $r -le "$rounds" ]; do
	# Round r starts with tool number (r - 1) mod ntools.
	order=$(echo $all $all | tr ' ' '\n' |
	    sed -n "$(( (r - 1) % ntools + 1 )),+$((ntools - 1))p")
	for w in $workloads; do
		for t in $order; do
			ns=$(run_one "$t" "$w") || exit 1
			echo "round=$r tool=$t workload=$w ns_per_pair=$ns" >>"$results"
		done
	done
	r=$((r + 1))
done

# Medians per workload and tool, then the table (kept in RESULTS too).
table=$(awk -v order="$(echo $workloads)" -v tools="$all" '
	/^round=/ {
		split($1, r, "="); split($2, t, "="); split($3, w, "=")
		split($4, v, "=")
		ns[r[2], t[2], w[2]] = v[2] + 0
		seen[r[2]] = 1
	}
	function add(k, x) { vals[k, ++n[k]] = x }
	function median(k,    i, j, t, c) {
		c = n[k]
		if (c == 0) return -1
		for (i = 2; i <= c; i++)	# insertion sort: a few values
			for (j = i; j > 1 && vals[k, j - 1] > vals[k, j]; j--) {
				t = vals[k, j]; vals[k, j] = vals[k, j - 1]; vals[k, j - 1] = t
			}
		return c % 2 ? vals[k, (c + 1) / 2] : (vals[k, c / 2] + vals[k, c / 2 + 1]) / 2
	}
	END {
		nt = split(tools, ts, " "); nw = split(order, ws, " ")
		for (rr in seen)
			for (i = 1; i <= nw; i++) {
				b = ns[rr, "bare", ws[i]]
				for (j = 1; j <= nt; j++) {
					x = ns[rr, ts[j], ws[i]]
					add(ws[i] SUBSEP ts[j], x)
					if (j > 1 && b > 0)
						add(ws[i] SUBSEP ts[j] SUBSEP "ratio", x / b)
				}
			}
		line = sprintf("%-12s | %10s", "workload", "bare")
		rule = sprintf("%-12s-+-%10s", "------------", "----------")
		for (j = 2; j <= nt; j++) {
			line = line sprintf(" | %20s", ts[j] " (ratio)")
			rule = rule "-+---------------------"
		}
		print line; print rule
		for (i = 1; i <= nw; i++) {
			line = sprintf("%-12s | %10.1f", ws[i], median(ws[i] SUBSEP "bare"))
			for (j = 2; j <= nt; j++)
				line = line sprintf(" | %10.1f (%6.1fx)",
				    median(ws[i] SUBSEP ts[j]),
				    median(ws[i] SUBSEP ts[j] SUBSEP "ratio"))
			print line
		}
	}' "$results")
legend="ns per lock+unlock pair, median of $rounds rounds; (ratio): median
over rounds of tool / bare of the same round.  tsan: -fsanitize=thread
build, detect_deadlocks=1; helgrind: $hg_pairs pairs per run, not timed
budgets.  Other load on the machine moves every number: compare columns
of one table, not tables of two runs."
echo "$table"
echo "$legend"
[ -n "$notes" ] && echo "$notes" | sed '/^$/d'
echo "($(( $(date +%s) - start )) s)"
{ echo "$table"; echo "$legend"; [ -n "$notes" ] && echo "$notes" | sed '/^$/d'; } |
    sed 's/^/# /' >>"$results"
exit 0
