#!/usr/bin/env bash
# scripts/bench scale [--rounds R]: how lora's MPI scale-out pays on this
# machine, and a model of it on more machines.
#
# Workload (scripts/bench.d/scale.lora): a ViT on the embedded 8x8 digits
# (patch 2 = 17 tokens, dim 64, depth 4, 4 heads), batch 32, 512 samples,
# 2 timed epochs (32 steps) after one warm-up epoch:
#   lora  an 8-member LoRA-Ensemble (rank 8 on q, k, v, o of every layer), frozen backbone
#   full  the single ViT, every weight trained (data-parallel is its only split)
# Runs: 1 rank with 1 thread, 1 rank with 2 threads (the machine's cores), and
# 2 ranks with 1 thread each (mpirun -np 2 --bind-to none), member- and
# data-parallel. Each configuration runs ROUNDS times; the fastest is kept (the
# machine is shared). Prints seconds per step, speed-up against 1 rank with the
# same total threads and against 1 rank x 1 thread, payload bytes per step of
# rank 0 (mpi_bytes), the load average, then the model
# (scripts/bench.d/scale_model.py) for 1 ... 64 ranks.
source "$(dirname "$0")/lib/setup.sh"
need_packages "${BUILD_PACKAGES[@]}" openmpi-bin
cd "$ROOT"
rounds="${ROUNDS:-2}"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "usage: scripts/bench scale [--rounds R]" >&2; exit 2 ;;
    esac
done
# LORA_BIN: a built lora to time (skips the build).
lora="${LORA_BIN:-}"
if [ -z "$lora" ]; then
    swift build -c release --product lora 2>&1 | tail -1
    lora="$ROOT/.build/release/lora"
fi
script="$ROOT/scripts/bench.d/scale.lora"
members=8; samples=512; epochs=2
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none)

# best RANKS THREADS KIND PARALLEL: the fastest of `rounds` runs, as its key=value line.
best() {
    local ranks="$1" threads="$2" kind="$3" parallel="$4" line bestline="" bests=""
    for _ in $(seq "$rounds"); do
        if [ "$ranks" = 1 ]; then
            line="$("$lora" -q --threads "$threads" "$script" "$kind" "$parallel" "$members" "$samples" "$epochs")"
        else
            line="$("${mpirun[@]}" -np "$ranks" "$lora" -q --threads "$threads" "$script" "$kind" "$parallel" "$members" "$samples" "$epochs")"
        fi
        local s; s="$(echo "$line" | sed -n 's/.*step_s=\([^ ]*\).*/\1/p')"
        if [ -z "$bests" ] || python3 -c "import sys; sys.exit(0 if $s < $bests else 1)"; then bests="$s"; bestline="$line"; fi
    done
    echo "$bestline load=$(cut -d' ' -f1 /proc/loadavg)"
}

echo "==> scale: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(mpirun --version | head -1)"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for kind in lora full; do
    best 1 1 "$kind" data | tee -a "$results"
    best 1 2 "$kind" data | tee -a "$results"
    [ "$kind" = lora ] && best 2 1 "$kind" members | tee -a "$results"
    best 2 1 "$kind" data | tee -a "$results"
done
python3 "$ROOT/scripts/bench.d/scale_model.py" "$results"
