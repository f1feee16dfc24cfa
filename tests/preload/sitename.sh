#!/bin/sh
# sitename.sh: a class is named on first sight of its site from the line
# table alone (class.c), not from the whole frame: the names must be
# those of the frames, in the JSON record, the text report and the saved
# graph.  sitename.c makes a cycle through four classes: an init site
# inside an inlined helper, a static variable's init site, a first
# acquisition inside an inlined helper, and an init site in a module that
# is closed before the report (named while it was loaded).
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/preload/sitename
MODDIR=$ULD_BUILDDIR/tests/preload/.libs
SRC=tests/preload/sitename.c

A=$(site $SRC "inlined init of A")
V="sitename_var [$(site $SRC "init of V")]"
H=$(site $SRC "inlined first lock of H")
M=$(site tests/preload/life_mod.c "the class of module 1's heap lock")
# Sorted as classes_of sorts (jq's unique: by code point).
want=$(printf '%s\n' "$A" "$V" "$H" "$M" | LC_ALL=C sort | paste -sd, -)

run_case cycle "$MODDIR" "graph_path=$workdir/g.cycle"
if [ "${ULD_LIBDW:-yes}" = yes ]; then
	expect_one "a cycle through the four classes" "circular_dependency:$want"
else
	# function+offset names: the order is unknown, the brackets literal.
	expect_one "a cycle through four classes" \
	    'circular_dependency:*+0x*,*+0x*,*+0x*,*sitename_var \[*+0x*\]*' glob
	ok "# SKIP exact names in text, frames and graph: built without libdw"
	run_case silent "$MODDIR"
	expect_one "the same classes in one order" silent
	finish
	exit
fi

# Each name whole in the text report, as lockdep prints a class: (name).
miss=
for c in "$A" "$V" "$H" "$M"; do
	# shellcheck disable=SC2254
	case $text in *"($c)"*) ;; *) miss="$miss [$c]" ;; esac
done
why="missing from the text report:$miss"
[ -n "$text" ] && [ -z "$miss" ]
check $? "text report: the same four names"

# The name of H against the stack of the edge into it: the innermost
# frame of its first acquisition is lock_inl (inlined), at the line the
# class is named by.  Full symbolization and the class name agree.
fr=$(printf '%s\n' "$json" | "$JQ" -r '.stacks[].frames[] |
    select(.function == "lock_inl") | "\(.file | sub(".*/"; "")):\(.line)"' |
    sort -u | tr '\n' ' ')
why="lock_inl frames: $fr; class: $H"
[ "$fr" = "$H " ]
check $? "the inlined first acquisition: frame and class name agree"

# The graph saved at exit names the same classes.
g=$(cat "$workdir"/g.cycle.* 2>/dev/null | "$JQ" -r 'select(.class) | .name' 2>/dev/null)
miss=
for c in "$A" "$V" "$H" "$M"; do
	printf '%s\n' "$g" | grep -qxF -- "$c" || miss="$miss [$c]"
done
why="graph classes: $(printf '%s' "$g" | tr '\n' '|'); missing:$miss"
[ -n "$g" ] && [ -z "$miss" ]
check $? "graph file: the same four names"

# The silent twin: the same classes, one order.
run_case silent "$MODDIR"
expect_one "the same classes in one order" silent

finish
