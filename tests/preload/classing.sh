#!/bin/sh
# classing.sh: classes made through a lock constructor (init_wrappers),
# static locks made by one helper, and instances of one class nested
# (same_class=order); scenarios in classing.c.
#
# Each detection asserts the exact kind, the classes (and, for instances,
# the two lock addresses the program printed) and that it is the only
# report; each has a silent twin.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/preload/classing
SRC=tests/preload/classing.c

ctor=$(site $SRC "constructor init")
caller_a="$(site $SRC "caller a") (via my_lock_new)"
caller_b="$(site $SRC "caller b") (via my_lock_new)"
plain=$(site $SRC "plain init")
node=$(site $SRC "node init")

# expect SCENARIO OPTIONS KIND CLASSES [ADDRS] DESC: one run; KIND "" means
# no report at all, else exactly one record of KIND naming CLASSES (a
# glob over the sorted class names, ',' between) and, when ADDRS is given
# ("ab", "aa", "ac"), the addresses of the program's locks with those
# letters (printed "a=0x.. b=0x..").
expect() {
	local s=$1 o=$2 kind=$3 cls=$4 addrs=$5 desc=$6 got n r want_st=66
	run_case "$s" - "$o"
	n=$(printf '%s\n' "$json" | grep -c .)
	got=$(printf '%s\n' "$json" | grep . | head -1)
	[ -z "$kind" ] && want_st=0
	why="status $status; $n reports: $(printf '%s\n' "$json" | grep . | "$JQ" -r '"\(.kind): \((.cycle // [.locks[].class]) | join(", "))"' | tr '\n' '|')"
	r=1
	if [ -z "$kind" ]; then
		[ "$n" -eq 0 ] && [ "$status" -eq 0 ] && r=0
	elif [ "$n" -eq 1 ] && [ "$status" -eq "$want_st" ] &&
	    [ "$(printf '%s' "$got" | "$JQ" -r .kind)" = "$kind" ]; then
		c=$(classes_of "$got")
		case $c in $cls) r=0 ;; esac
		if [ "$r" -eq 0 ] && [ -n "$addrs" ]; then
			x=$(printf '%.1s' "$addrs") y=${addrs#?}
			a=$(sed -n "s/.*\\<$x=\\(0x[0-9a-f]*\\).*/\\1/p" "$dir/out")
			b=$(sed -n "s/.*\\<$y=\\(0x[0-9a-f]*\\).*/\\1/p" "$dir/out")
			want=$(printf '%s\n%s\n' "$a" "$b" | sort | tr '\n' ,)
			have=$(printf '%s' "$got" | "$JQ" -r '.locks[].address' | sort | tr '\n' ,)
			why="$why; addresses $have, want $want"
			[ -n "$a" ] && [ "$have" = "$want" ] || r=1
		fi
	fi
	check $r "$desc"
}

# ---- init_wrappers ----
expect wrap_nest "" recursive_locking "$ctor" "" \
    "constructor: without init_wrappers, all its locks are its init site's class: recursive_locking"
expect wrap_nest init_wrappers=my_lock_new "" "" "" \
    "constructor: init_wrappers=my_lock_new, two callers nested: silent"
expect wrap_nest init_wrappers=+my_lock_new "" "" "" \
    "constructor: init_wrappers=+my_lock_new (built-ins and it): silent"
expect wrap_nest "init_wrappers=my_*,other" "" "" "" \
    "constructor: a glob in a list names it too: silent"
expect wrap_abba init_wrappers=my_lock_new circular_dependency \
    "$caller_a,$caller_b" ab \
    "constructor: AB-BA between two callers' locks: one circular_dependency naming both callers"
builtin=$(site $SRC "builtin init")
expect builtin_nest "" "" "" "" \
    "built-in list (uv_mutex_init): two callers nested: silent"
expect builtin_nest init_wrappers= recursive_locking "$builtin" ab \
    "init_wrappers= (empty) turns the built-in list off: recursive_locking"
expect plain init_wrappers=my_lock_new recursive_locking "$plain" ab \
    "an ordinary init site is unaffected: recursive_locking, its own class"

# A bad value is one line naming the key, and the default stays.
run_case wrap_nest - "init_wrappers=[ab:same_class=sometimes"
grep -qxF "ulockdep: ULOCKDEP_OPTIONS: init_wrappers: '[ab' has a malformed pattern" "$dir/err" &&
    grep -qxF "ulockdep: ULOCKDEP_OPTIONS: same_class: 'sometimes' is neither report nor order" "$dir/err"
check $? "bad init_wrappers and same_class values are named on stderr"

# ---- static locks made by one helper ----
# Classed by the site and the variable: two variables are two classes,
# each named by its variable and the helper's line; one array's elements
# share a class named after the whole array.
stat=$(site $SRC "static init")
expect static_nest "" "" "" "" \
    "two static variables made by one helper, nested: silent"
expect static_abba "" circular_dependency "stat_a \[$stat\],stat_b \[$stat\]" ab \
    "two static variables made by one helper, AB-BA: one circular_dependency naming both variables"
expect static_array "" recursive_locking "stat_arr\[\] \[$stat\]" cd \
    "two elements of one static array made by one helper, nested: recursive_locking, the array's class"

# ---- a constructor inlined from a header ----
# Each caller's copy is a class of its own; both have the header's line,
# so each is named by where it was made, then the header's line.
hdr=$(site tests/preload/classing_inl.h "header init")
queue="$(site $SRC "make queue") (via $hdr)"
stats="$(site $SRC "make stats") (via $hdr)"
[ "${ULD_LIBDW:-yes}" = yes ] || queue='*' stats='*'
expect inline_abba "" circular_dependency "$(printf '%s\n%s\n' "$queue" "$stats" | sort | tr '\n' , | sed 's/,$//')" "" \
    "inlined constructor: AB-BA between two makers' locks, each class named by its maker (via the header)"
expect inline_abab "" "" "" "" \
    "inlined constructor: the same two locks in one order: silent"

# ---- same_class ----
expect tree_fixed "" recursive_locking "$node" "" \
    "tree, child then parent: by default recursive_locking (contract)"
expect tree_fixed same_class=report recursive_locking "$node" "" \
    "tree, child then parent: same_class=report is the default"
expect tree_fixed same_class=order "" "" "" \
    "tree, child then parent in 4 threads: same_class=order is silent"
expect tree_reverse1 same_class=order circular_dependency "$node" ab \
    "same_class=order, one thread: 1 then 2 (cached), later 2 then 1: one circular_dependency naming both instances"
expect tree_reverse2 same_class=order circular_dependency "$node" ab \
    "same_class=order, two threads: 1 then 2, then 2 then 1: one circular_dependency naming both instances"
expect tree_reuse same_class=order "" "" "" \
    "same_class=order: a destroyed and re-initialised lock is a new instance, its old order forgotten"
expect tree_cycle3 same_class=order circular_dependency "$node" ac \
    "same_class=order: 1 then 2, 2 then 3, 3 then 1: one circular_dependency naming nodes 1 and 3"
expect tree_chain3 same_class=order "" "" "" \
    "same_class=order: 1 then 2, 2 then 3, 1 then 3: no cycle, silent"
expect tree_same same_class=order recursive_locking "$node" aa \
    "same_class=order: the same lock twice is still recursive_locking"
finish
