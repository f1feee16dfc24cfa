#!/bin/sh
# run.sh: `ulockdep run`: flags to ULOCKDEP_OPTIONS, the preload found
# from the build tree, the program's exit status passed through.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

ULOCKDEP=$ULD_BUILDDIR/tools/ulockdep
ABBA=$ULD_BUILDDIR/examples/abba
# The command must find the preload itself, and start from a clean slate.
unset ULOCKDEP_PRELOAD ULOCKDEP_OPTIONS LD_PRELOAD
ulimit -c 0 2>/dev/null

# ulockdep_run ARGS...: runs `ulockdep run ARGS` in a fresh $dir; $status.
# $run_env: VAR=VALUE words for its environment, for this run only (an
# assignment before a shell function may outlive the call).
run_env=
ulockdep_run() {
	dir=$workdir/run.$tap_n
	mkdir -p "$dir"
	# shellcheck disable=SC2086
	timeout -s KILL 60 env $run_env "$ULOCKDEP" run "$@" >"$dir/out" 2>"$dir/err"
	status=$?
	run_env=
}

# The AB-BA example: exit 66, exactly one record, in F.<pid> of the program.
ulockdep_run --json "$workdir/F" -- "$ABBA"
files=$(ls "$workdir"/F.* 2>/dev/null)
json=$(cat "$workdir"/F.* 2>/dev/null)
why="status $status; files '$files'; kinds $(printf '%s\n' "$json" | "$JQ" -r .kind | tr '\n' ' ')"
[ "$status" -eq 66 ] && [ "$(printf '%s\n' "$files" | grep -c .)" -eq 1 ] &&
    [ "$files" = "$workdir/F.$(printf '%s' "$json" | "$JQ" -r .pid)" ] &&
    [ "$(printf '%s\n' "$json" | grep -c .)" -eq 1 ] &&
    [ "$(printf '%s' "$json" | "$JQ" -r .kind)" = circular_dependency ] &&
    [ "$(classes_of "$json")" = "accounts_lock,audit_lock" ]
check $? "--json: examples/abba exits 66, one circular_dependency in F.<pid>"

# --log: the text report in L.<pid>, nothing on stderr.
ulockdep_run --log "$workdir/L" -- "$ABBA"
why="status $status; $(ls "$workdir")"
[ "$status" -eq 66 ] && [ ! -s "$dir/err" ] &&
    grep -q 'WARNING: possible circular locking dependency detected' "$workdir"/L.*
check $? "--log: the text report in L.<pid>, stderr clean"

# The program's own status passes through, found on PATH.
ulockdep_run -- sh -c 'exit 3'
why="status $status"
[ "$status" -eq 3 ] && [ ! -s "$dir/err" ]
check $? "exit status 3 of the program passes through"
ulockdep_run sh -c 'exit 0'
why="status $status"
[ "$status" -eq 0 ] && [ ! -s "$dir/err" ]
check $? "without '--': the first operand is the program; status 0"

# --halt: abort (SIGABRT: 134 as a shell shows it) right after the report.
ulockdep_run --halt -- "$ABBA"
why="status $status"
[ "$status" -eq 134 ] && grep -q "halt_on_error=1: aborting" "$dir/err"
check $? "--halt: aborts after the report (134)"

# -o KEY=VALUE, and flags win over the environment (appended after it).
ulockdep_run -o exitcode=5 -- "$ABBA"
why="status $status"
[ "$status" -eq 5 ]
check $? "-o exitcode=5"
run_env=ULOCKDEP_OPTIONS=exitcode=9
ulockdep_run -- "$ABBA"
why="status $status"
[ "$status" -eq 9 ]
check $? "ULOCKDEP_OPTIONS of the environment kept"
run_env=ULOCKDEP_OPTIONS=exitcode=9
ulockdep_run -oexitcode=5 -- "$ABBA"
why="status $status"
[ "$status" -eq 5 ]
check $? "a flag wins over the same key in ULOCKDEP_OPTIONS"

# Every flag's key, in order, after the environment's pairs; LD_PRELOAD
# gets the library first and keeps what was there.
run_env="ULOCKDEP_OPTIONS=verbosity=0 LD_PRELOAD=$ULD_PRELOAD"
ulockdep_run \
    --json=j --log l --halt --suppressions s --graph g -o lockup_s=7 -- \
    sh -c 'echo "$ULOCKDEP_OPTIONS"; echo "$LD_PRELOAD"'
want="verbosity=0:json_path=j:log_path=l:halt_on_error=1:suppressions=s:graph_path=g:lockup_s=7"
lib=$(cd "$ULD_BUILDDIR/preload/.libs" && pwd -P)/libulockdep-preload.so
# An --enable-asan build preloads ASan's runtime right after ours.
[ "${ULD_ASAN:-no}" = yes ] && lib=$lib:$ULD_ASAN_RUNTIME
why="stdout: $(cat "$dir/out")"
[ "$(sed -n 1p "$dir/out")" = "$want" ] &&
    [ "$(sed -n 2p "$dir/out")" = "$lib:$ULD_PRELOAD" ]
check $? "flags map to keys; LD_PRELOAD prepended, old entries kept"

# --suppressions reaches the library.
printf 'circular_dependency:accounts_lock\n' >"$workdir/s.supp"
ulockdep_run --suppressions "$workdir/s.supp" -- "$ABBA"
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 0 ] && [ "$(cat "$dir/err")" = "ulockdep: 1 report suppressed" ]
check $? "--suppressions: the report silenced, exit 0"

# ---- errors ----

ulockdep_run --bogus -- true
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 2 ] && [ "$(sed -n 1p "$dir/err")" = "ulockdep: run: unknown option '--bogus'" ]
check $? "unknown flag: exit 2, named"

ulockdep_run --json "$workdir/a:b" -- true
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 2 ] &&
    [ "$(sed -n 1p "$dir/err")" = "ulockdep: run: --json: '$workdir/a:b' contains ':', which ULOCKDEP_OPTIONS cannot hold" ]
check $? "a value with ':': exit 2, named"

ulockdep_run -o nosuchkey=1 -- true
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 2 ] && grep -q "^ulockdep: run: -o: unknown key 'nosuchkey'" "$dir/err"
check $? "-o with an unknown key: exit 2, named"

ulockdep_run -o exitcode -- true
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 2 ] && grep -q "^ulockdep: run: -o: 'exitcode' is not KEY=VALUE" "$dir/err"
check $? "-o without '=': exit 2"

ulockdep_run --json
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 2 ] && grep -q "^ulockdep: run: --json needs a FILE" "$dir/err"
check $? "--json without its FILE: exit 2"

ulockdep_run --halt --
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 2 ] && grep -q "^ulockdep: run: no program to run" "$dir/err"
check $? "no program: exit 2"

ulockdep_run -- "$workdir/no-such-program" x
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 127 ] &&
    [ "$(cat "$dir/err")" = "ulockdep: run: cannot run '$workdir/no-such-program': No such file or directory" ]
check $? "missing program: named, exit 127"

ulockdep_run -- uld-no-such-command-on-path
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 127 ] && grep -q "cannot run 'uld-no-such-command-on-path'" "$dir/err"
check $? "program not on PATH: named, exit 127"

printf 'not a program\n' >"$workdir/notexec"
chmod -x "$workdir/notexec"
ulockdep_run -- "$workdir/notexec"
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 126 ] && grep -q "cannot run '$workdir/notexec': Permission denied" "$dir/err"
check $? "program not executable: exit 126"

run_env=ULOCKDEP_PRELOAD=$workdir/nope.so
ulockdep_run -- true
why="status $status; stderr: $(cat "$dir/err")"
[ "$status" -eq 125 ] &&
    [ "$(cat "$dir/err")" = "ulockdep: run: ULOCKDEP_PRELOAD=$workdir/nope.so: No such file or directory" ]
check $? "ULOCKDEP_PRELOAD naming no file: exit 125, named"

# A copy of the command with no library anywhere near it: it says where
# it looked.
mkdir -p "$workdir/bin"
cp "$ULOCKDEP" "$workdir/bin/ulockdep"
"$workdir/bin/ulockdep" run -- true >"$workdir/nolib.out" 2>"$workdir/nolib.err"
status=$?
why="status $status; stderr: $(cat "$workdir/nolib.err")"
if grep -q "^ulockdep: run: cannot find libulockdep-preload.so; looked for $workdir/bin/../preload/.libs/libulockdep-preload.so, $workdir/bin/../lib/libulockdep-preload.so, " "$workdir/nolib.err"; then
	[ "$status" -eq 125 ]
	check $? "library not found: exit 125, every place looked at named"
else
	# Installed in the configured libdir: the copy finds that one.
	[ "$status" -eq 0 ] && [ ! -s "$workdir/nolib.err" ]
	check $? "library found in the configured libdir"
fi

ulockdep_run --help
why="status $status"
[ "$status" -eq 0 ] && grep -q "^usage: ulockdep run" "$dir/out" && [ ! -s "$dir/err" ]
check $? "--help: usage on stdout, exit 0"

finish
