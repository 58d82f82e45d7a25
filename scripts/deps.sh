#!/usr/bin/env bash
# Make sure the build tools are present; install them with apt-get when
# they are missing and we may (root on Debian/Ubuntu). Quiet when all is there.
need=()
for tool in cc make ld objcopy ar pkg-config; do
	command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
[ ${#need[@]} -eq 0 ] && exit 0

echo "mmkit: missing build tools: ${need[*]}" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc make binutils pkg-config >&2 && exit 0
fi
echo "mmkit: please install a C compiler, make and binutils (Debian: apt-get install gcc make binutils)" >&2
exit 1
