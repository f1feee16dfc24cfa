#!/bin/sh
# matrix.sh: the irq families (locking-selftest irqsafe1..4) under the
# preload, whose sigaction wrapper makes signal handlers interrupts.
#
# Each row: family, variants (hard: SIGUSR1, soft: SIGALRM), event
# orders, lock types, expected reports.  Expected is `silent` or a
# `+`-separated set of `KIND:CLASSES` (CLASSES sorted, comma-separated;
# `%` is the type's prefix: spin_, mutex_, kspin_, krw_).  The process
# must make exactly those reports, no more.  A mutex taken in a handler is
# also a sleeping call in a handler (sleep_in_atomic, which names no lock).
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/irq/cases

spinlike='spin,kspin,kwlock'
rows="
irqsafe1	hard,soft 12,21	  $spinlike	inconsistent_irq_state:%A
irqsafe1	hard,soft 12,21	  krlock	silent
irqsafe1	hard	  12,21	  mutex		inconsistent_irq_state:%A+sleep_in_atomic:
irqsafe1_twin	hard,soft 12,21	  $spinlike,krlock silent
irqsafe1_twin	hard	  12	  mutex		sleep_in_atomic:
irqsafe2A	soft	  12,21	  $spinlike	inconsistent_irq_state:%A
irqsafe2B	hard,soft 12,21	  $spinlike	inconsistent_irq_state:%A
irqsafe2B_twin	hard,soft 12,21	  $spinlike	silent
irqsafe3	hard,soft 123,132,213,231,312,321 $spinlike inconsistent_irq_state:%A
irqsafe4	hard,soft 123,132,213,231,312,321 $spinlike irq_safe_unsafe_order:%A,%B
irqsafe4	hard	  123,312 mutex		irq_safe_unsafe_order:%A,%B+sleep_in_atomic:
irqsafe4_twin	hard,soft 123,132,213,231,312,321 $spinlike silent
irqsafe4_chain	hard,soft 123,312,321 $spinlike	irq_safe_unsafe_order:%A,%B,%C
irq_inversion	hard,soft 123,132,213,231,312,321 kwlock irq_safe_unsafe_order:%A,%B
irq_inversion	hard,soft 123,132,213,231,312,321 krlock silent
irq_read_recursion hard,soft 123,132,213,231,312,321 kwlock inconsistent_irq_state:%A
irq_read_recursion hard,soft 123,132,213,231,312,321 krlock silent
two_signals_bad	hard	  1	  spin		inconsistent_irq_state:%B
two_signals	hard	  1	  spin		silent
nested_bad	hard	  1	  spin,kspin	inconsistent_irq_state:%A
nested		hard	  1	  spin,kspin	silent
flag_only	hard	  1	  spin,mutex,kspin silent
handler_sleep	hard,soft 1	  spin		sleep_in_atomic:
handler_read_empty hard,soft 1	  spin		sleep_in_atomic:
handler_read_ready hard,soft 1	  spin		silent
handler_free	hard	  1	  spin		silent
longjmp_out	hard	  1	  spin,kspin	silent
fault		hard	  1	  spin,kspin	silent
"

prefix_of() {
	case $1 in
	krlock|kwlock) echo krw_ ;;
	*) echo "$1"_ ;;
	esac
}

# The reports as sorted "kind:classes" lines; classes as classes_of.
got_set() {
	printf '%s\n' "$json" | "$JQ" -r \
	    '.kind + ":" + ((.cycle // .chain // [.locks[].class]) | unique | join(","))' |
	    sort
}

have_rwlock=$(grep -c 'define DEFINE_RWLOCK' "$ULD_SRCDIR/lib/include/ulockdep/spinlock.h")

echo "$rows" | while read -r fam variants orders types expect; do
	[ -z "$fam" ] && continue
	for v in $(echo "$variants" | tr , ' '); do
	for o in $(echo "$orders" | tr , ' '); do
	for type in $(echo "$types" | tr , ' '); do
		case $type in krlock|kwlock) [ "$have_rwlock" -gt 0 ] || continue ;; esac
		dir=$workdir/$fam.$v.$o.$type
		mkdir -p "$dir"
		ULD_OPTS="json_path=$dir/r:log_path=$dir/log" \
		    timeout -s KILL 60 sh -c \
		    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec $ULD_VALGRIND "$0" "$@"' \
		    "$CASES" "$fam" "$v" "$o" "$type" >"$dir/out" 2>"$dir/err"
		status=$?
		json=$(cat "$dir"/r.* 2>/dev/null)
		name="$fam/$v/$o/$type: $expect"
		got=$(got_set | tr '\n' '+' | sed 's/+$//')
		if [ "$expect" = silent ]; then
			want= ; want_status=0
		else
			want=$(echo "$expect" | tr '+' '\n' |
			    sed "s/%/$(prefix_of "$type")/g" | sort | tr '\n' '+' |
			    sed 's/+$//')
			want_status=66
		fi
		why="want [$want] exit $want_status; got [$got] exit $status"
		[ "$got" = "$want" ] && [ "$status" -eq "$want_status" ] &&
		    grep -q '^done$' "$dir/out"
		check $? "$name (exit $status)"
	done
	done
	done
done > "$workdir/tap"
# The checks above ran in a pipeline: number on from its last.
tap_n=$(grep -c '^\(not \)\?ok' "$workdir/tap")
check_all_frames "every report of the matrix" >> "$workdir/tap"
finish_file "$workdir/tap"
