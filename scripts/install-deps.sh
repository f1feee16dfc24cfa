#!/bin/sh
# Install what building and testing ulockdep needs on Debian 12 (as root).
# Only the packages that are missing are installed.  libdw-dev gives
# report frames their file:line; libc6-dbg names libc's frames
# (start_thread, clone3), whose library is stripped; libiberty-dev
# demangles C++ names.  The soak
# (tests/real/soak.sh) runs pigz, xz, zstd, sort, python3 and sqlite3 and
# builds a C++ program and one linked to libsqlite3.
set -e
pkgs="build-essential autoconf automake libtool pkg-config liburcu-dev
libunwind-dev libjemalloc-dev jq valgrind libdw-dev libc6-dbg libiberty-dev
python3-jsonschema graphviz
pigz xz-utils zstd sqlite3 libsqlite3-dev python3 g++"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
