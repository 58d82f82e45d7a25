#!/usr/bin/env bash
# Install the peer allocators bench/bench_kmalloc.c compares kmalloc with:
# jemalloc, mimalloc and tcmalloc (glibc malloc is always there). Uses
# apt-get when a library is missing and we may (root on Debian/Ubuntu);
# otherwise says what is missing. Never fails: the benchmark runs with
# whatever peers it finds and names the missing ones. Quiet when all is there.
#
#   soname (what the benchmark dlopen()s)   Debian package
libs=(libjemalloc.so.2 libmimalloc.so.2 libtcmalloc_minimal.so.4)
pkgs=(libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4)

have_lib() {
	ldconfig -p 2>/dev/null | grep -q "^[[:space:]]*$1 " && return 0
	local d
	for d in /lib /usr/lib /lib64 /usr/lib64 /usr/local/lib \
		 /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu; do
		[ -e "$d/$1" ] && return 0
	done
	return 1
}

missing() {
	local i
	for i in "${!libs[@]}"; do
		have_lib "${libs[$i]}" || echo "${pkgs[$i]}"
	done
}

mapfile -t need < <(missing)
[ ${#need[@]} -eq 0 ] && exit 0

echo "mmkit bench: missing peer allocators: ${need[*]}" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	apt-get update -qq >&2
	# One at a time, so that a package this release lacks does not stop the others.
	for p in "${need[@]}"; do
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >&2 ||
			echo "mmkit bench: could not install $p" >&2
	done
	mapfile -t need < <(missing)
	[ ${#need[@]} -eq 0 ] && exit 0
	echo "mmkit bench: still missing: ${need[*]}; the benchmark runs without them" >&2
else
	echo "mmkit bench: as root on Debian/Ubuntu: apt-get install ${need[*]};" \
	     "the benchmark runs without them meanwhile" >&2
fi
exit 0
