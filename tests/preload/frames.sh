#!/bin/sh
# frames.sh: stack frames as reports show them: every frame named, file
# and exact line in the program, inlined calls as frames of their own, a
# run-time class named by file:line, a handler's stack going on into the
# code it interrupted.  Expected lines come from the markers in frames.c.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/preload/frames
SRC=tests/preload/frames.c
DSRC=$(dwarf_path "$SRC") # as frames name it
at() { line_of "$SRC" "/* @$1 */"; }
dw=${ULD_LIBDW:-yes}
# skip_nodw NAME: a file:line check, which a build without libdw skips.
skip_nodw() {
	[ "$dw" = yes ] && return 1
	ok "$1 # SKIP built without libdw"
}

run_one() {
	dir=$workdir/frames.$1.$tap_n
	mkdir -p "$dir"
	ULD_OPTS="json_path=$dir/r:log_path=$dir/log" timeout -s KILL 30 sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec $ULD_VALGRIND "$0" "$@"' \
	    "$CASES" "$1" >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	text=$(cat "$dir"/log.* 2>/dev/null)
}
# jqok FILTER [ARGS...]: the one JSON record satisfies FILTER.
jqok() {
	f=$1
	shift
	printf '%s' "$json" | "$JQ" -e "$@" "$f" >/dev/null
}

# ---- inline: a cycle whose dependency went through an inlined helper ----
run_one inline
why="$(printf '%s\n' "$json" | "$JQ" -c '[.kind, .cycle]' 2>&1 | tr '\n' ' ') exit $status, out $(cat "$dir/out")"
[ "$(printf '%s\n' "$json" | grep -c .)" -eq 1 ] && [ "$status" -eq 66 ] &&
    [ "$(cat "$dir/out")" = done ] &&
    jqok '.kind=="circular_dependency"'
check $? "inline: one report, circular_dependency, nothing else"

why=$(printf '%s' "$json" | "$JQ" -c '[.stacks[].frames[] | select(.function==null)]')
jqok '(.stacks|length)==2 and all(.stacks[].frames[]; .function != null)'
check $? "inline: every frame of every stack has a function name"

# The run-time class: the init call's file:line (basename).
init="lock_r [$(site "$SRC" '/* @init_r */')]"
why="want $init; got $(printf '%s' "$json" | "$JQ" -c '[.locks[].class, .cycle]')"
if ! skip_nodw "inline: run-time class named $init"; then
	jqok '([.locks[].class]|sort)==(["lock_a",$c]|sort) and (.cycle|sort)==(["lock_a",$c]|sort)' \
	    --arg c "$init" &&
	    printf '%s' "$text" | grep -qF "($init)"
	check $? "inline: run-time class named $init in JSON and text"
fi

# The current stack: r_then_a at its lock_a call, then main at its call.
cur='.stacks[] | select(.role=="current") | .frames'
why="want r_then_a:$(at r_then_a) main:$(at main_r_then_a); got $(printf '%s' "$json" | "$JQ" -c "[$cur | .[0:2][] | [.function, .file, .line]]")"
if ! skip_nodw "inline: current stack file:line"; then
	jqok "[$cur | .[0:2][] | [.function, .file, .line, (.module|split(\"/\")|last)]] ==
	    [[\"r_then_a\", \$f, $(at r_then_a), \"frames\"],
	     [\"main\", \$f, $(at main_r_then_a), \"frames\"]]" --arg f "$DSRC"
	check $? "inline: current stack: r_then_a ($SRC:$(at r_then_a)), main ($SRC:$(at main_r_then_a))"
fi

# The dependency's stack: take_r, inlined into a_then_r, is a frame of
# its own (same ip, "inlined":true) at the lock call; a_then_r's frame is
# at its call of take_r.
dep='.stacks[] | select(.role=="dependency") | .frames'
why="got $(printf '%s' "$json" | "$JQ" -c "[$dep | .[0:3][] | [.function, .file, .line, .inlined, .ip]]")"
if ! skip_nodw "inline: inlined frame"; then
	jqok "[$dep | .[0:3][] | [.function, .file, .line, .inlined]] ==
	    [[\"take_r\", \$f, $(at take_r), true],
	     [\"a_then_r\", \$f, $(at a_then_r), null],
	     [\"main\", \$f, $(at main_a_then_r), null]] and
	    ([$dep][0][0].ip == [$dep][0][1].ip)" --arg f "$DSRC"
	check $? "inline: JSON: take_r inlined ($SRC:$(at take_r)) before a_then_r ($SRC:$(at a_then_r)), same ip"
	why=$(printf '%s' "$text" | grep -A1 'take_r')
	printf '%s\n' "$text" | grep -A1 -xF "       take_r ($DSRC:$(at take_r)) [inline]" |
	    tail -1 | grep -qx "       a_then_r+0x[0-9a-f]*/0x[0-9a-f]* ($DSRC:$(at a_then_r)) \[frames\]"
	check $? "inline: text: 'take_r ($SRC:$(at take_r)) [inline]' then 'a_then_r+off/size ($SRC:$(at a_then_r)) [frames]'"
fi

# libc's frames are named from libc6-dbg's debug file, with their lines.
why=$(printf '%s' "$text" | grep 'libc.so.6' | head -3)
printf '%s' "$text" | grep -q '^       __libc_start_call_main+0x[0-9a-f]*/0x[0-9a-f]* (.*:[0-9]*) \[libc.so.6\]$' ||
    { [ "$dw" != yes ] && printf '%s' "$text" | grep -q '^       __libc_start_call_main+0x[0-9a-f]*/0x[0-9a-f]* \[libc.so.6\]$'; }
check $? "inline: the stripped libc's frames named (and lined) from its debug file"

# ---- handler: a report made inside a signal handler ----
run_one handler
why="$(printf '%s\n' "$json" | "$JQ" -c '.kind' 2>&1 | tr '\n' ' ') exit $status"
[ "$(printf '%s\n' "$json" | grep -c .)" -eq 1 ] && [ "$status" -eq 66 ] &&
    [ "$(cat "$dir/out")" = done ] && jqok '.kind=="sleep_in_atomic"'
check $? "handler: one report, sleep_in_atomic, nothing else"

# Unwound from the handler through the signal trampoline into the code it
# interrupted, every frame named.
why=$(printf '%s' "$json" | "$JQ" -c '[.stacks[0].frames[].function]')
jqok '[.stacks[0].frames[].function] as $f | all($f[]; . != null) and $f[0]=="on_usr1" and
    ($f|index("__restore_rt")) < ($f|index("interrupted")) and
    ($f|index("interrupted")) < ($f|index("main"))'
check $? "handler: stack on_usr1 < __restore_rt < interrupted < main, every frame named"

# ... with file:line, though libdw must not run in a handler: the
# watchdog thread ran it.
h='[.stacks[0].frames[] | select(.function=="on_usr1" or .function=="interrupted" or .function=="main") | [.function, .file, .line]]'
why="got $(printf '%s' "$json" | "$JQ" -c "$h")"
if ! skip_nodw "handler: file:line"; then
	jqok "$h == [[\"on_usr1\", \$f, $(at on_usr1)], [\"interrupted\", \$f, $(at interrupted)],
	    [\"main\", \$f, $(at main_interrupted)]]" --arg f "$DSRC"
	check $? "handler: on_usr1 ($SRC:$(at on_usr1)), interrupted ($SRC:$(at interrupted)), main ($SRC:$(at main_interrupted))"
fi

# ---- fault: the frame a signal interrupted, at its function's first byte ----
if [ "$(uname -m)" != x86_64 ]; then
	ok "fault # SKIP the case's ud2 is x86-64 code"
	finish
	exit
fi
run_one fault
why="$(printf '%s\n' "$json" | "$JQ" -c '.kind' 2>&1 | tr '\n' ' ') exit $status, out $(cat "$dir/out")"
[ "$(printf '%s\n' "$json" | grep -c .)" -eq 1 ] && [ "$status" -eq 66 ] &&
    [ "$(cat "$dir/out")" = done ] && jqok '.kind=="sleep_in_atomic"'
check $? "fault: one report, sleep_in_atomic, nothing else"

# trap_first stopped at +0x0: named by where it is, not by the byte before
# (before_trap's last), as a return address would be.
f='[.stacks[0].frames[] | [.function, .offset]]'
why="got $(printf '%s' "$json" | "$JQ" -c "$f")"
jqok "$f as \$f | (\$f|map(.[0])) as \$n | \$f[0][0]==\"on_ill\" and
    (\$n|index(\"__restore_rt\")) + 1 == (\$n|index(\"trap_first\")) and
    \$f[\$n|index(\"trap_first\")][1] == 0 and
    (\$n|index(\"trap_first\")) + 1 == (\$n|index(\"main\")) and
    (\$n|index(\"before_trap\")) == null" &&
    printf '%s' "$text" | grep -q '^       trap_first+0x0/0x3 \[frames\]$'
check $? "fault: on_ill < __restore_rt < trap_first+0x0 < main, in JSON and text; no before_trap"

# The frame above it is a return address again: main at its call.
m='[.stacks[0].frames[] | select(.function=="main") | .line]'
why="want main at $(at main_trap_first); got $(printf '%s' "$json" | "$JQ" -c "$m")"
if ! skip_nodw "fault: main's line"; then
	jqok "$m == [$(at main_trap_first)]"
	check $? "fault: main at its call of trap_first ($SRC:$(at main_trap_first))"
fi

finish
