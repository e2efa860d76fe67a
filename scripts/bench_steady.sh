#!/usr/bin/env bash
# `scripts/bench steady [--rounds R] [--steps S]`: how steady lora's ViT training
# step is (the bench ViT of scripts/bench; lora-bench engine --no-sgemm).
#   1. One core busy with another process (`yes > /dev/null` beside the bench,
#      ended by its process id afterwards, also on Ctrl-C): the step at 1 and
#      at 2 threads, R rounds alternating, best of rounds. Target: 2 threads no
#      slower than 1.
#   2. The machine as it is: R rounds (at least 5) at 2 threads and at 1,
#      alternating; the round-to-round spread max/min - 1 of the rounds'
#      medians. Target: under 10%, on a quiet machine.
# Each round is a fresh process timing the median of S steps (default 20) after 2 warm-up steps.
# Each part prints the share of the cores other processes and the hypervisor
# (steal) took meanwhile: the spread is a quiet-machine figure only when both
# are small (other processes at most 10%, steal at most 2%; flagged otherwise).
# LORA_BENCH_BIN=PATH times that lora-bench binary (e.g. an older build, to compare);
# LORA_POOL_STATS=1 adds each round's worker-pool counters (regions, waits) on stderr.
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib/setup.sh"
cd "$ROOT"
rounds=5; steps=20
usage="usage: scripts/bench steady [--rounds R (at least 5)] [--steps S]"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --threads|--peers) echo "note: scripts/bench steady times lora alone at 1 and 2 threads; $1 $2 ignored" >&2; shift 2 ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
case "$rounds" in ''|*[!0-9]*) echo "error: --rounds '$rounds': give a whole number of rounds" >&2; exit 2 ;; esac
case "$steps" in ''|*[!0-9]*|0) echo "error: --steps '$steps': give a whole number of steps, at least 1" >&2; exit 2 ;; esac
quiet_rounds="$rounds"
if [ "$quiet_rounds" -lt 5 ]; then
    echo "note: the spread needs at least 5 rounds; the busy-core part runs $rounds, the spread 5" >&2
    quiet_rounds=5
fi
[ "$rounds" -ge 1 ] || rounds=1

bin="${LORA_BENCH_BIN:-.build/release/lora-bench}"
if [ -n "${LORA_BENCH_BIN:-}" ]; then
    test -x "$bin" || { echo "error: LORA_BENCH_BIN '$bin' is not an executable: give the path of a lora-bench binary" >&2; exit 2; }
elif [ "${LORA_BENCH_SKIP_BUILD:-0}" != 1 ]; then   # 1: use the lora-bench already built
    echo "==> building lora-bench (release)" >&2
    swift build -c release --product lora-bench 2>&1 | grep -E "error|warning: unre" >&2 || true
fi
test -x "$bin" || { echo "error: build failed" >&2; exit 1; }

tmp="$(mktemp -d)"
busy_pid=""
stop_busy() { if [ -n "$busy_pid" ]; then kill "$busy_pid" 2>/dev/null || true; wait "$busy_pid" 2>/dev/null || true; busy_pid=""; fi; }
trap 'stop_busy; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
step() {  # step THREADS: the round's median step in ms
    "$bin" engine --no-sgemm --threads "$1" --steps "$steps" | awk '/^vit_step_ms/ {print $NF}'
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU ticks (all cores): "steal busy total ours"; busy excludes idle, iowait and steal;
# ours: this script's reaped children (the bench rounds, yes).
cpu_ticks() {
    local ours; ours="$(sed 's/.*) //' /proc/$$/stat | awk '{print $14 + $15}')"
    awk -v ours="$ours" '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t - $5 - $6 - $9, t, ours}' /proc/stat
}
# others_since "TICKS": what the hypervisor (steal) and other processes took since then, in % of all cores.
others_since() {
    cpu_ticks | awk -v a="$1" 'BEGIN {split(a, o, " ")} {d = $3 - o[3]; if (d <= 0) d = 1
        printf "other processes %.0f%%, steal %.1f%% of the cores", 100 * (($2 - o[2]) - ($4 - o[4])) / d, 100 * ($1 - o[1]) / d}'
}
spread() { awk '{v[NR] = $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1} END {printf "%.1f", 100 * (hi / lo - 1)}' "$1"; }
fastest() { sort -g "$1" | head -n 1; }
all() { tr '\n' ' ' < "$1" | sed 's/ $//'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(load) at the start"
# 1. One core busy.
busy_ticks="$(cpu_ticks)"
yes > /dev/null &
busy_pid=$!
echo "==> one core busy (yes > /dev/null, pid $busy_pid): $rounds rounds at 1 and 2 threads" >&2
for r in $(seq 1 "$rounds"); do
    step 1 >> "$tmp/busy.1"
    step 2 >> "$tmp/busy.2"
done
busy_load="$(load)"
stop_busy
b1="$(fastest "$tmp/busy.1")"; b2="$(fastest "$tmp/busy.2")"
echo "one core busy (yes > /dev/null beside the bench; load $busy_load at its end; $(others_since "$busy_ticks")):"
echo "  1 thread:  best $b1 ms (rounds: $(all "$tmp/busy.1") ms)"
echo "  2 threads: best $b2 ms (rounds: $(all "$tmp/busy.2") ms)"
awk -v a="$b1" -v b="$b2" 'BEGIN {printf "  2 threads / 1 thread: %.3f: 2 threads %s 1 (target: no slower)\n", b / a, b <= a ? "no slower than" : "SLOWER than"}'

# 2. Round-to-round spread on the machine as it is.
echo "==> spread: $quiet_rounds rounds at 2 and 1 threads (load $(load))" >&2
start_load="$(load)"
quiet_ticks="$(cpu_ticks)"
for r in $(seq 1 "$quiet_rounds"); do
    step 2 >> "$tmp/quiet.2"
    step 1 >> "$tmp/quiet.1"
done
quiet_others="$(others_since "$quiet_ticks")"
echo "round-to-round spread (max/min - 1 of $quiet_rounds rounds' medians; load $start_load at the start, $(load) at the end; $quiet_others$(echo "$quiet_others" | awk '{o = $3 + 0; s = $5 + 0} o > 10 || s > 2 {printf ": NOT a quiet machine, not a quiet-machine figure"}')):"
for t in 2 1; do
    s="$(spread "$tmp/quiet.$t")"
    awk -v s="$s" -v t="$t" -v r="$(all "$tmp/quiet.$t")" 'BEGIN {
        verdict = ""; if (t == 2) verdict = (s + 0 < 10) ? "; under 10%: met" : "; under 10%: not met"
        printf "  %d thread%s: %s%% (rounds: %s ms)%s\n", t, (t > 1 ? "s" : ""), s, r, verdict }'
done
awk -v a="$b1" -v b="$b2" -v s="$(spread "$tmp/quiet.2")" 'BEGIN {
    printf "steady: with a busy core 2 threads / 1 thread %.3f (%s); spread at 2 threads %s%% (%s)\n", b / a, (b <= a ? "met" : "not met"), s, (s + 0 < 10 ? "met" : "not met") }'
