#!/bin/sh
# life.sh: process life under the preload: fork (locks held across it,
# other threads' locks, the child's watchdog, reports from a storm of
# threads), exec and its relatives (validated by default, bare with
# follow_exec=0), dlopen/dlclose, and the ways a process ends.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

LIFE=$ULD_BUILDDIR/tests/preload/life
MODDIR=$ULD_BUILDDIR/tests/preload/.libs

# life_run OPTIONS SCENARIO [ARGS]: like run_case, for tests/preload/life;
# sets $dir, $status, $out (its stdout), $json (every JSON file's lines).
life_run() {
	local opts=$1 tmo=30
	shift
	dir=$workdir/life.$tap_n
	mkdir -p "$dir"
	[ -n "${ULD_VALGRIND:-}" ] && tmo=$((tmo * 20))
	ULD_OPTS="json_path=$dir/r:log_path=$dir/log${opts:+:$opts}" \
	    timeout -s KILL "$tmo" sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec $ULD_VALGRIND "$0" "$@"' \
	    "$LIFE" "$@" >"$dir/out" 2>"$dir/err"
	status=$?
	out=$(cat "$dir/out")
	json=$(cat "$dir"/r.* 2>/dev/null)
}

# jfile PID: the JSON lines of process PID ("" when it wrote none).
jfile() { cat "$dir/r.$1" 2>/dev/null; }
# summary JSON: "kind classes" per record, sorted, one per line.
summary() {
	printf '%s\n' "$1" | "$JQ" -r 'select(.kind) | .kind + " " + ((.cycle // [.locks[].class]) | unique | join(","))' 2>/dev/null | sort
}
nfiles() { ls "$dir"/r.* 2>/dev/null | wc -l; }

# ---- fork ----

# Four threads lock, make reports and create threads while the main thread
# forks 10 times; each child locks, makes one report and exits.  Nothing
# hangs; each child's report is alone in its own r.<childpid>, with its pid.
life_run "" fork_storm 10
parent=$(printf '%s\n' "$out" | sed -n 's/^parent=//p')
kids=$(printf '%s\n' "$out" | sed -n 's/^child=\([0-9]*\) .*/\1/p')
nkids=$(printf '%s\n' "$kids" | grep -c .)
bad=
for k in $kids; do
	printf '%s\n' "$out" | grep -qx "child=$k exit=66" || bad="$bad $k:status"
	[ "$(summary "$(jfile "$k")")" = "bad_unlock child_report" ] || bad="$bad $k:reports"
	jfile "$k" | "$JQ" -e --argjson p "$k" '.pid == $p' >/dev/null || bad="$bad $k:pid"
done
why="status $status, $nkids children, bad:$bad; out: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-300)"
t="fork storm: 10 children, each exits 66 with one report of its own in r.<childpid>"
if [ "${ULD_ASAN:-no}" = yes ] && printf '%s\n' "$out" | grep -q 'signal=14$'; then
	# GCC 12's ASan does not lock its allocator across fork(): a child
	# forked while another thread is inside ASan's malloc inherits that
	# lock held, and its next malloc (libdw's, naming a frame) waits for
	# ever (gdb: SizeClassAllocator64::GetFromAllocator).  Not ours to
	# fix; without ASan this checks every child.
	ok "$t # SKIP a child hung in ASan's own allocator lock, inherited across fork"
else
	[ "$status" -eq 66 ] && [ "$nkids" -eq 10 ] && [ -z "$bad" ] &&
	    [ "$(nfiles)" -eq 11 ]
	check $? "$t"
fi

pj=$(jfile "$parent")
why="parent's records: $(printf '%s\n' "$pj" | grep -c .) lines, $(printf '%s\n' "$pj" | "$JQ" -c . 2>/dev/null | grep -c .) JSON; $(summary "$pj" | uniq -c | head -5)"
[ "$(printf '%s\n' "$pj" | grep -c .)" -eq 80 ] &&
    [ "$(printf '%s\n' "$pj" | "$JQ" -e -s --argjson p "$parent" 'all(.[]; .pid == $p and .kind == "bad_unlock" and (.locks[0].class | startswith("storm_")))' 2>/dev/null)" = true ] &&
    [ "$(summary "$pj" | sort -u | grep -c .)" -eq 80 ]
check $? "fork storm: the parent's 80 reports whole, each once, in its own file"

# A lock held by the forking thread is held in the child: its release
# there is no bad_unlock.
life_run "" fork_held
why="out: $out; $(summary "$json")"
[ -z "$json" ] && [ "$status" -eq 0 ] &&
    printf '%s\n' "$out" | grep -q '^child=[0-9]* exit=0$'
check $? "fork: the child releases the lock the forking thread held: silent"

# Taking it again in the child is recursive_locking.
life_run "" fork_held_relock
kid=$(printf '%s\n' "$out" | sed -n 's/^child=\([0-9]*\) .*/\1/p')
why="out: $out; $(summary "$json")"
t="fork: the child retaking the lock held across fork: recursive_locking"
if [ "${ULD_ASAN:-no}" = yes ] && printf '%s\n' "$out" | grep -q "^child=$kid signal=14$"; then
	# The fork storm's ASan bug, above: gdb shows this child's report
	# waiting in libdw's malloc on ASan's inherited allocator lock.
	ok "$t # SKIP the child hung in ASan's own allocator lock, inherited across fork"
else
	[ "$(summary "$(jfile "$kid")")" = "recursive_locking mutex_A" ] &&
	    [ "$(nfiles)" -eq 1 ] && [ "$status" -eq 0 ] &&
	    printf '%s\n' "$out" | grep -q "^child=$kid exit=66$" &&
	    printf '%s\n' "$out" | grep -q '^timedlock=ETIMEDOUT$'
	check $? "$t"
fi

# Locks another parent thread held at fork() are held by nobody the child
# knows: a trylock fails silently; a spin on it is reported by the child's
# own watchdog, as held by no live thread.
life_run "spin_timeout_ms=300" fork_other_held
kid=$(printf '%s\n' "$out" | sed -n 's/^child=\([0-9]*\) .*/\1/p')
kj=$(jfile "$kid")
why="out: $(printf '%s' "$out" | tr '\n' ' '); $(summary "$json"); $(printf '%s' "$kj" | "$JQ" -c '{owner_tid, message}' 2>/dev/null)"
[ "$(summary "$kj")" = "spin_timeout other_spin" ] && [ "$(nfiles)" -eq 1 ] &&
    printf '%s\n' "$kj" | "$JQ" -e '(.owner_tid // 0) == 0 and (.message | test("held by") | not)' >/dev/null &&
    printf '%s\n' "$out" | grep -q '^trylock=EBUSY$' &&
    printf '%s\n' "$out" | grep -q "^child=$kid signal=14$" && [ "$status" -eq 0 ]
check $? "fork: another thread's locks: trylock silent; a spin on one: spin_timeout, no owner"

# A sleeping lock of such a thread: the child has one thread, but its
# parent had more, so its watchdog times the wait (soft_lockup, no owner).
life_run "lockup_s=1" fork_other_held_mutex
kid=$(printf '%s\n' "$out" | sed -n 's/^child=\([0-9]*\) .*/\1/p')
kj=$(jfile "$kid")
why="out: $(printf '%s' "$out" | tr '\n' ' '); $(summary "$json"); $(printf '%s' "$kj" | "$JQ" -c '{owner_tid, message}' 2>/dev/null)"
[ "$(summary "$kj")" = "soft_lockup mutex_B" ] && [ "$(nfiles)" -eq 1 ] &&
    printf '%s\n' "$kj" | "$JQ" -e '(.owner_tid // 0) == 0' >/dev/null &&
    printf '%s\n' "$out" | grep -q '^timedlock=ETIMEDOUT$' &&
    printf '%s\n' "$out" | grep -q "^child=$kid exit=66$" && [ "$status" -eq 0 ]
check $? "fork of a multi-threaded parent: a child's long wait on a mutex is timed (soft_lockup, no owner)"

# ---- exec and its relatives ----

# Each way of starting a program: the child (life abba) is validated and
# reports its AB-BA to its own r.<pid>; the parent's state survives (it
# reports its own B -> A against the A -> B it learnt before).
for how in fork_exec vfork posix_spawn system popen; do
	life_run "" spawn $how
	parent=$(printf '%s\n' "$out" | sed -n 's/^parent=//p')
	kid=$(printf '%s\n' "$out" | sed -n 's/^abba=//p')
	why="out: $(printf '%s' "$out" | tr '\n' ' '); files: $(ls "$dir"); $(summary "$json")"
	[ -n "$kid" ] && [ "$kid" != "$parent" ] &&
	    [ "$(summary "$(jfile "$kid")")" = "circular_dependency mutex_A,mutex_B" ] &&
	    jfile "$kid" | "$JQ" -e --argjson p "$kid" '.pid == $p' >/dev/null &&
	    [ "$(summary "$(jfile "$parent")")" = "circular_dependency mutex_A,mutex_B" ] &&
	    [ "$(nfiles)" -eq 2 ] && [ "$status" -eq 66 ] &&
	    printf '%s\n' "$out" | grep -q '^child=[0-9]* exit=66$'
	check $? "$how: the exec'd child is validated, reports in its own file; parent intact"

	# follow_exec=0: the child runs bare, the parent is still validated.
	life_run "follow_exec=0" spawn $how
	parent=$(printf '%s\n' "$out" | sed -n 's/^parent=//p')
	kid=$(printf '%s\n' "$out" | sed -n 's/^abba=//p')
	why="out: $(printf '%s' "$out" | tr '\n' ' '); files: $(ls "$dir"); $(summary "$json")"
	[ -n "$kid" ] && [ "$(nfiles)" -eq 1 ] &&
	    [ "$(summary "$(jfile "$parent")")" = "circular_dependency mutex_A,mutex_B" ] &&
	    [ "$status" -eq 66 ] &&
	    printf '%s\n' "$out" | grep -q '^child=[0-9]* exit=0$'
	check $? "$how, follow_exec=0: the child runs bare (no file, exit 0)"
done

# vfork: the child changes its signal mask before exec; the parent's
# validator still knows the parent's mask (no false irq report).
life_run "" vfork_mask
why="out: $out; $(summary "$json")"
[ -z "$json" ] && [ "$status" -eq 0 ] &&
    printf '%s\n' "$out" | grep -q '^child=[0-9]* exit=0$'
check $? "vfork: the child's sigprocmask before exec leaves the parent's state alone"

# ---- dlopen/dlclose ----

# A cycle through a closed module's class (its heap lock outlives it):
# reported, named by the module's init site, no crash.
life_run "" dl "$MODDIR" invert
site=$(site tests/preload/life_mod.c 'the class of module 1')
why="out: $(printf '%s' "$out" | tr '\n' ' '); $(summary "$json")"
[ "$(summary "$json")" = "circular_dependency $site,main_lock" ] &&
    [ "$status" -eq 66 ]
check $? "dlclose: a cycle through the closed module's class, named by its init site"

# Its dependency's stack was saved in module 1, which was closed, and
# module 2 was loaded (at the same address, as a rule) before the report:
# the frame in module 1 keeps module 1's function, file and line, not
# whatever module 2 has at that address now.
same=$(printf '%s\n' "$out" | sed -n 's/.*same_address=//p')
want="liblifemod1.so|mod_lock_then|$(site tests/preload/life_mod.c "module 1's frame in the saved stack")"
frames=$(printf '%s\n' "$json" | "$JQ" -r '.stacks[].frames[] | select(.module // "" | test("liblifemod")) | "\(.module | sub(".*/"; ""))|\(.function)|\(.file // "" | sub(".*/"; "")):\(.line)"' 2>/dev/null | tr '\n' ' ')
[ "${ULD_LIBDW:-yes}" = yes ] || want="liblifemod1.so|mod_lock_then|:null"
why="same address: $same; frames in the modules: $frames; want: $want"
[ "$frames" = "$want " ]
check $? "dlclose, then dlopen (same address: $same): the old stack still names module 1's frame"

# The same frame still matches a suppression by its function.
printf 'circular_dependency:mod_lock_then\n' >"$workdir/supp_frozen"
life_run "suppressions=$workdir/supp_frozen" dl "$MODDIR" invert
why="status $status; $(summary "$json"); err: $(cat "$dir/err")"
[ -z "$json" ] && [ "$status" -eq 0 ] &&
    grep -q '^ulockdep: 1 report suppressed$' "$dir/err"
check $? "dlclose: a suppression by the closed module's function still matches"

# A cycle in the second module, opened after the first was closed
# (maybe at the same address): its class and frames are its own.
life_run "" dl "$MODDIR" second
same=$(printf '%s\n' "$out" | sed -n 's/.*same_address=//p')
frames=$(printf '%s\n' "$json" | "$JQ" -r '.stacks[].frames[] | select(.module // "" | test("liblifemod")) | "\(.module | sub(".*/"; ""))|\(.function)"' 2>/dev/null | sort -u | tr '\n' ' ')
why="same address: $same; $(summary "$json"); frames: $frames"
[ "$(summary "$json")" = "circular_dependency main_lock,mod2_static_lock" ] &&
    [ -n "$frames" ] &&
    ! printf '%s' "$frames" | grep -q 'liblifemod1\|mod1_' &&
    printf '%s' "$frames" | grep -q 'liblifemod2.so|mod2_take_static' &&
    [ "$status" -eq 66 ]
check $? "dlopen after dlclose (same address: $same): the new module's names, not the old one's"

life_run "" dl "$MODDIR" silent
why="$(summary "$json")"
[ -z "$json" ] && [ "$status" -eq 0 ]
check $? "dlopen/dlclose in one order: silent"

# ---- the ways a process ends ----

# Ten reports, then the process ends from a thread that is not the main
# one, while other threads hold locks: all ten whole in the file, no
# locks_held_at_exit.  exit(), _exit, _Exit and quick_exit apply exitcode;
# abort keeps its signal.
for how in exit:66 _exit:66 _Exit:66 quick_exit:66 abort:134; do
	life_run "" end "${how%:*}"
	n=$(printf '%s\n' "$json" | grep -c .)
	why="status $status, $n lines; $(summary "$json" | cut -d' ' -f1 | uniq -c)"
	[ "$status" -eq "${how#*:}" ] && [ "$n" -eq 10 ] &&
	    [ "$(printf '%s\n' "$json" | "$JQ" -e -s 'length == 10 and all(.[]; .kind == "bad_unlock")' 2>/dev/null)" = true ]
	check $? "${how%:*} from a thread while others hold locks: 10 whole reports, status ${how#*:}"
done

# The status of each normal end: exitcode after a report (also one made
# in the program's own at_quick_exit handler), the program's non-zero
# status kept, and 0 without a report (the silent twins).
for how in exit _exit _Exit quick_exit quick_exit_late; do
	for c in 0:1:66 3:1:3 0:0:0; do
		st=${c%%:*} n=${c#*:}; n=${n%:*} want=${c##*:}
		life_run "" end_with "$how" "$st" "$n"
		got=$(printf '%s\n' "$json" | grep -c .)
		why="status $status, $got reports: $(summary "$json" | tr '\n' ' '); err: $(head -c 300 "$dir/err")"
		[ "$status" -eq "$want" ] && [ "$got" -eq "$n" ] &&
		    { [ "$n" -eq 0 ] || [ "$(summary "$json")" = "bad_unlock $([ $how = quick_exit_late ] && echo late || echo end_with)" ]; } &&
		    [ ! -s "$dir/err" ]
		check $? "$how($st) after $n report(s): status $want"
	done
done

# exit() while four threads lock and report, graph saved: no hang, every
# line whole.
life_run "graph_path=$workdir/g" end_storm
n=$(printf '%s\n' "$json" | grep -c .)
why="status $status; $n lines; bad: $(printf '%s\n' "$json" | "$JQ" -c 'select(.kind != "bad_unlock")' 2>&1 | head -3)"
[ "$status" -eq 66 ] && [ "$n" -gt 0 ] &&
    [ "$(printf '%s\n' "$json" | "$JQ" -e -s 'all(.[]; .kind == "bad_unlock")' 2>/dev/null)" = true ] &&
    [ -n "$(ls "$workdir"/g.* 2>/dev/null)" ]
check $? "exit while threads report: no hang, $n whole reports, graph saved"

finish
