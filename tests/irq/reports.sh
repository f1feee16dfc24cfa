#!/bin/sh
# reports.sh: what the irq reports say, in text and JSON.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/irq/cases

# irq FAMILY VARIANT ORDER TYPE: run one case; sets $dir $status $json $text.
irq() {
	dir=$workdir/$1.$2.$3.$4.$tap_n
	mkdir -p "$dir"
	ULD_OPTS="json_path=$dir/r:log_path=$dir/log" timeout -s KILL 60 sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec $ULD_VALGRIND "$0" "$@"' \
	    "$CASES" "$@" >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	text=$(cat "$dir"/log.* 2>/dev/null)
}

has() { printf '%s\n' "$text" | grep -qF -- "$1"; }
jq1() { printf '%s\n' "$json" | "$JQ" -r "$1" | head -1; }

# inconsistent_irq_state, found in the handler (process use came first).
irq irqsafe1 soft 21 kspin
why="text: $text"
has "WARNING: inconsistent lock state" &&
    has "inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage." &&
    has "[HC0[0]:SC1[1]:HE1:SE1] takes:" &&
    has "(kspin_A){+.?.}, at: irq_A+" &&
    has "{SOFTIRQ-ON-W} state of kspin_A was registered at (SIGALRM deliverable)" &&
    has "  <Interrupt>" && has "    lock(kspin_A);" && has "*** DEADLOCK ***"
check $? "inconsistent, found in the handler: kernel layout, states, scenario"
why="json: $json"
[ "$(jq1 .signal)" = SIGALRM ] && [ "$(jq1 .irq)" = softirq ] &&
    [ "$(jq1 .usage)" = IN-SOFTIRQ-W ] &&
    [ "$(jq1 .conflicts_with)" = SOFTIRQ-ON-W ] &&
    [ "$(jq1 '[.stacks[].role]|join(",")')" = current,irq-unsafe ]
check $? "inconsistent JSON: signal, irq, usage, conflicts_with, stacks"
sig_handler_first=$(jq1 .signature)

# The same bug found the other way round has the same signature.
irq irqsafe1 soft 12 kspin
why="text: $text"
has "inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage." &&
    has "[HC0[0]:SC0[0]:HE1:SE1] takes:" &&
    has "{IN-SOFTIRQ-W} state of kspin_A was registered at (SIGALRM handler)" &&
    has "       irq_A+"
check $? "inconsistent, found outside the handler: the handler's stack shown"
why="signatures $(jq1 .signature) vs $sig_handler_first"
[ "$(jq1 .signature)" = "$sig_handler_first" ]
check $? "same signature whichever use came first"

# A hardirq signal is named so.
irq irqsafe1 hard 12 spin
why="text: $text"
has "inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage." &&
    [ "$(jq1 .irq)" = hardirq ] && [ "$(jq1 .signal)" = SIGUSR1 ]
check $? "SIGUSR1 is a hardirq"

# irq_safe_unsafe_order, found on the new edge.
irq irqsafe4 soft 231 kspin
why="text: $text"
has "WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected" &&
    has "is trying to acquire:" && has "and this task is already holding:" &&
    has "but this new dependency connects a SOFTIRQ-irq-safe lock:" &&
    has " (kspin_A){" && has " (kspin_B){" &&
    has "Possible interrupt unsafe locking scenario:" &&
    has "local_irq_disable();"
check $? "safe -> unsafe order, kernel layout"
why="json: $json"
[ "$(jq1 .irq_safe)" = kspin_A ] && [ "$(jq1 .irq_unsafe)" = kspin_B ] &&
    [ "$(jq1 '.chain|join(",")')" = kspin_A,kspin_B ]
check $? "order JSON: irq_safe, irq_unsafe, chain"
sig_edge=$(jq1 .signature)

# The same inversion found when B became irq-unsafe last.
irq irqsafe4 soft 132 kspin
why="text: $text"
has "WARNING: possible irq lock inversion dependency detected" &&
    has "but this lock was taken by another, SOFTIRQ-safe lock in the past:" &&
    has "and interrupts could create inverse lock ordering between them." &&
    has "-> (kspin_B) taken while holding (kspin_A)"
check $? "irq lock inversion, found when a class became irq-unsafe"
why="signatures $(jq1 .signature) vs $sig_edge"
[ "$(jq1 .signature)" = "$sig_edge" ]
check $? "same signature for the same inversion found either way"

# A mutex taken in a handler is a sleeping call there.
irq irqsafe1_twin hard 12 mutex
why="json: $json"
[ "$(jq1 .kind)" = sleep_in_atomic ] &&
    jq1 .message | grep -q "pthread_mutex_lock called by .* inside the SIGUSR1 handler"
check $? "sleep_in_atomic names the handler's signal"

check_all_frames "every report above"

finish
