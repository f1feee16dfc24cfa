#!/bin/sh
# soak.sh: real multi-threaded programs under the preload behave as bare.
#
# Each program runs twice on the same input, bare and under
# LD_PRELOAD=libulockdep-preload.so (reports to files in a temporary
# directory, verbosity=1 for the validator's summary): the same stdout
# (checksum) and stderr, the same exit status, and no report at all.  The
# wall time of both runs and their ratio (preloaded/bare) are printed as
# TAP diagnostics; no test asserts a time.  A program that is not
# installed is a SKIP saying so (scripts/install-deps.sh installs them).
#
# SOAK_SCALE (default 1: a few MB, some seconds) multiplies the inputs;
# `make soak SOAK_SCALE=10` is the long run.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
SCALE=${SOAK_SCALE:-1}
soak_opts= # extra ULOCKDEP_OPTIONS for the next program
REAL=$ULD_BUILDDIR/tests/real
tmo=$((120 * SCALE))
summary=$workdir/summary

# Inputs, the same for every run: text that compresses (not random
# bytes), and numbers for sort.  awk's own generator, so every machine
# makes the same bytes.
awk -v n=$((50000 * SCALE)) 'BEGIN { s = 12345
	for (i = 0; i < n; i++) {
		s = (s * 1103515245 + 12345) % 2147483648
		printf "%d line %08x %s\n", i, s,
		    substr("lorem ipsum dolor sit amet consectetur adipiscing",
			1 + s % 23, 8 + s % 19)
	} }' >"$workdir/text"
awk -v n=$((300000 * SCALE)) 'BEGIN { s = 7
	for (i = 0; i < n; i++) {
		s = (s * 1103515245 + 12345) % 2147483648
		print s % 1000000
	} }' >"$workdir/nums"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run_one MODE NAME INPUT CMD...: run CMD with stdin from INPUT in
# $workdir/NAME.MODE/ (the token @DIR@ in CMD is that directory), bare or
# preloaded; sets $rdir, $rstatus and $rms (wall time in ms).
run_one() {
	local mode=$1 name=$2 input=$3 t0 t1
	shift 3
	rdir=$workdir/$name.$mode
	mkdir -p "$rdir"
	set -- $(printf '%s\n' "$@" | sed "s|@DIR@|$rdir|g")
	t0=$(now_ms)
	if [ "$mode" = bare ]; then
		timeout -s KILL "$tmo" "$@" <"$input" >"$rdir/out" 2>"$rdir/err"
	else
		# Only the program runs under the preload, not timeout(1).
		ULD_OPTS="verbosity=1:json_path=$rdir/r:log_path=$rdir/log${soak_opts:+:$soak_opts}" \
		    timeout -s KILL "$tmo" sh -c \
		    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$@"' \
		    "$@" <"$input" >"$rdir/out" 2>"$rdir/err"
	fi
	rstatus=$?
	t1=$(now_ms)
	rms=$((t1 - t0))
}

# soak NAME DESCRIPTION INPUT CMD...: the two runs and their checks.
soak() {
	local name=$1 desc=$2 input=$3 bare_ms bare_status sum
	shift 3
	run_one bare "$name" "$input" "$@"
	bare_ms=$rms bare_status=$rstatus bdir=$rdir
	run_one pre "$name" "$input" "$@"
	pdir=$rdir
	pjson=$(cat "$pdir"/r.* 2>/dev/null)
	nrep=$(printf '%s' "$pjson" | grep -c .)
	# The validator's two verbosity=1 lines are its own, not the
	# program's; the first one proves it ran.  A program that closes its
	# stderr before exit (xz) loses the summary line.
	sum=$(grep -E '^ulockdep: [0-9]+ reports?, ' "$pdir/err" | sed 's/^ulockdep: //')
	grep -vxE 'ulockdep: validator started|ulockdep: [0-9]+ reports?, [0-9]+ classes, [0-9]+ dependencies, [0-9]+ chains, [0-9]+ locks \([0-9]+ destroyed\), [0-9]+ sweeps' \
	    "$pdir/err" >"$pdir/err.prog"
	grep -qx 'ulockdep: validator started' "$pdir/err"
	started=$?

	why="bare: $(cksum <"$bdir/out") preloaded: $(cksum <"$pdir/out"); started=$started; stderr: $(diff "$bdir/err" "$pdir/err.prog" | head -5 | tr '\n' '|')"
	dir=$pdir
	[ "$started" -eq 0 ] && [ -s "$bdir/out" ] &&
	    [ "$(cksum <"$bdir/out")" = "$(cksum <"$pdir/out")" ] &&
	    cmp -s "$bdir/err" "$pdir/err.prog"
	check $? "$desc: same output and stderr as bare"

	why="exit status $rstatus (bare $bare_status), $nrep reports: $(printf '%s\n' "$pjson" | "$JQ" -r '"\(.kind): \([.locks[]?.class] | join(", "))"' 2>/dev/null | head -5 | tr '\n' '|')"
	# A bare run that fails means the program or its input is broken:
	# then there is nothing to compare.
	verdict=$([ "$bare_status" -eq 0 ] && [ "$rstatus" -eq "$bare_status" ] && [ "$nrep" -eq 0 ] &&
	    ! cat "$pdir"/log.* 2>/dev/null | grep -q .; echo $?)
	check "$verdict" "$desc: same exit status ($bare_status), no report"
	ratio=$(awk -v a="$rms" -v b="$bare_ms" 'BEGIN { printf("%.2f", b > 0 ? a / b : 0) }')
	echo "# $desc: bare $bare_ms ms, preloaded $rms ms, ratio $ratio; validator: ${sum:-(no summary: the program closed its stderr)}"
	printf '%-24s %8s %8s %6s  %s\n' "$desc" "$bare_ms" "$rms" "$ratio" \
	    "${sum:-}" >>"$summary"
}

# skip DESCRIPTION WHY: the two lines a program that cannot run has.
skip() {
	ok "$1: same output and stderr as bare # SKIP $2"
	ok "$1: same exit status, no report # SKIP $2"
}

have() { command -v "$1" >/dev/null 2>&1; }

# pigz splits its input in 128 KiB blocks; xz and zstd need a block (job)
# size smaller than the input to use their threads at all.
if have pigz; then soak pigz "pigz -p4" "$workdir/text" pigz -p4 -c
else skip "pigz -p4" "pigz not installed"; fi
if have xz; then soak xz "xz -T4" "$workdir/text" xz -T4 -1 --block-size=256KiB -c
else skip "xz -T4" "xz not installed"; fi
if have zstd; then soak zstd "zstd -T4" "$workdir/text" zstd -q -T4 -B512KiB -c
else skip "zstd -T4" "zstd not installed"; fi
# -S 16M: buffers of more than 128 Ki lines (sort's threshold for sorting
# in threads), and fewer than the input (temporary files, then a merge).
if have sort && sort --parallel=1 </dev/null 2>/dev/null; then
	# sort's merge tree: each node's lock is held while its parent's is
	# taken (queue_check_insert_parent), always leaf to root, and all
	# node locks come from one pthread_mutex_init (init_node).  Two
	# locks of one class nested are recursive_locking by default, as in
	# lockdep; same_class=order (ulockdep-options(7)) checks the order
	# of the instances instead, which here is fixed, so nothing is
	# reported unless sort ever took a parent before its child.
	soak_opts=same_class=order
	soak sort "sort --parallel=4" "$workdir/nums" \
	    sort --parallel=4 -S 16M -T @DIR@ -n
	soak_opts=
else skip "sort --parallel=4" "GNU sort not installed"; fi
# The interpreter itself, not a wrapper script (pyenv's shim is bash).
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
# threads.py imports hashlib: OpenSSL makes every lock in
# CRYPTO_THREAD_lock_new and nests two of them, which the built-in
# init_wrappers list classes by their callers (ulockdep-options(7)).
if [ -n "$PY" ] && "$PY" -c 'import sqlite3, threading, queue' 2>/dev/null; then
	soak python3 "python3 threading" /dev/null \
	    "$PY" "$ULD_SRCDIR/tests/real/threads.py" "$SCALE"
else skip "python3 threading" "python3 (with sqlite3) not installed"; fi
# libuv's SIGCHLD handler reads a pipe that it uses as a lock: a blocking
# read in a handler, which is no wait while its byte is there (ulockdep(7)).
if [ "${ULD_ASAN:-no}" = yes ]; then
	# In node's library order the ASan runtime, preloaded after ours,
	# starts after liburcu-bp's constructor, whose pthread_mutex_lock
	# then reaches our instrumented wrapper before ASan's shadow memory
	# exists (a segfault in mutex_flags).  Not a program's case: only
	# the ASan build of the preload has instrumented code.
	skip "node children, pool, workers" "the ASan runtime starts too late in node's library order"
elif command -v node >/dev/null 2>&1; then
	soak node "node children, pool, workers" /dev/null \
	    node "$ULD_SRCDIR/tests/real/node.js" "$SCALE"
else skip "node children, pool, workers" "node not installed"; fi
if [ -x "$REAL/sqlite_threads" ]; then
	soak sqlite "sqlite3 threads (C)" /dev/null \
	    "$REAL/sqlite_threads" @DIR@/db "$SCALE"
else skip "sqlite3 threads (C)" "libsqlite3-dev not installed at configure time"; fi
if [ -x "$REAL/cxx_threads" ]; then
	soak cxx "C++ std::thread" /dev/null "$REAL/cxx_threads" "$SCALE"
else skip "C++ std::thread" "no C++ compiler at configure time"; fi

printf '# %-24s %8s %8s %6s  %s\n' program "bare ms" "pre ms" ratio "validator summary"
sed 's/^/# /' "$summary" 2>/dev/null
finish
