#!/bin/sh
# stress.sh: the randomized stress run (stress.c) must stay silent, and its
# twin with one injected inversion must report exactly that, once.
#
# Both runs use one seed: STRESS_SEED, or a new one each time (printed;
# `make stress STRESS_SEED=N` repeats it).  STRESS_SECONDS per run: 2 in
# make check, 60 by default in `make stress`.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
STRESS=$ULD_BUILDDIR/tests/real/stress
secs=${STRESS_SECONDS:-2}
seed=${STRESS_SEED:-}
[ -n "$seed" ] || seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
echo "# seed $seed, $secs s per run (STRESS_SEED=$seed repeats it)"
# A busy machine can keep a spinlock's owner off the CPU for a second
# (16 threads on 2 shared cores): the test is about order and irq
# reports, so the spin timeout is out of its way, not the lockup one.
# The run's own time, plus as long again for a loaded machine.
stmo=$((secs * 2 + 60))

# stress_run NAME ARGS...: sets $dir, $status, $json (every process's
# records: the parent's and each fork child's) and $figures.
stress_run() {
	local name=$1
	shift
	dir=$workdir/$name
	mkdir -p "$dir"
	ULD_OPTS="json_path=$dir/r:log_path=$dir/log:spin_timeout_ms=20000" \
	    timeout -s KILL "$stmo" sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$@"' \
	    "$STRESS" --seconds "$secs" --seed "$seed" "$@" \
	    >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	figures=$(grep '^stress: seconds=' "$dir/out")
	sed 's/^/# /' "$dir/out"
}

# figure KEY: one number of the figures line.
figure() {
	printf '%s\n' "$figures" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# The run did what it claims: locks taken, trylocks against the order,
# signals handled and the irq lock taken in normal context, forks.
did_work() {
	[ -n "$figures" ] && [ "$(figure acquisitions)" -gt 0 ] &&
	    [ "$(figure reverse)" -gt 0 ] && [ "$(figure signals_handled)" -gt 0 ] &&
	    [ "$(figure irq_normal)" -gt 0 ] && [ "$(figure forks)" -gt 0 ]
}

stress_run silent
why="exit status $status, $(printf '%s' "$json" | grep -c .) reports: $(printf '%s\n' "$json" | "$JQ" -r '.kind + ": " + .message' 2>/dev/null | head -5 | tr '\n' '|')"
[ "$status" -eq 0 ] && [ -z "$json" ] && ! cat "$dir"/log.* 2>/dev/null | grep -q . &&
    ! grep -q . "$dir/err"
check $? "silent: exit 0, no report in the process or its fork children"
why="figures: $figures"
did_work
check $? "silent: locks, reverse trylocks, signals and forks all happened"

stress_run inject --inject
# The two classes the program says it took against the order.
pair=$(sed -n 's/^stress: inversion: took \(.*\) then \(.*\)$/\2,\1/p' "$dir/out" |
    tr ',' '\n' | sort | paste -sd, -)
pid=$(sed -n 's/^stress: seed=.* pid=\([0-9]*\)$/\1/p' "$dir/out")
why="exit status $status, pair '$pair', reports: $(printf '%s\n' "$json" | "$JQ" -r '"\(.pid) \(.kind): \(.message)"' 2>/dev/null | head -5 | tr '\n' '|')"
[ "$status" -eq 66 ] && [ -n "$pair" ] &&
    [ "$(printf '%s' "$json" | grep -c .)" -eq 1 ] &&
    [ "$(printf '%s\n' "$json" | "$JQ" -r .kind)" = circular_dependency ] &&
    [ "$(classes_of "$json")" = "$pair" ] &&
    [ "$(printf '%s\n' "$json" | "$JQ" -r .pid)" = "$pid" ] &&
    [ "$(ls "$dir"/r.* | wc -l)" -eq 1 ]
check $? "inject: exactly one circular_dependency, in the parent, naming the two classes taken against the order ($pair)"
why="figures: $figures"
did_work
check $? "inject: locks, reverse trylocks, signals and forks all happened"
finish
