#!/usr/bin/env bash
# Build mmkit twice (plain, and with ASan+UBSan) and run every test program
# in both builds. Prints one line per test and closes with
# "N passed, N failed". Exit status 0 only if all passed.
set -u
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
pass=0
fail=0
failed=()

# ASan: mmkit's later issues handle SIGSEGV themselves (handle_segv=0).
export ASAN_OPTIONS="handle_segv=0:detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

for variant in plain san; do
	base=${MMK_BUILD_DIR:-build}
	if [ $variant = san ]; then dir=$base-san; flags="SAN=1"; else dir=$base; flags=""; fi
	flags="$flags BUILD=$dir"
	export MMKIT_BIN="$dir/bin/mmkit"
	echo "# building ($variant)"
	if ! make -s -j"$jobs" $flags all >"$dir.build.log" 2>&1; then
		cat "$dir.build.log"
		echo "build ($variant) failed"
		echo "0 passed, 1 failed"
		exit 1
	fi
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		name="$variant/$(basename "$t")"
		log="$dir/$(basename "$t").log"
		start=$(date +%s)
		if timeout 600 "$t" >"$log" 2>&1; then
			pass=$((pass + 1))
			echo "ok - $name ($(( $(date +%s) - start ))s)"
		else
			rc=$?
			fail=$((fail + 1))
			failed+=("$name")
			echo "not ok - $name (exit $rc)"
			sed 's/^/    /' "$log" | tail -40
		fi
	done
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "# failed: ${failed[*]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
