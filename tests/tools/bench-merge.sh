#!/bin/sh
# bench-merge.sh ULOCKDEP DIR [FILES CLASSES EDGES]: time `ulockdep merge`
# over synthetic graphs (gen-graphs.py), generated into DIR once (about
# 2.8 GB for the default 1,000 files of 10,000 classes and 20,000 edges,
# 1,000 stacks of 6 frames each).  Three inversions split between the
# first two files: merge must report exactly 3 cycles.
set -e
uld=$1 dir=$2 files=${3:-1000} classes=${4:-10000} edges=${5:-20000}
here=$(dirname "$0")
stamp="$dir/.params"
want="$files $classes $edges"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	rm -rf "$dir"
	echo "generating $files graph files of $classes classes, $edges edges in $dir"
	python3 "$here/gen-graphs.py" "$dir" --files "$files" \
	    --classes "$classes" --edges "$edges" --split-abba 3
	echo "$want" >"$stamp"
fi
echo "input: $(du -sh "$dir" | cut -f1) in $files files"
status=0
/usr/bin/env time -f "merge: %e s elapsed, %U s user, %S s system, %M KB peak" \
    "$uld" merge "$dir"/graph.* >"$dir.out" || status=$?
echo "exit $status; $(head -1 "$dir.out")"
[ "$status" -eq 1 ] && grep -q '^ulockdep report: 3 distinct reports' "$dir.out"
