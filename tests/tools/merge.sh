#!/bin/sh
# merge.sh: `ulockdep merge` and `ulockdep graph` over saved graphs.
#
# Most graph files here are written by hand from doc/graph-format.md, so
# the reader is held to the format's contract, not to what the writer
# happens to do; the end-to-end checks at the bottom run real programs
# with graph_path=.  Each detection has a silent twin.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
ULDT=$ULD_BUILDDIR/tools/ulockdep
ORDER=$ULD_BUILDDIR/tests/tools/order
g=$workdir/graphs
mkdir -p "$g"

# mk FILE PID HOST: a graph file from the records on stdin, between a
# header and a trailer whose counts are those of the records.
mk() {
	cat >"$1.body"
	printf '{"format":"ulockdep-graph","version":1,"pid":%s,"exe":"/usr/bin/prog","host":"%s","time":"2026-12-01T18:00:00.000Z","ulockdep":"0.1.0","softirq_signals":["SIGALRM","SIGVTALRM","SIGPROF"]}\n' \
	    "$2" "$3" >"$1"
	cat "$1.body" >>"$1"
	printf '{"end":true,"classes":%d,"edges":%d,"stacks":%d,"usage":%d}\n' \
	    "$(grep -c '^{"class"' "$1.body")" "$(grep -c '^{"edge"' "$1.body")" \
	    "$(grep -c '^{"stack"' "$1.body")" "$(grep -c '^{"usage"' "$1.body")" >>"$1"
	rm -f "$1.body"
}

# sig NAME...: the validator's signature, FNV-1a over each name and its
# NUL (lib/report.c), computed here independently of the tool.
sig() {
	python3 -c '
import sys
h = 0xcbf29ce484222325
for n in sys.argv[1:]:
    for b in n.encode() + b"\0":
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$@"
}

# merge ARGS...: sets $out, $err (stderr), $status, $n (JSON records,
# with --format json).
merge() {
	"$ULDT" merge "$@" >"$workdir/out" 2>"$workdir/err"
	status=$?
	out=$(cat "$workdir/out")
	err=$(cat "$workdir/err")
	n=$(grep -c '^{' "$workdir/out")
}

# One stack per edge and two classes, as a run would save them.
frame() {
	printf '{"ip":"0x%x","function":"%s","offset":%d,"module":"/usr/bin/prog","file":"prog.c","line":%d}' \
	    "$2" "$1" "$3" "$4"
}
# pair FILE PID HOST FROM TO FUNCTION: a run that saw FROM -> TO.
pair() {
	mk "$1" "$2" "$3" <<EOF
{"stack":1,"frames":[$(frame "$6" 4198400 17 33)]}
{"class":1,"name":"$4","kind":"static","type":"mutex"}
{"class":2,"name":"$5","kind":"static","type":"mutex"}
{"edge":[1,2],"deps":["EN"],"thread":"$6","tid":$(($2 + 1)),"stack":1}
EOF
}

pair "$g/ab" 101 h1 A B deposit
pair "$g/ba" 202 h2 B A audit
pair "$g/ab2" 303 h3 A B deposit

# --- cycles ---

merge --format json "$g/ab" "$g/ba"
rec=$out
why="exit $status, $n records: $out $err"
[ "$status" -eq 1 ] && [ "$n" -eq 1 ] &&
    [ "$(printf '%s' "$rec" | "$JQ" -r .kind)" = circular_dependency ] &&
    [ "$(classes_of "$rec")" = A,B ]
check $? "split AB-BA: one circular_dependency naming A and B, exit 1"

want=$(sig circular_dependency A B)
got=$(printf '%s' "$rec" | "$JQ" -r .signature)
why="signature $got, want $want"
[ "$got" = "$want" ]
check $? "split AB-BA: the validator's signature (kind, names rotated to the smallest)"

why="stacks: $(printf '%s' "$rec" | "$JQ" -c '[.stacks[] | [.title, .frames[0].function]]')"
printf '%s' "$rec" | "$JQ" -e --arg ab "$g/ab" --arg ba "$g/ba" '
	(.stacks | length) == 2 and
	([.stacks[].title] | sort) == ([
	    "A taken while holding B, in run \($ba) (pid 202, host h2)",
	    "B taken while holding A, in run \($ab) (pid 101, host h1)"] | sort) and
	([.stacks[].frames[0].function] | sort) == ["audit", "deposit"] and
	([.stacks[].thread] | sort) == ["audit", "deposit"]' >/dev/null
check $? "split AB-BA: each dependency's stack from the run that saw it, titled with the run"

why="record: $rec"
printf '%s' "$rec" | "$JQ" -e '(.pid|type) == "number" and (.tid|type) == "number"
	and (.time|test("Z$")) and (.locks|length) == 2 and
	(.locks[0].mode == "mutex") and (.cycle|length) == 2 and
	.merged == true and (.runs|length) == 2' >/dev/null
check $? "split AB-BA: the report record's fields (contract.md)"

merge "$g/ab" "$g/ba"
why="$out"
case "$out" in
*"WARNING: possible circular locking dependency detected"*"in run $g/"*) true ;;
*) false ;;
esac
check $? "split AB-BA, text: the validator's headline, stacks titled with their runs"
printf '%s\n' "$out" | grep -qx 'ulockdep merge: 1 report that only the union of 2 graph files shows' &&
    printf '%s\n' "$out" | grep -qx 'runs (each saw part of it; none saw all):' &&
    printf '%s\n' "$out" | grep -q "^ $g/ab: pid [0-9]*" &&
    printf '%s\n' "$out" | grep -q "^ $g/ba: pid [0-9]*" &&
    printf '%s\n' "$out" | grep -q '^ #0: ([A-Za-z_]*) mutex$'
check $? "split AB-BA, text: a merge heading, the runs joined, no lock address"

merge --format json "$g/ab" "$g/ab2"
why="exit $status: $out $err"
[ "$status" -eq 0 ] && [ "$n" -eq 0 ] && [ -z "$err" ]
check $? "silent twin: two runs in the same order merge to nothing, exit 0"

merge --format json "$g/ab"
why="exit $status: $out $err"
[ "$status" -eq 0 ] && [ "$n" -eq 0 ]
check $? "one run alone: nothing new"

mk "$g/both" 404 h4 <<EOF
{"class":1,"name":"A","kind":"static","type":"mutex"}
{"class":2,"name":"B","kind":"static","type":"mutex"}
{"edge":[1,2],"deps":["EN"],"thread":"t","tid":1}
{"edge":[2,1],"deps":["EN"],"thread":"t","tid":1}
EOF
merge --format json "$g/both" "$g/ab"
why="exit $status: $out $err"
[ "$status" -eq 0 ] && [ "$n" -eq 0 ]
check $? "a cycle one run saw whole is that run's report, not merge's"

pair "$g/bc" 505 h5 B C t2
pair "$g/ca" 606 h6 C A t3
merge --format json "$g/ab" "$g/bc" "$g/ca"
got=$(printf '%s' "$out" | "$JQ" -r .signature)
why="exit $status, $n: $out"
[ "$status" -eq 1 ] && [ "$n" -eq 1 ] && [ "$(classes_of "$out")" = A,B,C ] &&
    [ "$got" = "$(sig circular_dependency A B C)" ] &&
    [ "$(printf '%s' "$out" | "$JQ" '.stacks | length')" -eq 3 ]
check $? "three runs, A->B, B->C, C->A: one cycle of three, three stacks, the validator's signature"

merge --format json "$g/ab" "$g/bc"
why="exit $status: $out"
[ "$status" -eq 0 ] && [ "$n" -eq 0 ]
check $? "silent twin: A->B, B->C is no cycle"

# Readers: a recursive reader never waits for a reader, so A -(SR)-> B
# -(SR)-> A cannot deadlock (lockdep's strong paths); with a writer it can.
rw() {
	mk "$1" "$2" h <<EOF
{"class":1,"name":"$3","kind":"static","type":"rwlock"}
{"class":2,"name":"$4","kind":"static","type":"rwlock"}
{"edge":[1,2],"deps":["$5"],"thread":"r","tid":7}
EOF
}
rw "$g/rr1" 701 rw_A rw_B SR
rw "$g/rr2" 702 rw_B rw_A SR
merge --format json "$g/rr1" "$g/rr2"
why="exit $status: $out"
[ "$status" -eq 0 ] && [ "$n" -eq 0 ]
check $? "read-read (SR, SR) across runs: not a strong cycle, silent"

rw "$g/rw2" 703 rw_B rw_A EN
merge --format json "$g/rr1" "$g/rw2"
why="exit $status: $out"
[ "$status" -eq 1 ] && [ "$n" -eq 1 ] && [ "$(classes_of "$out")" = rw_A,rw_B ]
check $? "read then write (SR, EN) across runs: a strong cycle, reported"

# --- bad input: each named FILE:LINE (or FILE), exit 2, the rest used ---

sed 's/"version":1/"version":2/' "$g/ab" >"$g/v2"
merge "$g/v2"
why="exit $status: $err"
[ "$status" -eq 2 ] &&
    [ "$err" = "ulockdep: $g/v2:1: version 2 not supported (this ulockdep reads 1)" ]
check $? "version 2: refused, naming the file, exit 2"

echo '{"kind":"circular_dependency","signature":"00"}' >"$g/report"
merge "$g/report"
why="exit $status: $err"
[ "$status" -eq 2 ] && case "$err" in
"ulockdep: $g/report:1: not a ulockdep graph"*) true ;; *) false ;; esac
check $? "a report file: not a ulockdep graph, exit 2"

head -n -1 "$g/ba" >"$g/cut"
merge --format json "$g/ab" "$g/cut"
why="exit $status, $n: $err"
[ "$status" -eq 3 ] && [ "$n" -eq 1 ] && case "$err" in
"ulockdep: $g/cut: cut short"*) true ;; *) false ;; esac
check $? "no trailer: cut short, naming the file; what it holds is used (exit 3: reports and bad input)"

{ head -3 "$g/ba"; echo '{"stack":2,"frames":'; tail -n +4 "$g/ba"; } >"$g/midbad"
merge --format json "$g/ab" "$g/midbad"
why="exit $status, $n: $err"
[ "$status" -eq 3 ] && [ "$n" -eq 1 ] &&
    [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && case "$err" in
"ulockdep: $g/midbad:4: not JSON: "*) true ;; *) false ;; esac
check $? "a bad line in the middle: FILE:LINE, the rest still read"

{ head -4 "$g/ba"; echo '{"edge":[2,9],"deps":["EN"],"thread":"x","tid":1}';
  echo '{"class":"3","name":"C"}'; echo '{"edge":[1,2],"deps":["XX"]}';
  echo '{"what":1}'; tail -n +5 "$g/ba"; } >"$g/ids"
merge --format json "$g/ids"
why="exit $status: $err"
[ "$status" -eq 2 ] && printf '%s\n' "$err" | grep -qxF \
    "ulockdep: $g/ids:5: class 9 is not defined on an earlier line" &&
    printf '%s\n' "$err" | grep -qxF \
    "ulockdep: $g/ids:6: class: \"class\" must be an integer" &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $g/ids:7: edge: \"deps\" must be an array of" &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $g/ids:8: unknown record type"
check $? "undefined ids, wrong types, bad deps, unknown records: each named FILE:LINE"

merge "$g/nonexistent" "$g"
why="exit $status: $err"
[ "$status" -eq 2 ] && printf '%s\n' "$err" | grep -qxF \
    "ulockdep: $g/nonexistent: cannot read: No such file or directory" &&
    printf '%s\n' "$err" | grep -qxF "ulockdep: $g: cannot read: Is a directory"
check $? "unreadable files: named, exit 2"

: >"$g/empty"
merge "$g/empty"
why="exit $status: $err"
[ "$status" -eq 2 ] && [ "$err" = "ulockdep: $g/empty: not a ulockdep graph (empty file)" ]
check $? "an empty file: not a graph, exit 2"

head -c 100000 /dev/urandom >"$g/noise"
merge "$g/noise" "$g/ab"
why="exit $status: $(printf '%s' "$err" | head -3)"
[ "$status" -eq 2 ]
check $? "random bytes: an error, no crash"

head -c -30 "$g/ba" >"$g/midline"
merge --format json "$g/ab" "$g/midline"
why="exit $status, $n: $err"
[ "$status" -eq 3 ] && [ "$n" -eq 1 ] &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $g/midline:6: " &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $g/midline: cut short"
check $? "cut in the middle of the trailer: that line named, the file cut short, the rest used"

# Progress only on a terminal (script(1) gives the command one).
if command -v script >/dev/null 2>&1; then
	script -qec "'$ULDT' merge '$g/ab' '$g/ab2' >/dev/null" /dev/null \
	    >"$workdir/tty" 2>&1
	why="terminal output: $(od -c "$workdir/tty" | head -3)"
	grep -q 'reading 2/2 files' "$workdir/tty"
	check $? "progress on a terminal: reading N/M files"
else
	ok "# SKIP script(1) not installed: no terminal to test progress on"
fi

merge
why="exit $status: $err"
[ "$status" -eq 2 ]
check $? "no files: usage error, exit 2"
merge --format dot "$g/ab"
why="exit $status: $err"
[ "$status" -eq 2 ]
check $? "merge --format dot: unknown format, exit 2"

# --- graph ---

"$ULDT" graph "$g/ab" "$g/ba" "$g/ab2" >"$workdir/gt" 2>"$workdir/err"
status=$?
why="exit $status: $(cat "$workdir/gt" "$workdir/err")"
[ "$status" -eq 0 ] && grep -q '^  A -> B \[EN\] ON A CYCLE, seen in 2 runs: #1 #3' "$workdir/gt" &&
    grep -q '^  B -> A \[EN\] ON A CYCLE, seen in 1 run: #2' "$workdir/gt" &&
    grep -q "^  #2 $g/ba: pid 202, host h2" "$workdir/gt"
check $? "graph, text: edges with deps and the runs that saw them, cycle edges marked"

mk "$g/odd" 808 h8 <<'EOF'
{"class":1,"name":"we\"ird\\name [a.c:1]","kind":"name","type":"spin"}
{"class":2,"name":"B","kind":"static","type":"mutex","used_in_write":["SIGALRM"]}
{"class":3,"name":"C","kind":"static","type":"mutex","enabled_write":["SIGALRM"]}
{"edge":[1,2],"deps":["EN"],"thread":"t","tid":1}
{"edge":[2,3],"deps":["EN"],"thread":"t","tid":1}
EOF
"$ULDT" graph --format dot "$g/ab" "$g/ba" "$g/odd" >"$workdir/g.dot" 2>"$workdir/err"
status=$?
why="exit $status: $(cat "$workdir/g.dot" "$workdir/err")"
[ "$status" -eq 0 ] && [ "$(grep -c 'color=red, penwidth=2' "$workdir/g.dot")" -eq 2 ] &&
    grep -q 'label="we\\"ird\\\\name' "$workdir/g.dot" &&
    grep -q 'irq-safe: SIGALRM' "$workdir/g.dot" && grep -q 'irq-unsafe: SIGALRM' "$workdir/g.dot"
check $? "graph, DOT: the two cycle edges red, names escaped, irq-safe/unsafe marked"

if command -v dot >/dev/null 2>&1; then
	dot -Tsvg "$workdir/g.dot" >"$workdir/g.svg" 2>"$workdir/dot.err"
	why="dot: $(cat "$workdir/dot.err")"
	[ $? -eq 0 ] && [ ! -s "$workdir/dot.err" ] && grep -q '<svg' "$workdir/g.svg"
	check $? "graph, DOT: dot -Tsvg parses it"
else
	ok "# SKIP dot (graphviz) not installed"
fi

"$ULDT" graph --format dot "$g/v2" >/dev/null 2>&1
status=$?
why="exit $status"
[ "$status" -eq 2 ]
check $? "graph: bad input, exit 2"

# --- irq ---

# irq FILE PID NAME KEY SIGNAL: a run where NAME had usage KEY for SIGNAL,
# with the usage line and its stack.
irq() {
	mk "$1" "$2" h <<EOF
{"stack":4,"frames":[$(frame "f_$2" 4198500 9 40)]}
{"class":1,"name":"$3","kind":"static","type":"kspin","$4":["$5"]}
{"usage":1,"bit":"$4","signals":["$5"],"stack":4,"thread":"w$2","tid":$2}
EOF
}
irq "$g/in" 901 dcache_lru_lock used_in_write SIGALRM
irq "$g/on" 902 dcache_lru_lock enabled_write SIGALRM
irq "$g/on_usr1" 903 dcache_lru_lock enabled_write SIGUSR1
merge --format json "$g/in" "$g/on"
got=$(printf '%s' "$out" | "$JQ" -r .signature)
why="exit $status, $n: $out $err"
[ "$status" -eq 1 ] && [ "$n" -eq 1 ] &&
    printf '%s' "$out" | "$JQ" -e '.kind == "inconsistent_irq_state" and
	.signal == "SIGALRM" and .irq == "softirq" and .locks[0].class ==
	"dcache_lru_lock" and .usage == "SOFTIRQ-ON-W" and .conflicts_with ==
	"IN-SOFTIRQ-W" and ([.stacks[].role] | sort) == ["irq-safe","irq-unsafe"]
	and ([.stacks[].frames[0].function] | sort) == ["f_901","f_902"]' >/dev/null &&
    [ "$got" = "$(sig inconsistent_irq_state dcache_lru_lock SIGALRM)" ]
check $? "irq: used in the SIGALRM handler in one run, taken with it deliverable in another: inconsistent_irq_state"

merge --format json "$g/in" "$g/on_usr1"
why="exit $status: $out"
[ "$status" -eq 0 ] && [ "$n" -eq 0 ]
check $? "irq silent twin: deliverable only for another signal"

# Signal sets as {"all_except": [...]}, read against the header's table.
# alle FILE PID EXCEPT: dcache_lru_lock deliverable for all but EXCEPT.
alle() {
	mk "$1.t" "$2" h <<EOF
{"class":1,"name":"dcache_lru_lock","kind":"static","type":"kspin","enabled_write":{"all_except":[$3]}}
{"usage":1,"bit":"enabled_write","signals":{"all_except":[$3]},"thread":"w","tid":$2}
EOF
	sed '1s/"softirq_signals"/"signals":["SIGHUP","SIGINT","SIGKILL","SIGUSR1","SIGALRM","SIGSTOP"],"softirq_signals"/' \
	    "$1.t" >"$1"
	rm -f "$1.t"
}
alle "$g/on_all" 904 '"SIGKILL","SIGSTOP"'
alle "$g/on_but_alrm" 905 '"SIGKILL","SIGSTOP","SIGALRM"'
merge --format json "$g/in" "$g/on_all"
why="exit $status, $n: $out $err"
[ "$status" -eq 1 ] && [ "$n" -eq 1 ] &&
    [ "$(printf '%s' "$out" | "$JQ" -r .signal)" = SIGALRM ]
check $? "irq, all_except sets: deliverable for all but SIGKILL and SIGSTOP conflicts with the SIGALRM handler"
merge --format json "$g/in" "$g/on_but_alrm"
why="exit $status, $n: $out $err"
[ "$status" -eq 0 ] && [ "$n" -eq 0 ] && [ -z "$err" ]
check $? "irq, all_except sets, silent twin: all but SIGALRM"
sed '1s/"signals":\[[^]]*\],//' "$g/on_all" >"$g/no_table"
merge --format json "$g/no_table"
why="exit $status: $err"
[ "$status" -eq 2 ] && printf '%s\n' "$err" | grep -qF \
    "$g/no_table:2: class: \"enabled_write\": all_except without a \"signals\" table in the header"
check $? "all_except without the header's signals table: named FILE:LINE"

mk "$g/safe" 911 h <<EOF
{"class":1,"name":"S","kind":"static","type":"kspin","used_in_write":["SIGUSR1"]}
{"class":2,"name":"U","kind":"static","type":"kspin"}
{"edge":[1,2],"deps":["EN"],"thread":"t","tid":1}
EOF
mk "$g/unsafe" 912 h <<EOF
{"class":1,"name":"U","kind":"static","type":"kspin","enabled_write":["SIGUSR1"]}
EOF
mk "$g/unsafe2" 913 h <<EOF
{"class":1,"name":"U","kind":"static","type":"kspin","enabled_write":["SIGUSR2"]}
EOF
merge --format json "$g/safe" "$g/unsafe"
got=$(printf '%s' "$out" | "$JQ" -r .signature)
why="exit $status, $n: $out $err"
[ "$status" -eq 1 ] && [ "$n" -eq 1 ] &&
    printf '%s' "$out" | "$JQ" -e '.kind == "irq_safe_unsafe_order" and
	.irq_safe == "S" and .irq_unsafe == "U" and .signal == "SIGUSR1" and
	.irq == "hardirq" and .chain == ["S","U"]' >/dev/null &&
    [ "$got" = "$(sig irq_safe_unsafe_order S U SIGUSR1)" ]
check $? "irq: S irq-safe -> U, U irq-unsafe in another run: irq_safe_unsafe_order"

merge --format json "$g/safe" "$g/unsafe2"
why="exit $status: $out"
[ "$status" -eq 0 ] && [ "$n" -eq 0 ]
check $? "irq order silent twin: U unsafe only for another signal"

# From each irq-unsafe class too, the nearest irq-safe one behind it:
# S -> A -> U1 and S -> A -> B -> U2 are two inversions, not one.
mk "$g/safe2" 921 h <<EOF
{"class":1,"name":"S","kind":"static","type":"kspin","used_in_write":["SIGUSR1"]}
{"class":2,"name":"A","kind":"static","type":"kspin"}
{"class":3,"name":"B","kind":"static","type":"kspin"}
{"class":4,"name":"U1","kind":"static","type":"kspin"}
{"class":5,"name":"U2","kind":"static","type":"kspin"}
{"edge":[1,2],"deps":["EN"],"thread":"t","tid":1}
{"edge":[2,4],"deps":["EN"],"thread":"t","tid":1}
{"edge":[2,3],"deps":["EN"],"thread":"t","tid":1}
{"edge":[3,5],"deps":["EN"],"thread":"t","tid":1}
EOF
mk "$g/unsafe3" 922 h <<EOF
{"class":1,"name":"U1","kind":"static","type":"kspin","enabled_write":["SIGUSR1"]}
{"class":2,"name":"U2","kind":"static","type":"kspin","enabled_write":["SIGUSR1"]}
EOF
merge --format json "$g/safe2" "$g/unsafe3"
why="exit $status, $n: $out $err"
[ "$status" -eq 1 ] && [ "$n" -eq 2 ] &&
    [ "$(printf '%s\n' "$out" | "$JQ" -r '.irq_unsafe' | sort | tr '\n' ' ')" = "U1 U2 " ] &&
    [ "$(printf '%s\n' "$out" | "$JQ" -r 'select(.irq_unsafe == "U2") | .chain | join(",")')" = S,A,B,U2 ]
check $? "irq order: the nearest unsafe from the safe class, and the nearest safe behind each unsafe one"

# SARIF: merged reports through report's printer, valid SARIF 2.1.0.
"$ULDT" merge --format sarif "$g/ab" "$g/ba" "$g/in" "$g/on" >"$workdir/out.sarif" 2>"$workdir/err"
status=$?
if ! python3 -c 'import jsonschema' 2>/dev/null; then
	ok "# SKIP merge --format sarif: no python3 jsonschema (python3-jsonschema)"
else
	why="exit $status: $(python3 - "$ULD_SRCDIR/tests/tools/sarif-2.1.0-rtm.5.json" "$workdir/out.sarif" 2>&1 <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
errors = list(jsonschema.Draft4Validator(schema).iter_errors(log))
for e in errors[:5]:
    print("/".join(map(str, e.absolute_path)), e.message[:300])
n = len(log["runs"][0]["results"])
if n != 2:
    print("results:", n)
sys.exit(1 if errors or n != 2 else 0)
EOF
)"
	[ $? -eq 0 ] && [ "$status" -eq 1 ]
	check $? "merge --format sarif: valid SARIF 2.1.0, one result per merged report"
fi

# --- end to end: real runs under the preload, saved with graph_path ---

# order_run NAME SEQ...: run order under the preload; sets $dir, $status,
# $json, $gfile (the saved graph).
order_run() {
	local name=$1
	shift
	dir=$workdir/e2e.$name
	mkdir -p "$dir"
	# Only the program runs under the preload, not timeout(1).
	ULD_OPTS="json_path=$dir/r:log_path=$dir/log:graph_path=$dir/g" \
	    timeout -s KILL 30 sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$@"' \
	    "$ORDER" "$@" >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	gfile=$(ls "$dir"/g.* 2>/dev/null)
}

order_run ab AB
g_ab=$gfile
why="exit $status, reports: $json, graph: $gfile"
[ "$status" -eq 0 ] && [ -z "$json" ] && [ -n "$g_ab" ]
check $? "end to end: run 1 takes A then B: silent, graph saved"
order_run ba BA
g_ba=$gfile
why="exit $status, reports: $json, graph: $gfile"
[ "$status" -eq 0 ] && [ -z "$json" ] && [ -n "$g_ba" ]
check $? "end to end: run 2 takes B then A: silent, graph saved"
order_run abba AB BA
whole=$json
why="exit $status, reports: $json"
[ "$status" -eq 66 ] && [ "$(printf '%s' "$whole" | grep -c .)" -eq 1 ] &&
    [ "$(classes_of "$whole")" = lock_A,lock_B ]
check $? "end to end: one run seeing AB and BA reports the cycle itself"

merge --format json "$g_ab" "$g_ba"
why="exit $status, $n: $out $err"
[ "$status" -eq 1 ] && [ "$n" -eq 1 ] &&
    [ "$(printf '%s' "$out" | "$JQ" -r .kind)" = circular_dependency ] &&
    [ "$(classes_of "$out")" = lock_A,lock_B ] &&
    printf '%s' "$out" | "$JQ" -e --arg a "$g_ab" --arg b "$g_ba" '
	[.stacks[].title | test("in run \($a) ")] | any' >/dev/null &&
    printf '%s' "$out" | "$JQ" -e --arg a "$g_ab" --arg b "$g_ba" '
	[.stacks[].title | test("in run \($b) ")] | any' >/dev/null &&
    printf '%s' "$out" | "$JQ" -e '[.stacks[].frames[].function] | index("main")' >/dev/null
check $? "end to end: the two silent runs merge into one circular_dependency on lock_A and lock_B, stacks from both"

m=$(printf '%s' "$out" | "$JQ" -r .signature)
s=$(printf '%s' "$whole" | "$JQ" -r .signature)
why="merged $m, single run $s"
[ -n "$m" ] && [ "$m" = "$s" ]
check $? "end to end: the merged signature is the single run's"

order_run ab2 AB
merge --format json "$g_ab" "$gfile"
why="exit $status: $out $err"
[ "$status" -eq 0 ] && [ "$n" -eq 0 ]
check $? "end to end, silent twin: two runs in the same order merge to nothing"

finish
