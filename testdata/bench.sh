#!/usr/bin/env bash
# Whole-binary benchmark: paramscope inspect on a DeepSeek-V3-scale
# checkpoint (testdata/bigckpt: ~92,000 tensors over 163 header-only shards,
# FP8 weights with F32 block scales), process start included.
#
#   bash testdata/bench.sh            # 20 timed runs
#   RUNS=50 bash testdata/bench.sh
#   ARGS="--format json" bash testdata/bench.sh
#
# The issue's target: under 40 ms wall time and under 80 MB peak memory.
# Wall time is taken from bash's EPOCHREALTIME (microseconds; /usr/bin/time's
# %e has only 10 ms resolution, too coarse for the target); peak memory is
# /usr/bin/time's %M (maximum resident set size) in separate runs, or is
# skipped when /usr/bin/time is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-20}
args=${ARGS:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "generating the checkpoint..."
wrote=$(go run ./testdata/bigckpt/cmd "$tmp/ckpt")
echo "$wrote"
echo "building paramscope..."
go build -o "$tmp/paramscope" ./cmd/paramscope

bin="$tmp/paramscope"
# One run to warm the page cache and check that it works at all.
# shellcheck disable=SC2086
"$bin" inspect $args "$tmp/ckpt" >/dev/null

: >"$tmp/wall"
for ((i = 0; i < runs; i++)); do
	start=$EPOCHREALTIME
	# shellcheck disable=SC2086
	"$bin" inspect $args "$tmp/ckpt" >/dev/null
	end=$EPOCHREALTIME
	# EPOCHREALTIME is seconds.microseconds; awk does the subtraction.
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", (e - s) * 1000 }' >>"$tmp/wall"
done

peak="n/a"
if [ -x /usr/bin/time ]; then
	: >"$tmp/rss"
	for ((i = 0; i < 5; i++)); do
		# shellcheck disable=SC2086
		/usr/bin/time -f '%e %M' -o "$tmp/time.out" "$bin" inspect $args "$tmp/ckpt" >/dev/null
		awk '{ print $2 }' "$tmp/time.out" >>"$tmp/rss"
	done
	peak=$(sort -n "$tmp/rss" | tail -n 1 | awk '{ printf "%.1f", $1 / 1024 }')
fi

sort -n "$tmp/wall" >"$tmp/wall.sorted"
median=$(awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }' "$tmp/wall.sorted")
min=$(head -n 1 "$tmp/wall.sorted")
max=$(tail -n 1 "$tmp/wall.sorted")

echo
# $wrote is "wrote N tensors in M shards to DIR".
held=${wrote#wrote }
echo "paramscope inspect ${args:+$args }DIR, where DIR holds ${held% to *}"
echo "  $runs timed runs after one warm-up"
echo "  wall time: median $median ms (min $min, max $max)"
echo "  peak RSS:  $peak MB (largest of 5 runs)"
echo "  target:    < 40 ms, < 80 MB"
verdict=$(awk -v m="$median" -v p="$peak" 'BEGIN { ok = (m < 40); if (p != "n/a") ok = ok && (p < 80); print (ok ? "met" : "missed") }')
echo "  target $verdict"
