# lib.sh: shared helpers for the preload tests (TAP output).
#
# run_case NAME TYPE [OPTIONS]: runs tests/preload/cases under the preload
# with reports going to a fresh directory; sets $dir, $status, $json (all
# JSON records of the process, one per line).

: "${ULD_PRELOAD:?run through make check}"
export ULD_PRELOAD ULD_VALGRIND
: "${ULD_BUILDDIR:?run through make check}"
JQ=${JQ:-jq}
CASES=$ULD_BUILDDIR/tests/preload/cases
tap_n=0
tap_failed=0
workdir=$(mktemp -d "${TMPDIR:-/tmp}/uld-test.XXXXXX")
trap 'rm -rf "$workdir"' EXIT

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}

# check COND-STATUS NAME: report one TAP line, with diagnostics on failure.
check() {
	if [ "$1" -eq 0 ]; then
		ok "$2"
	else
		not_ok "$2"
		[ -n "$why" ] && echo "# $why"
		[ -n "$dir" ] && [ -f "$dir/err" ] && sed 's/^/#   stderr: /' "$dir/err" | head -40
	fi
	why=
}

run_case() {
	local name=$1 type=$2 opts=${3:-} tmo=${4:-30}
	dir=$workdir/$name.$type.$tap_n
	mkdir -p "$dir"
	# Only the test program runs under the preload, not timeout(1).
	# ULD_VALGRIND (make check-valgrind) runs it under memcheck too: a
	# memory error exits 9, which no test expects.
	[ -n "${ULD_VALGRIND:-}" ] && tmo=$((tmo * 20))
	ULD_OPTS="json_path=$dir/r:log_path=$dir/log${opts:+:$opts}" \
	    timeout -s KILL "$tmo" sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec $ULD_VALGRIND "$0" "$@"' \
	    "$CASES" "$name" "$type" >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	text=$(cat "$dir"/log.* 2>/dev/null)
}

# run_case_coroutines NAME TYPE [OPTIONS]: run_case for a scenario whose
# program makes its own coroutines with swapcontext().  Under make
# check-asan, ASan's swapcontext logs that it "doesn't fully support"
# them, once per process: a warning, not a finding.  The run's ASan log
# goes aside, and into the findings directory (which fails check-asan)
# only if it says anything else.
ASAN_SWAPCONTEXT_WARNING="WARNING: ASan doesn't fully support makecontext/swapcontext functions"
run_case_coroutines() {
	if [ "${ULD_ASAN:-no}" != yes ]; then
		run_case "$@"
		return
	fi
	local saved=$ASAN_OPTIONS aside=$workdir/asan-aside f
	rm -rf "$aside"
	mkdir -p "$aside"
	ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$aside/asan"
	run_case "$@"
	ASAN_OPTIONS=$saved
	for f in "$aside"/*; do
		[ -f "$f" ] || continue
		grep -v -e "$ASAN_SWAPCONTEXT_WARNING" -e '^$' "$f" >/dev/null &&
		    cp "$f" "${ULD_SAN_LOG:?run through make check-asan}/"
	done
	rm -rf "$aside"
}

# The classes a record names: the cycle for a circular dependency,
# otherwise its locks; sorted, unique, comma-separated.
classes_of() {
	printf '%s\n' "$1" | "$JQ" -r '(.cycle // [.locks[].class]) | unique | join(",")'
}

# expect_one TITLE silent|KIND:CLASSES [glob]: the run just made ($json,
# $status) reported nothing and exited 0, or made exactly one report,
# KIND:CLASSES in classes_of's form (a shell pattern when the third
# argument is "glob"), and exited 66.  Sets $n and $got for the caller.
expect_one() {
	n=$(printf '%s' "$json" | grep -c .)
	got=$(printf '%s\n' "$json" | grep . | while read -r r; do
		printf '%s:%s\n' "$(printf '%s' "$r" | "$JQ" -r .kind)" \
		    "$(classes_of "$r")"
	done)
	why="status $status, $n reports: $(printf '%s' "$got" | tr '\n' ' ')"
	if [ "$2" = silent ]; then
		[ "$status" -eq 0 ] && [ "$n" -eq 0 ]
	elif [ "${3:-}" = glob ]; then
		# shellcheck disable=SC2254
		case $got in $2) match=0 ;; *) match=1 ;; esac
		[ "$status" -eq 66 ] && [ "$n" -eq 1 ] && [ "$match" -eq 0 ]
	else
		[ "$status" -eq 66 ] && [ "$n" -eq 1 ] && [ "$got" = "$2" ]
	fi
	check $? "$1: $2"
}

# site FILE TEXT: how a run-time class names the call on the one line of
# FILE that contains TEXT: "file.c:LINE" (a glob: without libdw, classes
# are named function+offset, which any "*+0x*" stands for).
site() {
	if [ "${ULD_LIBDW:-yes}" = yes ]; then
		printf '%s:%s' "${1##*/}" "$(line_of "$1" "$2")"
	else
		printf '*+0x*'
	fi
}

# dwarf_path FILE: FILE (relative to the source tree) as the debug info of
# this build names it: "tests/x.c" built in the source tree, "../../tests/x.c"
# in a separate build directory (make distcheck), as the compiler was given.
dwarf_path() {
	rel=$(realpath --relative-to="$ULD_BUILDDIR" "$ULD_SRCDIR")
	if [ "$rel" = . ]; then printf '%s' "$1"; else printf '%s/%s' "$rel" "$1"; fi
}

# line_of FILE TEXT: the number of the one line of FILE (under the source
# tree) that contains TEXT; "NOLINE" unless exactly one does, so a class
# name or frame compared with it cannot match by accident.
line_of() {
	n=$(grep -nF -- "$2" "$ULD_SRCDIR/$1" | cut -d: -f1)
	[ "$(printf '%s\n' "$n" | grep -c .)" -eq 1 ] || n=NOLINE
	printf '%s' "$n"
}

# check_all_frames WHAT: every frame of every JSON report that this
# script's runs left under $workdir has a function name, and every frame in
# a program of this build tree (built with -g) has its file and line; the
# exceptions are _start, which crt1.o gives no debug info, and the PLT
# stubs (pthread_mutex_lock@plt, where the watchdog may find a thread),
# which the linker made without any.  Under valgrind only the names: a
# report made in a signal handler has its lines from the watchdog, which
# valgrind can slow past the handler's wait (function+offset instead).
check_all_frames() {
	local files n
	files=$(find "$workdir" -type f -name 'r.[0-9]*' 2>/dev/null)
	n=$(cat $files /dev/null | grep -c .)
	bad=$(cat $files /dev/null | "$JQ" -r --arg b "$ULD_BUILDDIR/" '
	    .stacks[]?.frames[]? |
	    select(.function == null or
		((.module // "" | startswith($b)) and .function != "_start" and
		 (.function | test("@plt$|^[.]plt") | not) and
		 ($ENV.ULD_LIBDW // "yes") == "yes" and
		 ($ENV.ULD_VALGRIND // "") == "" and .line == null)) |
	    "\(.module)+\(.offset) \(.function // "(no name)") \(.file // "(no file)")"' |
	    sort | uniq -c | sort -rn | head -5)
	why="unnamed or unlined frames: $bad"
	[ "$n" -gt 0 ] && [ -z "$bad" ]
	check $? "$1: all frames of the $n reports are named, with file:line in this tree's programs"
}

finish() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# finish_file TAP: for a test whose checks ran in a pipeline (a subshell)
# and wrote their TAP lines to a file: print them and the plan.
finish_file() {
	cat "$1"
	echo "1..$(grep -c '^\(not \)\?ok' "$1")"
	! grep -q '^not ok' "$1"
}
