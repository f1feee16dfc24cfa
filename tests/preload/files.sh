#!/bin/sh
# files.sh: how the validator opens its log, JSON and graph files
# (log_path, json_path, graph_path: each PATH.<pid>).  A symlink planted
# at PATH.<pid> is never followed, a file already there is appended to
# (never truncated), a new file is mode 0600 whatever the umask, and no
# file descriptor of ours survives an exec.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

NAMES=$ULD_BUILDDIR/tests/preload/names

# run_pre SETUP MODE ARGS...: in a fresh $dir, run the shell code SETUP
# (which sees $d, the directory, and $p, the pid the program will have:
# the shell execs it), then names MODE ARGS under the preload with
# log_path, json_path and graph_path in $dir.  Sets $status.
run_pre() {
	local setup=$1
	shift
	dir=$workdir/files.$tap_n
	mkdir -p "$dir"
	ULD_OPTS="json_path=$dir/r:log_path=$dir/log:graph_path=$dir/g" \
	    SETUP=$setup D=$dir timeout -s KILL 30 sh -c \
	    'd=$D p=$$; eval "$SETUP" || exit 125
	     LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$@"' \
	    "$NAMES" "$@" >"$dir/out" 2>"$dir/err"
	status=$?
	pid=$(cat "$dir/pid" 2>/dev/null)
}

# A symlink at each PATH.<pid>, to a file that must stay as it was.
run_pre 'echo $p >$d/pid; echo victim >$d/victim
	 for f in r log g; do ln -s victim $d/$f.$p; done' abba
why="status $status; victim: $(cat "$dir/victim"); $(ls -l "$dir" | tr '\n' ' ')"
[ "$status" -eq 66 ] && [ "$(cat "$dir/victim")" = victim ] &&
    [ -L "$dir/r.$pid" ] && [ -L "$dir/log.$pid" ]
check $? "symlinks at json_path.<pid> and log_path.<pid>: not followed"
why="stderr: $(head -c 600 "$dir/err")"
grep -q "^ulockdep: json_path: cannot open $dir/r.$pid: .*; writing to stderr" "$dir/err" &&
    grep -q "^ulockdep: log_path: cannot open $dir/log.$pid: .*; writing to stderr" "$dir/err" &&
    grep -q 'WARNING: possible circular locking dependency detected' "$dir/err" &&
    [ "$(grep '^{' "$dir/err" | "$JQ" -r .kind)" = circular_dependency ]
check $? "... each named on stderr, the reports written there instead"
# The graph is written to a temporary file and renamed over PATH.<pid>:
# the link itself is replaced, its target untouched.
why="$(ls -l "$dir" | tr '\n' ' ')"
[ ! -L "$dir/g.$pid" ] && [ -f "$dir/g.$pid" ] &&
    [ "$(stat -c %a "$dir/g.$pid")" = 600 ] &&
    head -n 1 "$dir/g.$pid" | "$JQ" -e '.format == "ulockdep-graph"' >/dev/null
check $? "symlink at graph_path.<pid>: replaced by the graph (0600), not followed"

# A file already at PATH.<pid> (another run that had this pid): appended.
run_pre 'echo $p >$d/pid; echo "{\"old\":1}" >$d/r.$p; echo old >$d/log.$p' abba
why="status $status; r: $(head -c 200 "$dir/r.$pid"); log: $(head -n 2 "$dir/log.$pid")"
[ "$status" -eq 66 ] && [ "$(sed -n 1p "$dir/r.$pid")" = '{"old":1}' ] &&
    [ "$(grep -c '' "$dir/r.$pid")" -eq 2 ] &&
    [ "$(sed -n 2p "$dir/r.$pid" | "$JQ" -r .kind)" = circular_dependency ] &&
    [ "$(sed -n 1p "$dir/log.$pid")" = old ] &&
    grep -q 'possible circular locking dependency' "$dir/log.$pid"
check $? "existing json_path.<pid> and log_path.<pid>: appended, not truncated"

# New files: 0600, with the usual umask and with none.
for mask in 022 000; do
	run_pre "echo \$p >\$d/pid; umask $mask" abba
	modes=$(stat -c %a "$dir/r.$pid" "$dir/log.$pid" "$dir/g.$pid" 2>&1 | tr '\n' ' ')
	why="status $status; modes $modes"
	[ "$status" -eq 66 ] && [ "$modes" = "600 600 600 " ]
	check $? "umask $mask: json, log and graph files are mode 0600"
done

# O_CLOEXEC: after its report the program execs ls, which lists the
# descriptors it inherited: none is one of our files, nor a module the
# report's symbolization opened (the program, libc: libdw's own opens
# were not close-on-exec).
run_pre 'echo $p >$d/pid' exec ls -l /proc/self/fd/
leaked=$(grep -E " -> ($dir/(r|log|g)\.[0-9]|.*\.so(\.[0-9]+)*\$|.*/tests/preload/names\$)" "$dir/out")
why="status $status; leaked: $leaked"
[ "$status" -eq 0 ] && grep -q ' -> ' "$dir/out" && [ -z "$leaked" ] &&
    grep -q circular_dependency "$dir/r.$pid"
check $? "report files and symbolized modules are close-on-exec"

finish
