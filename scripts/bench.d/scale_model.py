#!/usr/bin/env python3
"""Report of scripts/bench scale: the measured runs, then a model of the
speed-up on N machines (one rank per machine).

Model (per training step; one rank per machine, each rank as fast as the
measured one-rank run with one thread, T1):
  member-parallel  T(N) = T1 * ceil(M/N)/M                      compute of its members
                        + 2 * (ceil(log2 N) * a)                 two header rounds
                        + 2 * (N-1) * a + (N-1)/N * (L + G) / b  ring all-gathers of the logits
                                                                 (L = M*B*C*4 bytes) and of the
                                                                 per-member squared gradient norms
                                                                 (G = tensors*M*8 bytes)
  data-parallel    T(N) = T1 / N + T_rest                       its rows of the batch; T_rest: the
                                                                 optimizer step every rank repeats
                        + ceil(log2 N) * a                       header round
                        + 2 * (N-1) * a + 2 * (N-1)/N * S / b    ring all-reduce of S = 4 * (P + 3)
                                                                 bytes (P trainable parameters)
a = latency per message, b = bandwidth per link. Not modelled: smaller
per-rank batches running gemms less efficiently (data-parallel, optimistic),
stragglers, and the evaluation's all-gather (once per evaluate, not per step).
"""
import math
import sys

NETWORKS = [("10 GbE (a = 30 us, b = 1.1 GB/s)", 30e-6, 1.1e9),
            ("100 Gb InfiniBand (a = 2 us, b = 11 GB/s)", 2e-6, 11e9)]
BATCH, CLASSES, DEPTH = 32, 10, 4
TENSORS = DEPTH * 4 * 2 + 2          # A and B of q, k, v, o per layer, heads' weight and bias


def parse(path):
    runs = []
    for line in open(path):
        kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
        if "step_s" in kv:
            runs.append(kv)
    return runs


def find(runs, kind, ranks, threads, parallel=None):
    for r in runs:
        if (r["kind"], int(r["ranks"]), int(r["threads"])) == (kind, ranks, threads) and \
                (parallel is None or r["parallel"] == parallel):
            return r
    return None


def main():
    runs = parse(sys.argv[1])
    print()
    print("measured (seconds per step; speed-up = 1-rank time / this time):")
    print(f"{'workload':<34} {'ranks x threads':>15} {'s/step':>8} {'vs 1x1':>7} {'vs 1x2':>7} {'bytes/step':>11} {'load':>5}")
    for kind, name in [("lora", "LoRA-Ensemble M=8 (adapters+heads)"), ("full", "single ViT (all weights)")]:
        one1, one2 = find(runs, kind, 1, 1), find(runs, kind, 1, 2)
        for r in [x for x in runs if x["kind"] == kind]:
            s = float(r["step_s"])
            label = name if int(r["ranks"]) == 1 else f"  {r['parallel']}-parallel"
            v1 = f"{float(one1['step_s']) / s:.2f}x" if one1 else "-"
            v2 = f"{float(one2['step_s']) / s:.2f}x" if one2 else "-"
            print(f"{label:<34} {r['ranks'] + ' x ' + r['threads']:>15} {s:>8.4f} {v1:>7} {v2:>7} {int(r['bytes_per_step']):>11,} {r['load']:>5}")
    lora, full = find(runs, "lora", 1, 1), find(runs, "full", 1, 1)
    if not lora or not full:
        return
    m = int(lora["members"])
    t1 = float(lora["step_s"])
    p_lora, p_full = int(lora["trainable"]), int(full["trainable"])
    t1_full = float(full["step_s"])
    for title, a, b in NETWORKS:
        print()
        print(f"model, {title}, one rank per machine as fast as 1 rank x 1 thread here:")
        print(f"{'N':>4} {'members (LoRA M=' + str(m) + ')':>22} {'data (LoRA)':>12} {'data (full ViT)':>16} {'bytes/step members':>19} {'data LoRA':>10} {'data full':>10}")
        for n in [1, 2, 4, 8, 16, 32, 64]:
            hdr = math.ceil(math.log2(n)) * a if n > 1 else 0.0
            logits, norms = m * BATCH * CLASSES * 4, TENSORS * m * 8
            mem = None
            if n <= m:
                comm = 0.0 if n == 1 else 2 * hdr + 2 * (n - 1) * a + (n - 1) / n * (logits + norms) / b
                mem = t1 / (t1 * math.ceil(m / n) / m + comm)

            def data(t, p):
                s = 4 * (p + 3)
                comm = 0.0 if n == 1 else hdr + 2 * (n - 1) * a + 2 * (n - 1) / n * s / b
                return t / (t / n + comm), s
            dl, sl = data(t1, p_lora)
            df, sf = data(t1_full, p_full)
            ms = f"{mem:.2f}x" if mem else "(N > M)"
            mb = f"{int((n - 1) / n * (logits + norms)):,}" if n > 1 and n <= m else "-"
            print(f"{n:>4} {ms:>22} {dl:>11.2f}x {df:>15.2f}x {mb:>19} {sl if n > 1 else 0:>10,} {sf if n > 1 else 0:>10,}")
    print()
    print("bytes/step in the model: what each rank receives in the all-gathers (members) and the all-reduce buffer (data).")


if __name__ == "__main__":
    main()
