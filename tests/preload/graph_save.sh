#!/bin/sh
# graph_save.sh: graph_path=PATH saves the learned lock graph at exit to
# PATH.<pid>, in the format of doc/graph-format.md.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

# graph_run NAME TYPE [OPTIONS]: run_case with graph_path=$gdir/g, in a
# fresh $gdir; sets $graph to the one file written, if one was.
graph_run() {
	gdir=$workdir/graph.$tap_n
	mkdir -p "$gdir"
	run_case "$1" "$2" "graph_path=$gdir/g${3:+:$3}"
	graph=$(ls "$gdir"/g.* 2>/dev/null | head -1)
}

# jqg FILTER: FILTER over the graph file's records, as one array; rtype
# is a record's type, by its first field.
jqg() {
	"$JQ" -s -r '
	    def rtype: if has("format") then "header" elif has("end") then "end"
		elif has("frames") then "stack" elif has("class") then "class"
		elif has("bit") then "usage" elif has("edge") then "edge"
		else "unknown" end;
	    # A signal set, written {"all_except":[...]} when it holds more
	    # than half the signals, as the list of its names.
	    def sigs($hdr): if type == "object" then $hdr.signals - .all_except
		else . end;
	    .[0] as $hdr |
	    '"$1" "$graph"
}

# Checks that hold for every graph file ($1: the process that wrote it).
check_well_formed() {
	local pid=$1 base
	base=$(basename "$graph")

	why="files: $(ls -a "$gdir" | tr '\n' ' ')"
	[ "$base" = "g.$pid" ] && [ "$(ls -A "$gdir" | grep -c 'tmp')" -eq 0 ]
	check $? "$what: PATH.<pid>, no temporary file left"

	why="mode $(stat -c %a "$graph")"
	[ "$(stat -c %a "$graph")" = 600 ]
	check $? "$what: mode 0600"

	why="header: $(head -1 "$graph")"
	head -1 "$graph" | "$JQ" -e --argjson pid "$pid" --arg exe "$exe" '
		.format == "ulockdep-graph" and .version == 1 and
		.pid == $pid and .exe == $exe and (.host|type=="string") and
		(.time|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")) and
		(.ulockdep|type=="string") and
		.softirq_signals == ["SIGALRM","SIGVTALRM","SIGPROF"]' >/dev/null
	check $? "$what: header format, version, pid = suffix, exe, time"

	# Lines in order: header, stacks, classes, usage, edges, trailer.
	why="record types: $(jqg '[.[] | rtype] | join(" ")')"
	jqg '
		{header: 0, stack: 1, class: 2, usage: 3, edge: 4, end: 5} as $rank |
		[.[] | $rank[rtype]] | . == sort and .[0] == 0 and .[-1] == 5 and
		(map(select(. == 0 or . == 5)) | length) == 2 and
		all(.[]; . != null)' | grep -qx true
	check $? "$what: header, stack, class, usage, edge lines, trailer, in order"

	# Every id is defined once, on an earlier line than its uses.
	why="ids: $(jqg '[.[] | select(has("edge") or has("usage")) | [.edge // .usage, .stack]] | tostring')"
	jqg '
		def defined($m; $id): $id == null or $m[$id|tostring] == true;
		reduce .[] as $r ({s: {}, c: {}, ok: true};
		    if ($r|rtype == "stack") then
			.ok = (.ok and (.s[$r.stack|tostring] | not)) |
			.s[$r.stack|tostring] = true
		    elif ($r|rtype == "class") then
			.ok = (.ok and (.c[$r.class|tostring] | not)) |
			.c[$r.class|tostring] = true
		    elif ($r|rtype == "usage") then
			.ok = (.ok and defined(.c; $r.usage) and defined(.s; $r.stack))
		    elif ($r|rtype == "edge") then
			.ok = (.ok and defined(.c; $r.edge[0]) and
			    defined(.c; $r.edge[1]) and defined(.s; $r.stack))
		    else . end) | .ok' | grep -qx true
	check $? "$what: each stack and class id defined once, before it is used"

	why="trailer: $(tail -1 "$graph")"
	jqg '
		.[-1] as $t |
		$t.end == true and
		$t.stacks == ([.[] | select(rtype == "stack")] | length) and
		$t.classes == ([.[] | select(rtype == "class")] | length) and
		$t.usage == ([.[] | select(rtype == "usage")] | length) and
		$t.edges == ([.[] | select(rtype == "edge")] | length)' | grep -qx true
	check $? "$what: trailer counts match the records"

	why="a frame: $(jqg '[.[] | select(has("frames")) | .frames[0]][0] | tostring')"
	jqg '
		[.[] | select(has("frames")) | .frames[]] as $f |
		($f | length) > 0 and
		all($f[]; has("ip") and has("function") and has("offset") and
		    has("module") and has("file") and has("line")) and
		([$f[].module | select(. != null) | split("/") | last |
		    select(test("^libulockdep"))] | length) == 0' | grep -qx true
	check $? "$what: frames as in reports, none of the validator's"
}

exe=$(readlink -f "$CASES")

# ---- A -> B, learnt without a report ----
graph_run ABAB mutex
what="ABAB"
why="status $status, reports: $json"
[ "$status" -eq 0 ] && [ -z "$json" ] && [ ! -s "$dir/err" ] && [ -n "$graph" ]
check $? "ABAB: no report, no error, one graph file"
pid=${graph##*.}
check_well_formed "$pid"

why="classes: $(jqg '[.[] | select(has("class")) | [.name, .kind, .type]] | tostring')"
[ "$(jqg '[.[] | select(has("class")) | "\(.name)/\(.kind)/\(.type)"] | sort | join(",")')" = \
    "mutex_A/static/mutex,mutex_B/static/mutex" ]
check $? "ABAB: classes mutex_A and mutex_B, static, mutex"

why="edges: $(jqg '[.[] | select(has("edge"))] | tostring')"
jqg '
	(map(select(has("class")) | {(.name): .class}) | add) as $id |
	[.[] | select(has("edge"))] as $e |
	($e | length) == 1 and $e[0].edge == [$id.mutex_A, $id.mutex_B] and
	$e[0].deps == ["EN"] and $e[0].thread == "cases" and
	($e[0].tid|type=="number") and ($e[0].stack|type=="number")' | grep -qx true
check $? "ABAB: exactly one edge, mutex_A -> mutex_B, deps EN"

why="edge stack: $(jqg '(.[] | select(has("edge")) | .stack) as $s | .[] | select(.stack == $s and has("frames")) | [.frames[].function] | tostring')"
jqg '
	(.[] | select(has("edge")) | .stack) as $s |
	.[] | select(.stack == $s and has("frames")) |
	[.frames[0:3][].function] | index("ABAB") != null' | grep -qx true
check $? "ABAB: the edge's stack is symbolized and starts in ABAB"

why="usage: $(jqg '[.[] | select(rtype == "usage") | [.usage, .bit, (.signals|length)]] | tostring')"
jqg '
	[.[] | select(rtype == "usage")] | length == 2 and
	all(.[]; .bit == "enabled_write" and (.signals | sigs($hdr) | index("SIGUSR1") != null) and
	    (.stack|type=="number"))' | grep -qx true
check $? "ABAB: each class's first usage (taken with signals deliverable) has a trace"

# Stacks shared between records are written once.
why="stacks: $(jqg '[.[] | select(has("frames")) | .stack] | tostring')"
[ "$(jqg '[.[] | select(has("frames")) | .frames | tostring] | (length == (unique|length))')" = true ]
check $? "ABAB: no stack written twice"

# verbosity=1 says where the graph went and what it holds.
graph_run ABAB mutex verbosity=1
why="stderr: $(cat "$dir/err")"
grep -qx "ulockdep: lock graph saved to $gdir/g\.[0-9]*: 2 classes, 1 dependencies, 2 stacks, 2 usage traces, [0-9]* ms" "$dir/err"
check $? "verbosity=1: one line naming the file and its counts"

# ---- A report does not stop the save; the exit status stays 66 ----
graph_run ABBA mutex
what="ABBA"
why="status $status, kinds: $(printf '%s\n' "$json" | "$JQ" -r .kind)"
[ "$status" -eq 66 ] && [ "$(printf '%s\n' "$json" | grep -c .)" -eq 1 ] &&
    [ "$(printf '%s' "$json" | "$JQ" -r .kind)" = circular_dependency ] && [ -n "$graph" ]
check $? "ABBA: its one report, exit status 66, and a graph file"
check_well_formed "$(printf '%s' "$json" | "$JQ" -r .pid)"
why="edges: $(jqg '[.[] | select(has("edge")) | .edge] | tostring')"
jqg '
	(map(select(has("class")) | {(.name): .class}) | add) as $id |
	[.[] | select(has("edge")) | .edge] == [[$id.mutex_A, $id.mutex_B]]' | grep -qx true
check $? "ABBA: the edge that would close the cycle is not in the graph"

# ---- irq usage: a class taken in a SIGALRM handler ----
gdir=$workdir/graph.irq
dir=$workdir/irq
mkdir -p "$gdir" "$dir"
ULD_OPTS="json_path=$dir/r:log_path=$dir/log:graph_path=$gdir/g" timeout -s KILL 60 sh -c \
    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec $ULD_VALGRIND "$0" "$@"' \
    "$ULD_BUILDDIR/tests/irq/cases" irqsafe1_twin soft 12 kspin >"$dir/out" 2>"$dir/err"
status=$?
json=$(cat "$dir"/r.* 2>/dev/null)
graph=$(ls "$gdir"/g.* 2>/dev/null | head -1)
what="irq"
exe=$(readlink -f "$ULD_BUILDDIR/tests/irq/cases")
why="status $status, reports: $json"
[ "$status" -eq 0 ] && [ -z "$json" ] && [ ! -s "$dir/err" ] && [ -n "$graph" ]
check $? "irq: no report, no error, one graph file"
check_well_formed "${graph##*.}"

why="class: $(jqg '.[] | select(.name == "kspin_A") | tostring')"
jqg '
	.[] | select(has("class") and .name == "kspin_A") |
	.type == "kspin" and .kind == "static" and .used_in_write == ["SIGALRM"] and
	(.enabled_write | sigs($hdr) | index("SIGALRM") == null) and
	(.enabled_write | sigs($hdr) | index("SIGUSR1") != null) and
	(.enabled_write | has("all_except")) and
	(has("used_in_read") | not)' | grep -qx true
check $? "irq: kspin_A is used_in_write SIGALRM, never enabled for it"

why="usage: $(jqg '[.[] | select(rtype == "usage")] | tostring')"
jqg '
	(.[] | select(.name == "kspin_A") | .class) as $a |
	[.[] | select(rtype == "usage" and .usage == $a and .bit == "used_in_write")] as $u |
	($u | length) == 1 and $u[0].signals == ["SIGALRM"] and
	($u[0].stack as $s | [.[] | select(has("frames") and .stack == $s) |
	    .frames[].function] | index("irq_A") != null)' | grep -qx true
check $? "irq: the used_in_write SIGALRM trace, with the handler's stack"

# ---- errors: a directory that does not exist ----
exe=$(readlink -f "$CASES")
nodir=$workdir/no/such/dir
for c in "ABAB 0 0" "ABBA_exit3 3 1" "ABBA 66 1"; do
	set -- $c
	run_case "$1" mutex "graph_path=$nodir/g"
	n=$(grep -c . "$dir/err")
	why="status $status, stderr lines $n, reports $(printf '%s' "$json" | grep -c .)"
	[ "$status" -eq "$2" ] && [ "$n" -eq 1 ] &&
	    grep -q "^ulockdep: graph_path: .*$nodir/g\.[0-9][0-9]*: .*No such file or directory$" "$dir/err" &&
	    [ ! -e "$workdir/no" ] && [ "$(printf '%s' "$json" | grep -c .)" -eq "$3" ]
	check $? "$1, graph_path in a missing directory: one error line naming it, exit status $2 kept, $3 report(s)"
done

# Silent twin: no graph_path, no file and nothing on stderr.
quiet=$workdir/quiet
mkdir -p "$quiet"
cd "$quiet" && run_case ABAB mutex; cd - >/dev/null
why="status $status, in the working directory: $(ls -A "$quiet"), in $dir: $(ls "$dir")"
[ "$status" -eq 0 ] && [ ! -s "$dir/err" ] && [ -z "$(ls -A "$quiet")" ] &&
    [ -z "$(ls "$dir" | grep -v '^err$\|^out$')" ]
check $? "no graph_path: no graph file, no error, no report"

# ---- fork: the child saves its own PATH.<childpid> ----
graph_run fork_child_inverts mutex
parent=$(sed -n 's/^parent=//p' "$dir/out")
files=$(ls "$gdir")
child=$(ls "$gdir" | sed -n 's/^g\.//p' | grep -vx "$parent")
why="files: $files, parent $parent, out: $(cat "$dir/out")"
[ "$(ls "$gdir" | grep -c .)" -eq 2 ] && [ -f "$gdir/g.$parent" ] && [ -n "$child" ] &&
    grep -qx 'child_status=66' "$dir/out" && [ "$status" -eq 0 ]
check $? "fork: two files, the parent's and the child's"
# The one report is the child's, in its own JSON file.
why="reports: $(ls "$dir"): $json"
[ "$(printf '%s\n' "$json" | grep -c .)" -eq 1 ] && [ -s "$dir/r.$child" ] &&
    [ "$("$JQ" -r .pid "$dir/r.$child")" = "$child" ] && [ ! -e "$dir/r.$parent" ]
check $? "fork: the child's report only, none from the parent"
for p in "$parent" "$child"; do
	graph=$gdir/g.$p
	what="fork, pid $p"
	check_well_formed "$p"
	why="edges: $(jqg '[.[] | select(has("edge")) | .edge] | tostring')"
	jqg '
		(map(select(has("class")) | {(.name): .class}) | add) as $id |
		[.[] | select(has("edge")) | .edge] == [[$id.mutex_A, $id.mutex_B]]' | grep -qx true
	check $? "$what: the graph has mutex_A -> mutex_B only"
done

check_all_frames "every report above"

finish
