#!/bin/sh
# reports.sh: what the reports say, text and JSON.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

run_case ABBA_threads mutex
r=$json

# JSON: every required field, of the right type.
printf '%s' "$r" | "$JQ" -e '
	(.kind|type=="string") and (.pid|type=="number") and
	(.tid|type=="number") and (.thread|type=="string") and
	(.time|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")) and
	(.signature|test("^[0-9a-f]{16}$")) and (.message|type=="string") and
	(.locks|length==2) and
	(all(.locks[]; (.class|type=="string") and (.address|test("^0x[0-9a-f]+$")) and .mode=="mutex")) and
	(.stacks|length>=2) and
	(all(.stacks[]; (.role|type=="string") and (.thread|type=="string") and
	     (.tid|type=="number") and (.frames|length>0) and
	     all(.frames[]; has("ip") and has("function") and has("offset") and
	         has("module") and has("file") and has("line"))))' >/dev/null
check $? "JSON record has every contract field"

# Every frame named, libc's too (from its debug file), and the program's
# frames with their file and line.
why=$(printf '%s' "$r" | "$JQ" -c '[.stacks[].frames[] | select(.function==null or (.module|endswith("/cases")) and .function!="_start" and .line==null and env.ULD_LIBDW=="yes")]')
printf '%s' "$r" | "$JQ" -e 'all(.stacks[].frames[]; .function != null) and
	(env.ULD_LIBDW != "yes" or all(.stacks[].frames[] | select((.module|endswith("/cases")) and .function != "_start");
	    .file == $f and (.line|type) == "number"))' --arg f "$(dwarf_path tests/preload/cases.c)" >/dev/null
check $? "JSON frames: every one named; the program's at tests/preload/cases.c:LINE"

# The locks: the one being taken first, then the one held.
why="locks: $(printf '%s' "$r" | "$JQ" -c '[.locks[].class]')"
[ "$(printf '%s' "$r" | "$JQ" -r '[.locks[].class]|join(",")')" = "mutex_A,mutex_B" ]
check $? "JSON locks: taken mutex_A while holding mutex_B"

# The current stack starts in the program (its first frames are the
# scenario's lock helper and t_ba, whichever the compiler inlined; none is
# the validator's), and the dependency's stack is the other thread's, t_ab.
why="frames: $(printf '%s' "$r" | "$JQ" -c '[.stacks[] | .role + ":" + .thread + ":" + ([.frames[0:3][].function]|join("<"))]')"
printf '%s' "$r" | "$JQ" -e '
	def top3: [.frames[0:3][].function];
	.stacks[0].role=="current" and (.stacks[0]|top3|index("t_ba")) != null and
	.stacks[1].role=="dependency" and (.stacks[1]|top3|index("t_ab")) != null and
	([.stacks[].frames[].module | select(. != null) | split("/") | last |
	    select(test("^libulockdep"))] | length) == 0 and
	.stacks[0].tid != .stacks[1].tid and .tid == .stacks[0].tid' >/dev/null
check $? "stacks: current in t_ba, dependency in t_ab on another thread, no validator frames"

# Text: the kernel layout, the classes, and the scenario table.
why=$(printf '%s' "$text" | head -20)
for want in \
    'WARNING: possible circular locking dependency detected' \
    'is trying to acquire lock:' \
    '(mutex_A), at: ' \
    '       t_ba+' \
    'but task is already holding lock:' \
    'which lock already depends on the new lock.' \
    'the existing dependency chain (in reverse order) is:' \
    '-> #1 (mutex_B):' \
    'taken while holding mutex_A' \
    '-> #0 (mutex_A):' \
    'Possible unsafe locking scenario:' \
    '*** DEADLOCK ***' \
    '1 lock held by ' \
    'stack backtrace:' \
    'signature: circular_dependency/' \
    'what to do: '; do
	printf '%s' "$text" | grep -qF -- "$want" || { why="missing: $want"; false; }
	check $? "text report: $want"
done

# One write() per report: the text is one block, the JSON one line.
[ "$(printf '%s\n' "$r" | grep -c .)" -eq 1 ]
check $? "one JSON line per report"

# Signatures are stable across runs, distinct across bugs.
sig1=$(printf '%s' "$r" | "$JQ" -r .signature)
run_case ABBA mutex
sig2=$(printf '%s' "$json" | "$JQ" -r .signature)
run_case ABBCCA mutex
sig3=$(printf '%s' "$json" | "$JQ" -r .signature)
why="$sig1 $sig2 $sig3"
[ "$sig1" = "$sig2" ] && [ "$sig1" != "$sig3" ]
check $? "signature: same bug same signature, other bug other signature"

# A bad unlock of a lock held by another thread names the owner.
run_case unlock_unowned mutex
why=$(printf '%s' "$text" | sed -n '4,8p')
printf '%s' "$json" | "$JQ" -e '.owner_tid > 0 and .owner_thread != ""' >/dev/null &&
    printf '%s' "$text" | grep -q 'but this thread does not hold it: it is held by '
check $? "bad unlock names the owner thread"

# A 3-cycle prints its chain.
run_case ABBCCA mutex
printf '%s' "$text" | grep -qF 'Chain exists of:' &&
    printf '%s' "$json" | "$JQ" -e '.cycle|length==3' >/dev/null
check $? "3-cycle: chain shown"

# An array element is named by its index; the class is the array.
run_case static_array_nested mutex
why="$(printf '%s' "$json" | "$JQ" -c '.locks')"
printf '%s' "$json" | "$JQ" -e '[.locks[].variable]==["table[3]","table[1]"] and [.locks[].class]==["table[]","table[]"]' >/dev/null &&
    printf '%s' "$text" | grep -qF '(table[]) table[3]'
check $? "static array: element table[3] of class table[]"

# Keep validating after a report: a second bug is found, a repeat of the
# first is not reported again.
run_case two_bugs_repeated mutex
why="$(printf '%s\n' "$json" | "$JQ" -c '[.kind, .cycle]')"
[ "$(printf '%s\n' "$json" | "$JQ" -r '.cycle|join(",")' | sort | tr '\n' ' ')" = "mutex_A,mutex_B mutex_C,mutex_D " ]
check $? "two bugs, each reported once"

# A 200-lock cycle: the whole chain in JSON, every dependency in the text.
run_case deep_cycle mutex
why="$(printf '%s' "$json" | "$JQ" -c '.cycle|length') classes; text tail: $(printf '%s' "$text" | tail -3)"
printf '%s' "$json" | "$JQ" -e '.cycle|length==200' >/dev/null &&
    printf '%s' "$text" | grep -qF -- '-> #199 (deep_199):' &&
    printf '%s' "$text" | grep -qF -- '-> #1 (deep_001):' &&
    printf '%s' "$text" | grep -qF '199 locks held by' &&
    ! printf '%s' "$text" | grep -qF '[report truncated]'
check $? "200-class cycle with 199 locks held: all shown"

# fork: the child reports (to its own PATH.<pid>) an inversion of what the
# parent learnt before forking, and exits 66; the parent made no report.
run_case fork_child_inverts mutex
parent=$(sed -n 's/^parent=//p' "$dir/out")
why="files: $(ls "$dir"); out: $(cat "$dir/out"); status $status"
[ "$(ls "$dir"/r.* 2>/dev/null | wc -l)" -eq 1 ] && [ ! -e "$dir/r.$parent" ] &&
    [ "$(printf '%s' "$json" | "$JQ" -r '.kind + " " + ((.cycle)|join(","))')" = "circular_dependency mutex_A,mutex_B" ] &&
    grep -q '^child_status=66$' "$dir/out" && [ "$status" -eq 0 ]
check $? "fork: child reports to its own file and exits 66; parent silent"

# Destroying a lock another thread holds: the holder, and where it took it.
run_case destroy_held_by_other mutex
why=$(printf '%s' "$text" | sed -n '5,12p')
printf '%s' "$text" | grep -q '^held by .*/[0-9]*, which took it at:' &&
    printf '%s' "$text" | grep -A1 'which took it at:' | grep -q 't_hold_x+'
check $? "held_lock_freed names the holder and where it took the lock"

# The interceptors carry no symbol version: a versioned definition would
# not interpose glibc's pthread_mutex_lock@GLIBC_2.2.5 (the matrix above
# shows that calls made the normal way are seen).
so=$ULD_BUILDDIR/preload/.libs/libulockdep-preload.so
syms=$(nm -D --defined-only "$so" | awk '$2 == "T" && $3 !~ /^_/ { print $3 }')
why="$(printf '%s\n' "$syms" | wc -l) symbols: $(printf '%s\n' "$syms" | grep '@' | head -3)"
[ "$(printf '%s\n' "$syms" | grep -c '^pthread_\(mutex\|spin\|rwlock\)_')" -eq 23 ] &&
    [ "$(printf '%s\n' "$syms" | grep -c '^mtx_')" -eq 6 ] &&
    [ "$(printf '%s\n' "$syms" | wc -l)" -eq 101 ] &&
    ! printf '%s\n' "$syms" | grep -q '@' &&
    [ "$(nm -D --defined-only "$so" | awk '$2 == "T" && ($3 == "_exit" || $3 == "_Exit")' | wc -l)" -eq 2 ]
check $? "preload defines 101 interceptors (23 pthread and 6 C11 lock, 45 sleeping calls, 19 signal calls, 3 memory calls, vfork, dlclose, exit, quick_exit, pthread_create; and _exit, _Exit), unversioned"

# The core exports only the uld_* API.
why=$(nm -D --defined-only "$ULD_BUILDDIR/lib/.libs/libulockdep.so" | grep -v ' uld_' | grep -v ULOCKDEP_0)
[ -z "$why" ]
check $? "libulockdep.so exports only uld_*"

check_all_frames "every report above"

finish
