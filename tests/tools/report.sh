#!/bin/sh
# report.sh: `ulockdep report` on the reports of real runs and on bad
# input: deduplication by signature, the three formats, the errors and the
# exit status (0 nothing reported, 1 reports, 2 bad input or usage, 3 both).
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
ULDT=$ULD_BUILDDIR/tools/ulockdep
EX=$ULD_BUILDDIR/examples
SCHEMA=$ULD_SRCDIR/tests/tools/sarif-2.1.0-rtm.5.json
PYTHON=${PYTHON:-/usr/bin/python3}
in=$workdir/in
mkdir -p "$in"

# under_preload NAME PROG ARGS...: run PROG with its reports in $in/NAME.<pid>.
under_preload() {
	name=$1
	shift
	ULD_OPTS="json_path=$in/$name:log_path=$workdir/log" timeout -s KILL 30 \
	    sh -c 'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$@"' \
	    "$@" >/dev/null 2>&1
}

# report ARGS...: runs `ulockdep report`; sets $out, $err, $rc.
report() {
	"$ULDT" report "$@" >"$workdir/out" 2>"$workdir/err"
	rc=$?
	out=$(cat "$workdir/out")
	err=$(cat "$workdir/err")
}

# check_sarif NAME: one TAP line: is $workdir/out.sarif valid SARIF 2.1.0?
check_sarif() {
	if ! "$PYTHON" -c 'import jsonschema' 2>/dev/null; then
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $1: no python3 jsonschema (python3-jsonschema)"
		return
	fi
	why=$("$PYTHON" - "$SCHEMA" "$workdir/out.sarif" 2>&1 <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
errors = list(jsonschema.Draft4Validator(schema).iter_errors(log))
for e in errors[:5]:
    print("/".join(map(str, e.absolute_path)), e.message[:300])
sys.exit(1 if errors else 0)
EOF
)
	check $? "$1"
}

sigs_of() {
	cat "$@" | "$JQ" -r '.kind + "/" + .signature' | sort -u | tr '\n' ' '
}

# The same bug twice (examples/abba), another twice in one process
# (two_bugs_repeated: two cycles) and two more bugs in the preload cases.
under_preload abba "$EX/abba"
under_preload abba "$EX/abba"
under_preload cases "$CASES" ABBA mutex
under_preload cases "$CASES" double_unlock mutex
set -- "$in"/abba.*
why="abba files: $*"
[ $# -eq 2 ] && [ "$(sigs_of "$@" | wc -w)" -eq 1 ] &&
    [ "$(cat "$@" | wc -l)" -eq 2 ]
check $? "two runs of abba: one record each, equal signatures"
abba_sig=$(sigs_of "$in"/abba.*)
all_sigs=$(sigs_of "$in"/*)

report --format json "$in"/abba.*
why="rc $rc: $out $err"
[ "$rc" -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
    printf '%s' "$out" | "$JQ" -e --arg s "$abba_sig" \
	'(.kind + "/" + .signature + " ") == $s and .count == 2 and
	 (.pids | length) == 2 and (.processes | length) == 2 and
	 .kind == "circular_dependency" and (.cycle | sort) == ["accounts_lock","audit_lock"]' >/dev/null
check $? "the same bug in two runs is one report, count 2, two pids, exit 1"

report --format json "$in"/*
got=$(printf '%s\n' "$out" | "$JQ" -r '.kind + "/" + .signature' | sort | tr '\n' ' ')
why="got '$got', want '$all_sigs' (rc $rc) $err"
[ "$rc" -eq 1 ] && [ "$got" = "$all_sigs" ] && [ "$(echo "$got" | wc -w)" -eq 3 ]
check $? "json: exactly one line per signature of the inputs (3 bugs)"

printf '%s\n' "$out" | "$JQ" -e -s 'map(.kind) ==
    ["circular_dependency","circular_dependency","bad_unlock"]' >/dev/null
why="order: $(printf '%s\n' "$out" | "$JQ" -r .kind | tr '\n' ' ')"
check $? "json: most severe kinds first"

# Every original field is kept; the added ones describe all the records.
first=$(head -n 1 "$(ls "$in"/abba.* | head -n 1)")
printf '%s\n' "$out" | "$JQ" -e --argjson r "$first" \
    'select(.signature == $r.signature) | . as $o |
     ($r | keys) - ($o | keys) == [] and .stacks == $r.stacks and
     .locks == $r.locks and .message == $r.message and
     .first_seen <= .last_seen and (.origin.file | test("abba"))' >/dev/null
why="$out"
check $? "json: the first-seen record's fields kept, count/first_seen/origin added"

report "$in"/*
why="rc $rc: $out"
[ "$rc" -eq 1 ] &&
    printf '%s\n' "$out" | grep -q '^ulockdep report: 3 distinct reports from 4 records in 4 files$' &&
    printf '%s\n' "$out" | grep -q "^  1\. $(echo $abba_sig): 2 times, first seen 20" &&
    printf '%s\n' "$out" | grep -q '^     classes: accounts_lock, audit_lock$' &&
    printf '%s\n' "$out" | grep -q '^     classes: mutex_A, mutex_B$' &&
    printf '%s\n' "$out" | grep -q '^     2 processes: pid [0-9]* on [^ ]* ([^)]*/abba), pid [0-9]* on [^ ]* ([^)]*/abba)$'
check $? "text: a summary with counts, first seen, classes and processes"

[ "$(printf '%s\n' "$out" | grep -c '^WARNING: possible circular locking dependency detected$')" -eq 2 ] &&
    [ "$(printf '%s\n' "$out" | grep -c '^WARNING: bad unlock balance detected!$')" -eq 1 ] &&
    printf '%s\n' "$out" | grep -q '^signature: '"$(echo $abba_sig)"'$' &&
    printf '%s\n' "$out" | grep -q '^ #0: 0x[0-9a-f]* (accounts_lock) mutex$' &&
    printf '%s\n' "$out" | grep -q '^\[dependency\] audit_lock taken while holding accounts_lock, by deposit/[0-9]*:$' &&
    printf '%s\n' "$out" | grep -q '^       audit+0x[0-9a-f]* ([./]*examples/abba.c:[0-9]*) \[abba\]$' &&
    printf '%s\n' "$out" | grep -qi '^what to do: take these locks in one order'
check $? "text: one full report per signature: headline, locks, stacks, signature"

# SARIF: valid against the 2.1.0 schema, one result per signature.
report --format sarif "$in"/*
printf '%s\n' "$out" >"$workdir/out.sarif"
check_sarif "sarif: valid against the SARIF 2.1.0 schema (rc $rc)"
got=$(printf '%s' "$out" | "$JQ" -r '.runs[0].results[].partialFingerprints."ulockdepSignature/v1"' | sort | tr '\n' ' ')
why="got '$got', want '$all_sigs'"
[ "$got" = "$all_sigs" ] && [ "$rc" -eq 1 ] &&
    printf '%s' "$out" | "$JQ" -e '.runs[0].tool.driver.rules as $rules |
	.version == "2.1.0" and (.runs | length) == 1 and
	.runs[0].tool.driver.name == "ulockdep" and
	(.runs[0].tool.driver.rules | map(.id) | index("circular_dependency")) != null and
	(.runs[0].results | map(.ruleId)) == ["circular_dependency","circular_dependency","bad_unlock"] and
	(.runs[0].results | map(.level)) == ["error","error","warning"] and
	all(.runs[0].results[]; .ruleId == $rules[.ruleIndex].id) and
	(.runs[0].results[0].occurrenceCount == 2) and
	(.runs[0].results[0].locations[0].logicalLocations[0].name == "audit") and
	(.runs[0].results[0].relatedLocations[0].logicalLocations[0].name == "deposit") and
	(.runs[0].results[0].stacks | length) == 2 and
	(.runs[0].results[0].stacks[0].frames | length) >= 1' >/dev/null
check $? "sarif: one result per signature, rule, level, fingerprint, count, stacks"

# With file:line in the frames (symbolized records), SARIF points at them.
"$JQ" -c '.stacks[0].frames[0].file = "src/bank dir/abba.c" |
    .stacks[0].frames[0].line = 42 | .stacks[1].frames[0].file = "/abs/deposit.c" |
    .stacks[1].frames[0].line = 7' "$in"/abba.* >"$workdir/lines.jsonl"
report --format sarif "$workdir/lines.jsonl"
why="$out"
printf '%s' "$out" | "$JQ" -e '.runs[0].results[0] |
    .locations[0].physicalLocation.artifactLocation.uri == "src/bank%20dir/abba.c" and
    .locations[0].physicalLocation.region.startLine == 42 and
    .relatedLocations[0].physicalLocation.artifactLocation.uri == "file:///abs/deposit.c" and
    .relatedLocations[0].physicalLocation.region.startLine == 7' >/dev/null
check $? "sarif: a frame's file:line is the result's location (URI-encoded)"
printf '%s\n' "$out" >"$workdir/out.sarif"
check_sarif "sarif: valid with physical locations"
# A record whose stacks repeat (SARIF wants a result's stacks distinct).
"$JQ" -c '.stacks += .stacks' "$workdir/lines.jsonl" >"$workdir/twice.jsonl"
report --format sarif "$workdir/twice.jsonl"
printf '%s\n' "$out" >"$workdir/out.sarif"
check_sarif "sarif: valid when a record repeats its stacks"
report "$workdir/lines.jsonl"
printf '%s\n' "$out" | grep -q '^       audit+0x[0-9a-f]* (src/bank dir/abba.c:42) \[abba\]$'
why="$out"
check $? "text: frames show (file:line)"

# The first-seen record (earliest time, whatever the file order) is shown.
"$JQ" -c '.time = "2030-01-01T00:00:00.000Z" | .thread = "late"' "$in"/abba.* | head -n 1 >"$workdir/late.jsonl"
"$JQ" -c '.time = "2020-01-01T01:00:00.000+02:00" | .thread = "early"' "$in"/abba.* | head -n 1 >"$workdir/early.jsonl"
report --format json "$workdir/late.jsonl" "$workdir/early.jsonl"
why="$out"
printf '%s' "$out" | "$JQ" -e '.thread == "early" and .count == 2 and
    .first_seen == "2020-01-01T01:00:00.000+02:00" and
    .last_seen == "2030-01-01T00:00:00.000Z" and (.origin.file | test("early"))' >/dev/null
check $? "the earliest record (time zones honoured) is the first seen"

# JSON output read again sums to the same counts (per-machine sets).
"$ULDT" report --format json "$in"/abba.* >"$workdir/m1.jsonl"
"$ULDT" report --format json "$in"/cases.* >"$workdir/m2.jsonl"
"$ULDT" report --format json "$in"/abba.* >"$workdir/m3.jsonl"
report --format json "$workdir"/m[123].jsonl
why="$out"
printf '%s\n' "$out" | "$JQ" -e -s --arg s "$abba_sig" 'length == 3 and
    (map(select(.kind + "/" + .signature + " " == $s)) | .[0].count == 4 and
	(.[0].pids | length) == 2) and
    (map(.count) | add) == 6 and all(.[]; has("count"))' >/dev/null
check $? "json output read again adds up (count 4 for abba, pids not doubled)"

# stdin and -o.
report -o "$workdir/o.json" --format=json - <"$(ls "$in"/abba.* | head -n 1)"
why="rc $rc $err"
[ "$rc" -eq 1 ] && [ -z "$out" ] && "$JQ" -e '.origin.file == "<stdin>" and .count == 1' "$workdir/o.json" >/dev/null
check $? "- reads stdin, -o writes the file"

# Output that cannot be written is an error too (a full disk in CI).
report -o /dev/full "$in"/abba.*
why="rc $rc: $err"
[ "$rc" -eq 3 ] && printf '%s\n' "$err" | grep -q '^ulockdep: /dev/full: write error: '
check $? "an output write error: named, exit 3"

# Exit status: 0 when nothing was reported (an empty report file).
: >"$workdir/empty.1"
report "$workdir/empty.1"
why="rc $rc: $out $err"
[ "$rc" -eq 0 ] && [ -z "$err" ] &&
    printf '%s\n' "$out" | grep -q '^ulockdep report: 0 distinct reports from 0 records in 1 file$'
check $? "no report: exit 0"
report --format sarif "$workdir/empty.1"
[ "$rc" -eq 0 ] && printf '%s' "$out" | "$JQ" -e '.runs[0].results == []' >/dev/null
check $? "no report: sarif with no result, exit 0"
report --format json "$workdir/empty.1"
[ "$rc" -eq 0 ] && [ -z "$out" ]
check $? "no report: json prints nothing, exit 0"

# Bad input: each bad line named with its file and line, skipped; the good
# lines still count; exit 3 (reports and bad input).
good=$(head -n 1 "$(ls "$in"/abba.* | head -n 1)")
bad=$workdir/bad.jsonl
{
	printf '%s\n' "$good"
	printf 'this is not json\n'
	printf '%s\n' "$good" | "$JQ" -c 'del(.signature)'
	printf '[1,2]\n'
	printf '%s\n' "$good" | "$JQ" -c '.message = 7'
	printf '\n'
	printf '%s\n' "$good" | "$JQ" -c '.signature = "other"'
	printf '%s' "$(printf '%s' "$good" | cut -c 1-100)"
} >"$bad"
report --format json "$bad" "$workdir/does-not-exist" "$workdir"
why="rc $rc; err: $err; out: $out"
[ "$rc" -eq 3 ] &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $bad:2: not JSON: column 1: " &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $bad:3: record has no \"signature\"$" &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $bad:4: not a JSON object$" &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $bad:5: \"message\" is not a string$" &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $bad:8: truncated record" &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $workdir/does-not-exist: cannot open: No such file or directory$" &&
    printf '%s\n' "$err" | grep -q "^ulockdep: $workdir: is a directory$" &&
    [ "$(printf '%s\n' "$err" | wc -l)" -eq 7 ] &&
    [ "$(printf '%s\n' "$out" | "$JQ" -s 'map(.count) | add')" -eq 2 ] &&
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]
check $? "bad input: each bad line and file named FILE:LINE, good lines kept, exit 3"

report "$bad"
printf '%s\n' "$out" | grep -q '^ulockdep report: 2 distinct reports from 2 records in 1 file; 5 unusable lines or files (see the errors)$'
why="$out"
check $? "text: the summary counts the unusable lines"

report "$workdir/does-not-exist"
[ "$rc" -eq 2 ]
why="rc $rc"
check $? "only bad input: exit 2"

# A file that is not a report file at all: a few errors, not one per
# line; a good line after many bad ones still counts.
{ seq 1 1000 | sed 's/^/garbage /'; printf '%s\n' "$good"; } >"$workdir/garbage"
report --format json "$workdir/garbage"
why="rc $rc, $(printf '%s\n' "$err" | wc -l) error lines: $(printf '%s\n' "$err" | tail -n 1)"
[ "$rc" -eq 3 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 21 ] &&
    printf '%s\n' "$err" | tail -n 1 | grep -q "^ulockdep: $workdir/garbage: 980 more bad lines not shown" &&
    printf '%s' "$out" | "$JQ" -e '.count == 1 and .origin.line == 1001' >/dev/null
check $? "1000 garbage lines: 20 errors and a count of the rest; the good line kept"

# Binary input never crashes it.
head -c 65536 /dev/urandom >"$workdir/random"
report "$workdir/random"
why="rc $rc"
[ "$rc" -eq 2 ]
check $? "random bytes: errors, exit 2, no crash"

# Usage errors: exit 2.
report
r1=$rc
report --format xml "$in"/abba.*
r2=$rc
report --bogus "$in"/abba.*
r3=$rc
why="$r1 $r2 $r3"
[ "$r1" -eq 2 ] && [ "$r2" -eq 2 ] && [ "$r3" -eq 2 ]
check $? "usage errors (no file, unknown format, unknown option): exit 2"

# Scale: many files and records in little time (a hash table, not a list).
big=$workdir/big
mkdir -p "$big"
"$JQ" -c '.' "$in"/cases.* >"$workdir/seed.jsonl"
awk -v dir="$big" 'NR == FNR { rec[n++] = $0; next } END {
	for (f = 0; f < 200; f++) {
		out = dir "/r." f
		for (i = 0; i < 100; i++) {
			r = rec[i % n]
			sub(/"pid":[0-9]*/, "\"pid\":" (1000 + f), r)
			sub(/"signature":"/, "&" (i % 50) "x", r)
			print r > out
		}
		close(out)
	}
}' "$workdir/seed.jsonl" "$workdir/seed.jsonl"
start=$(date +%s)
report --format json "$big"/*
secs=$(($(date +%s) - start))
why="rc $rc, $secs s, $(printf '%s\n' "$out" | wc -l) lines, $err"
[ "$rc" -eq 1 ] && [ "$secs" -le 20 ] &&
    [ "$(printf '%s\n' "$out" | "$JQ" -s 'map(.count) | add')" -eq 20000 ] &&
    [ "$(printf '%s\n' "$out" | wc -l)" -le 100 ] &&
    [ "$(printf '%s\n' "$out" | "$JQ" -s 'map(.pids | length) | max')" -le 200 ]
check $? "200 files, 20000 records: summed, deduplicated, in ${secs}s"

finish
