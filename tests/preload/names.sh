#!/bin/sh
# names.sh: every string in JSON is escaped.  names.c makes a report whose
# thread name, class names, source file and program path hold quotes,
# backslashes, control characters and bytes that are not UTF-8; every
# line of the report file, of the saved graph and of `ulockdep report
# --format json`, and the SARIF document, must parse, and each name must
# come out as its bytes with invalid UTF-8 replaced by U+FFFD.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

ULDT=$ULD_BUILDDIR/tools/ulockdep

# The program, its reports and its graph in a directory whose name needs
# escaping too (a quote, a backslash, a control character, byte 0xff):
# the program's path is the report's "exe" and its frames' "module".
odd=$(printf '%s/d"q\\\001\377' "$workdir")
mkdir -p "$odd" && cp "$ULD_BUILDDIR/tests/preload/names" "$odd/prog"

# run_names MODE: names MODE under the preload; $status, $json, $rfile.
run_names() {
	rm -f "$odd"/r.* "$odd"/g.* "$odd"/log.*
	dir=$workdir/$1
	mkdir -p "$dir"
	ULD_OPTS="json_path=$odd/r:log_path=$odd/log:graph_path=$odd/g" \
	    timeout -s KILL 30 sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$@"' \
	    "$odd/prog" "$1" >"$dir/out" 2>"$dir/err"
	status=$?
	rfile=$(ls "$odd"/r.* 2>/dev/null)
	json=$(cat "$odd"/r.* 2>/dev/null)
}

# lines_parse FILE...: every line of each FILE is one JSON object, and
# there is at least one; the files are valid UTF-8 with no raw control
# character (jq alone would let both through: it reads a byte that is
# not UTF-8 as U+FFFD).
lines_parse() {
	local n objs
	n=$(cat "$@" | grep -c '')
	objs=$(cat "$@" | "$JQ" -R 'fromjson | type' 2>&1 | grep -c '^"object"$')
	why="$n lines, $objs parse as objects: $(cat "$@" | "$JQ" -R 'fromjson' 2>&1 >/dev/null | head -2)"
	[ "$n" -gt 0 ] && [ "$objs" -eq "$n" ] && utf8_clean "$@"
}

# utf8_clean FILE...: valid UTF-8, no control character but newlines.
utf8_clean() {
	cat "$@" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 || {
		why="$why; not valid UTF-8"
		return 1
	}
	! cat "$@" | LC_ALL=C grep -q "$(printf '[\001-\037\177]')" || {
		why="$why; a raw control character"
		return 1
	}
}

# What each name must become (jq string syntax): its bytes, escaped, with
# each byte that is not UTF-8 replaced by U+FFFD.
thread='"a\"b\\c\u0001\t\ufffd\u00e9"'
class_A='"cls \"q\" \\ \u0002\n\ufffd\u20ac"'
file='"odd \"dir\"/q\"u\\o\u0001t\ufffd\ufffd(e.c"'
class_B='"lock_B [q\"u\\o\u0001t\ufffd\ufffd(e.c:3]"'

run_names abba
lines_parse "$odd"/r.*
check $? "report file: every line is valid JSON"

why="status $status; kinds: $(printf '%s\n' "$json" | "$JQ" -r .kind 2>&1 | tr '\n' ' ')"
[ "$status" -eq 66 ] && [ "$(printf '%s\n' "$json" | grep -c .)" -eq 1 ] &&
    [ "$(printf '%s' "$json" | "$JQ" -r .kind)" = circular_dependency ] &&
    [ "$rfile" = "$odd/r.$(printf '%s' "$json" | "$JQ" -r .pid)" ]
check $? "abba: one circular_dependency, in r.<pid> of the odd directory"

why="thread: $(printf '%s' "$json" | "$JQ" -c .thread)"
printf '%s' "$json" | "$JQ" -e ".thread == $thread and
    any(.stacks[]; .thread == $thread)" >/dev/null
check $? "thread name: quote, backslash, control characters, invalid UTF-8"

why="cycle: $(printf '%s' "$json" | "$JQ" -c '[.cycle, [.locks[].class]]')"
printf '%s' "$json" | "$JQ" -e "(.cycle | sort) == ([$class_A, $class_B] | sort)
    and ([.locks[].class] | sort) == ([$class_A, $class_B] | sort)" >/dev/null
check $? "class names: a named class and a FILE:LINE class, escaped"

why="files: $(printf '%s' "$json" | "$JQ" -c '[.stacks[].frames[].file] | unique')"
if [ "${ULD_LIBDW:-yes}" = yes ]; then
	printf '%s' "$json" | "$JQ" -e "any(.stacks[].frames[]; .file == $file and
	    .function == \"lock_pair\")" >/dev/null
	check $? "frames: the odd source file of lock_pair"
else
	ok "# SKIP frames' source file: built without libdw"
fi

why="exe: $(printf '%s' "$json" | "$JQ" -c '[.exe, ([.stacks[].frames[].module] | unique)]')"
printf '%s' "$json" | "$JQ" -e --arg p "$odd/prog" '.exe == $p and
    any(.stacks[].frames[]; .module == $p)' >/dev/null
check $? "program path: exe and frame modules, escaped"

lines_parse "$odd"/g.*
check $? "graph file: every line is valid JSON"
why="classes: $(cat "$odd"/g.* | "$JQ" -c 'select(.class) | .name' | tr '\n' ' ')"
cat "$odd"/g.* | "$JQ" -s -e "[.[] | select(.class) | .name] as \$n |
    (\$n | index($class_A)) != null and (\$n | index($class_B)) != null and
    any(.[]; .thread? == $thread)" >/dev/null
check $? "graph file: both class names and the thread name, escaped"

# `ulockdep report` of that file: the same names, and the input's path.
timeout -s KILL 30 "$ULDT" report --format json "$odd"/r.* >"$dir/rep.json" 2>"$dir/rep.err"
st=$?
lines_parse "$dir/rep.json"
r=$?
why="status $st; $why; $(head -c 300 "$dir/rep.json")"
[ "$st" -eq 1 ] && [ "$r" -eq 0 ] && [ "$(grep -c '' "$dir/rep.json")" -eq 1 ] &&
    "$JQ" -e --arg f "$rfile" --arg p "$odd/prog" ".thread == $thread and
	(.cycle | sort) == ([$class_A, $class_B] | sort) and
	.origin.file == \$f and .processes[0].exe == \$p" "$dir/rep.json" >/dev/null
check $? "report --format json: valid JSON Lines, the names kept"

timeout -s KILL 30 "$ULDT" report --format sarif "$odd"/r.* >"$dir/rep.sarif" 2>"$dir/rep.err"
st=$?
why="status $st; $(head -c 300 "$dir/rep.sarif")"
[ "$st" -eq 1 ] && utf8_clean "$dir/rep.sarif" && "$JQ" -e "[.. | strings] as \$s |
    any(\$s[]; contains($class_A)) and any(\$s[]; contains($class_B)) and
    any(\$s[]; contains($thread))" "$dir/rep.sarif" >/dev/null
check $? "report --format sarif: valid JSON, the names kept"

# The silent twin: the same names, the same order everywhere.
run_names ordered
why="status $status; records: $json"
[ "$status" -eq 0 ] && [ -z "$json" ]
check $? "ordered: silent"
lines_parse "$odd"/g.*
check $? "ordered: graph file, every line is valid JSON"

finish
