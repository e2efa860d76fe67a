#!/usr/bin/env bash
# `scripts/bench text` (called by scripts/bench with its parsed options):
#   bench_text.sh THREADS ROUNDS PEERS PYTHON_TORCH2 PYTHON_JAX
# all-MiniLM-L6-v2 (real weights) on 16 sequences of 128 word pieces in lora
# (lora-bench text) and in the peers (scripts/bench_text_peer.py, same weights,
# same token ids, same work), rounds alternating, best median of each kept.
# Peer thread configurations: torch 1.13 runs with OPENBLAS_NUM_THREADS = N and
# = 1 (its OpenMP and OpenBLAS pools otherwise oversubscribe), the fastest
# kept; torch 2 and JAX run at N threads. Then lora's peak RSS of one
# 16-member LoRA-Ensemble step vs one full fine-tuning step (own processes).
source "$(dirname "$0")/lib/setup.sh"
cd "$ROOT"
threads="$1"; rounds="$2"; peers="$3"; py_torch2="$4"; py_jax="$5"
has_peer() { case ",$peers," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
model="${LORA_MODELS:-$HOME/.cache/lora/models}/minilm"
[ -f "$model/model.safetensors" ] || "$ROOT/scripts/get-model" minilm >&2

echo "==> building lora-bench (release)" >&2
swift build -c release --product lora-bench 2>&1 | grep -E "error|warning: unre" >&2 || true
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
    engine=torch; [ -n "$py_torch2" ] && peer "$py_torch2" > "$tmp/torch2.$r"
    engine=jax; [ -n "$py_jax" ] && peer "$py_jax" > "$tmp/jax.$r"
done
echo "==> peak memory (lora)" >&2
for k in lora16 full; do
    "$bench" textmem $k --model "$model" --threads "$threads" > "$tmp/mem.$k" || echo "warning: lora-bench textmem $k failed" >&2
done

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
mem() { val "$tmp/mem.$1" "textmem_$1 $2"; }
for k in lora16 full; do
    echo "peak RSS, $( [ $k = lora16 ] && echo "16-member LoRA-Ensemble step" || echo "full fine-tuning step    " ): $(mem $k peak_rss_mib) MiB (before the step $(mem $k rss_before_step_mib) MiB; parameters $(mem $k parameters_mib) MiB, trainable $(mem $k trainable_mib) MiB, their gradients + AdamW state $(mem $k gradients_and_adamw_mib) MiB)"
done
awk -v a="$(mem lora16 peak_rss_mib)" -v b="$(mem full peak_rss_mib)" 'BEGIN {printf "peak memory lora16/full: %.2f\n", a / b}'
key="text_lora4_step_ms threads=$threads"
l="$(best lora "$key")"
pt="$(for e in torch torch2; do best "$e" "$key"; done | awk 'NF && (b=="" || $1+0<b+0) {b=$1} END {print b}')"
bp="$(for e in torch torch2 jax; do best "$e" "$key"; done | awk 'NF && (b=="" || $1+0<b+0) {b=$1} END {print b}')"
[ -n "$pt" ] && awk -v l="$l" -v p="$pt" 'BEGIN {printf "ratio lora/pytorch: %.3f\n", l / p}'
[ -n "$bp" ] && awk -v l="$l" -v p="$bp" 'BEGIN {printf "ratio lora/best-peer: %.3f\n", l / p}'
true
