#!/bin/sh
# Install what building and testing ulockdep needs on Debian 12 (as root).
# Only the packages that are missing are installed.
set -e
pkgs="build-essential autoconf automake libtool pkg-config liburcu-dev
libunwind-dev libjemalloc-dev jq valgrind python3-jsonschema"
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
