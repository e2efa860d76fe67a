#!/usr/bin/env bash
# `scripts/bench all [--threads N] [--rounds R] [--peers LIST]`: every workload
# of scripts/bench in one run, then the targets of issue 14 (and issue 9's
# memory target), each met or not met:
#   engine at 1 thread and at 2 threads   ViT step ratio lora/best-peer <= 0.6 at each;
#                                         whole-step GFLOP/s at 1 thread >= 50% of the
#                                         sgemm peak measured in the same run
#   ensemble (M = 1, 4, 16) at N threads  M = 16 ratio lora/best-peer <= 0.5
#   evaluate at N threads                 inference throughput (reported, no target)
#   text at N threads                     MiniLM 4-member LoRA-Ensemble step ratio <= 0.7;
#                                         peak memory of a 16-member LoRA-Ensemble (automatic
#                                         member groups) / full fine-tuning <= 1.3
# N defaults to the core count. The text part skips the 16-members-at-once
# memory measurement (informative only, several minutes and ~8 GB); run
# `scripts/bench text` for it. Each part's full output is printed as it ends.
# Last line: `ratio lora/best-peer: X`, the worst of the four ratios.
here="$(cd "$(dirname "$0")" && pwd)"
threads="$(nproc)"; rounds="${ROUNDS:-3}"; peers="torch,torch2,jax"
usage="usage: scripts/bench all [--threads N] [--rounds R] [--peers torch,torch2,jax]"
while [ $# -gt 0 ]; do
    case "$1" in
        --threads) threads="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --peers) peers="$2"; shift 2 ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
started="$(date -u '+%Y-%m-%d %H:%M UTC')"; load0="$(cut -d' ' -f1-3 /proc/loadavg)"
part() {  # part FILE ARGS...: runs scripts/bench ARGS, shows and keeps its output
    local f="$1"; shift
    echo "===== scripts/bench $* --rounds $rounds --peers $peers"
    if LORA_BENCH_TEXT_ALL_AT_ONCE=0 "$here/bench" "$@" --rounds "$rounds" --peers "$peers" > "$tmp/$f"; then
        cat "$tmp/$f"
    else
        cat "$tmp/$f"
        echo "(scripts/bench $* failed: its targets are not measured)"
        echo "failed" > "$tmp/$f.failed"
    fi
    echo
}
part engine1 engine --threads 1
part engine2 engine --threads 2
part ensemble ensemble --threads "$threads"
part evaluate evaluate --threads "$threads"
part text text --threads "$threads"

# value FILE PATTERN: the number after PATTERN on the last matching line
value() { [ -f "$tmp/$1.failed" ] && return; grep -E "$2" "$tmp/$1" 2>/dev/null | tail -n 1 | sed -E "s|.*$2 *([0-9.]+).*|\1|"; }
vit1="$(value engine1 'ratio lora/best-peer:')"
vit2="$(value engine2 'ratio lora/best-peer:')"
ens="$(value ensemble 'ratio lora/best-peer:')"
text="$(value text 'ratio lora/best-peer:')"
eval="$(value evaluate 'ratio lora/best-peer:')"
share="$([ -f "$tmp/engine1.failed" ] || grep -h '^whole step' "$tmp/engine1" 2>/dev/null | sed -E 's/.*, ([0-9.]+)% of the sgemm peak.*/\1/')"
mem="$([ -f "$tmp/text.failed" ] || grep -h 'automatic groups.*/ full:' "$tmp/text" 2>/dev/null | sed -E 's/.*\/ full: ([0-9.]+).*/\1/')"

echo "===== targets (issue 14; issue 9's memory), scripts/bench all --threads $threads --rounds $rounds, $started"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
row() {  # row LABEL VALUE OP GOAL UNIT
    awk -v l="$1" -v v="$2" -v op="$3" -v g="$4" -v u="$5" 'BEGIN {
        if (v == "") { printf "| %-48s | %12s | %-8s | %-12s |\n", l, "n/a", op " " g u, "not measured"; exit }
        met = (op == "<=") ? (v + 0 <= g + 0) : (v + 0 >= g + 0)
        printf "| %-48s | %12s | %-8s | %-12s |\n", l, v u, op " " g u, met ? "met" : "not met" }'
}
printf "| %-48s | %12s | %-8s | %-12s |\n" "target" "measured" "goal" "verdict"
echo "|--------------------------------------------------|--------------|----------|--------------|"
row "ViT step, 1 thread: lora/best peer" "$vit1" "<=" 0.6 ""
row "ViT step, 2 threads: lora/best peer" "$vit2" "<=" 0.6 ""
row "LoRA-Ensemble M = 16, $threads threads: lora/best peer" "$ens" "<=" 0.5 ""
row "MiniLM 4-member LoRA-Ens step, $threads thr: lora/best" "$text" "<=" 0.7 ""
row "whole ViT step, 1 thread: share of sgemm peak" "$share" ">=" 50 "%"
row "MiniLM peak memory, 16 members / full fine-tune" "$mem" "<=" 1.3 ""
printf "| %-48s | %12s | %-8s | %-12s |\n" "evaluate throughput, $threads thr: lora/best (time)" "${eval:-n/a}" "-" "no target"
worst="$(printf '%s\n' "$vit1" "$vit2" "$ens" "$text" | awk 'NF && $1 + 0 > w {w = $1 + 0} END {if (w > 0) printf "%.3f", w}')"
if [ -z "$vit1" ] || [ -z "$vit2" ] || [ -z "$ens" ] || [ -z "$text" ]; then
    echo "(some ratios were not measured: the worst ratio below is over those that were)"
fi
echo "ratio lora/best-peer: ${worst:-n/a}"
