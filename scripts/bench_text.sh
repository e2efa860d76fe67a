#!/usr/bin/env bash
# `scripts/bench text` (called by scripts/bench with its parsed options):
#   bench_text.sh THREADS ROUNDS PEERS PYTHON_TORCH2 PYTHON_JAX
# all-MiniLM-L6-v2 (real weights) on 16 sequences of 128 word pieces in lora
# (lora-bench text) and in the peers (scripts/bench_text_peer.py, same weights,
# same token ids, same work), rounds alternating, best median of each kept.
# Peer thread configurations, the fastest per measurement kept: torch 1.13
# with OPENBLAS_NUM_THREADS = N and = 1 (its OpenMP and OpenBLAS pools
# otherwise oversubscribe); torch 2 with MKL_NUM_THREADS = N and = 1; JAX bound
# to N cores with --xla_cpu_multi_thread_eigen true and false, and with XLA's
# oneDNN products. LORA_BENCH_TEXT_ALL_AT_ONCE=0 skips the 16-members-at-once
# memory measurement (scripts/bench all does). Then lora's peak RSS of a
# 16-member LoRA-Ensemble step (all members at once, and in the automatic
# member groups under a memory budget) vs a full fine-tuning step (own processes).
source "$(dirname "$0")/lib/setup.sh"
cd "$ROOT"
threads="$1"; rounds="$2"; peers="$3"; py_torch2="$4"; py_jax="$5"
has_peer() { case ",$peers," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
model="${LORA_MODELS:-$HOME/.cache/lora/models}/minilm"
[ -f "$model/model.safetensors" ] || "$ROOT/scripts/get-model" minilm >&2

if [ "${LORA_BENCH_SKIP_BUILD:-0}" != 1 ]; then   # 1: use the lora-bench already built
    echo "==> building lora-bench (release)" >&2
    swift build -c release --product lora-bench 2>&1 | grep -E "error|warning: unre" >&2 || true
fi
test -x .build/release/lora-bench || { echo "error: build failed" >&2; exit 1; }
bench=.build/release/lora-bench

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$bench" textids "$tmp/ids" --model "$model"
peer() { "$@" scripts/bench_text_peer.py "$engine" --model "$model" --ids "$tmp/ids" --threads "$threads"; }
core=""
for r in $(seq 1 "$rounds"); do
    echo "==> round $r of $rounds" >&2
    "$bench" text --threads "$threads" --model "$model" > "$tmp/lora.$r"
    core="$(awk '/^blas_core/ {print $2; exit}' "$tmp/lora.$r")"
    if has_peer torch; then
        engine=torch
        for ob in $( [ "$threads" -gt 1 ] && echo "$threads 1" || echo 1 ); do
            OPENBLAS_CORETYPE="$core" OPENBLAS_NUM_THREADS="$ob" peer /usr/bin/python3 > "$tmp/torch.$r.ob$ob"
        done
    fi
    engine=torch
    if [ -n "$py_torch2" ]; then
        for mkl in $( [ "$threads" -gt 1 ] && echo "$threads 1" || echo 1 ); do
            OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$mkl" peer "$py_torch2" > "$tmp/torch2.$r.mkl$mkl"
        done
    fi
    engine=jax
    if [ -n "$py_jax" ]; then
        for flags in --xla_cpu_multi_thread_eigen=true --xla_cpu_multi_thread_eigen=false --xla_cpu_use_onednn=true; do
            XLA_FLAGS="$flags" peer "$py_jax" > "$tmp/jax.$r.${flags##*_}"
        done
    fi
done
# Peak memory, each configuration in its own process: one full fine-tuning
# step; a 16-member LoRA-Ensemble step with all members at once; and the
# configuration the target is for: the trainer's automatic member grouping
# under a memory budget of LORA_MEMORY_LIMIT=$mem_limit (half of it for
# activations), which runs the members in groups (see MemberGroupPlan).
mem_limit="${LORA_BENCH_MEMORY_LIMIT:-1G}"
echo "==> peak memory and step time (lora; a few minutes: the all-at-once step needs about 7 GB)" >&2
"$bench" textmem full --model "$model" --threads "$threads" --steps 3 > "$tmp/mem.full" || echo "warning: lora-bench textmem full failed" >&2
if [ "${LORA_BENCH_TEXT_ALL_AT_ONCE:-1}" != 0 ]; then
    "$bench" textmem lora16 --model "$model" --threads "$threads" --steps 3 --members-at-once 16 > "$tmp/mem.all" || echo "warning: lora-bench textmem lora16 (all at once) failed" >&2
else
    echo "textmem_lora16 grouping skipped (LORA_BENCH_TEXT_ALL_AT_ONCE=0; run scripts/bench text for it)" > "$tmp/mem.all"
fi
LORA_MEMORY_LIMIT="$mem_limit" "$bench" textmem lora16 --model "$model" --threads "$threads" --steps 3 > "$tmp/mem.grouped" || echo "warning: lora-bench textmem lora16 (grouped) failed" >&2

# best ENGINE KEY: the fastest value of KEY over the rounds (and configurations)
best() { cat "$tmp"/$1.* 2>/dev/null | awk -v k="$2" '{v=$NF; $NF=""; sub(/ $/, ""); if ($0==k && (b=="" || v+0<b+0)) b=v} END {print b}'; }
val() { awk -v k="$2" '{v=$NF; $NF=""; sub(/ $/, ""); if ($0==k) {print v; exit}}' "$1"; }
name() { case "$1" in torch) echo "pytorch-1.13" ;; torch2) echo "pytorch-2" ;; jax) echo "jax" ;; esac; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "model: all-MiniLM-L6-v2 ($model), 16 sequences x 128 word pieces"
echo "threads: $threads (every engine), rounds: $rounds; lora OpenBLAS core $core, tokenization $(best lora text_tokenize_ms) ms (in lora's LoRA step only)"
for e in torch torch2 jax; do
    f="$(ls "$tmp"/$e.1* 2>/dev/null | head -n 1)"; [ -n "$f" ] || continue
    echo "peer $(name $e): $(grep -h '^peer_version' "$f" | cut -d' ' -f2-); threads: $(grep -h '^peer_threads' "$f" | cut -d' ' -f2-); attention: $(grep -h '^peer_attention' "$f" | cut -d' ' -f2- || echo 'jitted softmax(q k^T / sqrt(d) + mask) v')"
done
# The configuration (file suffix: ob = OPENBLAS_NUM_THREADS, mkl = MKL_NUM_THREADS, XLA flag) that won the LoRA-Ensemble step.
for e in torch torch2 jax; do
    w="$(for f in "$tmp"/$e.*; do [ -f "$f" ] || continue; v="$(val "$f" "text_lora4_step_ms threads=$threads")"; [ -n "$v" ] && echo "$v ${f##*/}"; done | sort -g | head -n 1)"
    [ -n "$w" ] && echo "$(name $e) fastest configuration (LoRA-Ensemble step): ${w#* }" | sed -E 's/ [a-z0-9]+\.[0-9]+\.?/ /; s/ob([0-9]+)$/OPENBLAS_NUM_THREADS=\1/; s/mkl([0-9]+)$/MKL_NUM_THREADS=\1/; s/ eigen=/ --xla_cpu_multi_thread_eigen=/; s/ onednn=/ --xla_cpu_use_onednn=/; s/: $/: (one configuration)/'
done
# Every round's medians, so the spread is visible (the summary keeps the fastest).
for f in "$tmp"/lora.* "$tmp"/torch.* "$tmp"/torch2.* "$tmp"/jax.*; do
    [ -f "$f" ] || continue
    grep -hE '^text_(forward|head_backward|lora4_step)_ms' "$f" | sed "s|^|$(basename "$f"): |"
done
for w in "forward|text_forward_ms" "forward + backward (frozen backbone, head grad)|text_head_backward_ms" "4-member LoRA-Ensemble step|text_lora4_step_ms"; do
    label="${w%%|*}"; key="${w##*|} threads=$threads"
    out="$(printf '%-48s lora %9.1f ms' "$label:" "$(best lora "$key")")"
    for e in torch torch2 jax; do
        v="$(best "$e" "$key")"; [ -n "$v" ] && out="$out$(printf '  %s %9.1f ms' "$(name $e)" "$v")"
    done
    echo "$out"
done
mem() { val "$tmp/mem.$1" "textmem_$2 $3"; }
echo "peak memory: VmHWM (peak resident set of the process, reset after the model is loaded), over 3 steps (AdamW state included)"
for c in "full|full|full fine-tuning step" "all|lora16|16-member LoRA-Ensemble, all at once" "grouped|lora16|16-member LoRA-Ensemble, automatic groups (LORA_MEMORY_LIMIT=$mem_limit)"; do
    f="${c%%|*}"; rest="${c#*|}"; k="${rest%%|*}"; label="${rest#*|}"
    if [ -z "$(mem $f $k peak_rss_mib)" ]; then
        echo "  $label: $(grep -h "^textmem_$k grouping " "$tmp/mem.$f" | cut -d' ' -f3- || echo 'not measured (the run failed)')"
        continue
    fi
    echo "  $label: peak $(mem $f $k peak_rss_mib) MiB, step $(mem $f $k step_ms) ms; $(grep -h "^textmem_$k grouping " "$tmp/mem.$f" | cut -d' ' -f3-) (before the step $(mem $f $k rss_before_step_mib) MiB; parameters $(mem $f $k parameters_mib) MiB, trainable $(mem $f $k trainable_mib) MiB, their gradients + AdamW state $(mem $f $k gradients_and_adamw_mib) MiB)"
done
awk -v a="$(mem all lora16 peak_rss_mib)" -v b="$(mem full full peak_rss_mib)" 'BEGIN {if (a > 0 && b > 0) printf "peak memory lora16 all at once / full: %.2f\n", a / b}'
awk -v a="$(mem all lora16 step_ms)" -v g="$(mem grouped lora16 step_ms)" 'BEGIN {if (a > 0) printf "step time of grouping: %.2fx the all-at-once step\n", g / a}'
awk -v a="$(mem grouped lora16 peak_rss_mib)" -v b="$(mem full full peak_rss_mib)" 'BEGIN {if (b > 0) printf "peak memory lora16 (automatic groups, LORA_MEMORY_LIMIT=%s) / full: %.2f (target <= 1.3)\n", "'"$mem_limit"'", a / b}'
key="text_lora4_step_ms threads=$threads"
l="$(best lora "$key")"
pt="$(for e in torch torch2; do best "$e" "$key"; done | awk 'NF && (b=="" || $1+0<b+0) {b=$1} END {print b}')"
bp="$(for e in torch torch2 jax; do best "$e" "$key"; done | awk 'NF && (b=="" || $1+0<b+0) {b=$1} END {print b}')"
[ -n "$pt" ] && awk -v l="$l" -v p="$pt" 'BEGIN {printf "ratio lora/pytorch: %.3f\n", l / p}'
[ -n "$bp" ] && awk -v l="$l" -v p="$bp" 'BEGIN {printf "ratio lora/best-peer: %.3f\n", l / p}'
true
