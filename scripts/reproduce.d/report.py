#!/usr/bin/env python3
"""Writes the reproduction report (markdown) from the ROW and MEM lines that
scripts/reproduce collected. Standard library only; the file is written
atomically (temporary file + rename)."""
import argparse
import datetime
import os
import statistics

NAMES = {
    "single": "single network", "single_lora": "single + LoRA", "explicit": "explicit ensemble",
    "mc_dropout": "MC dropout", "snapshot": "snapshot ensemble", "batch_ensemble": "BatchEnsemble",
    "lora_ensemble": "LoRA-Ensemble",
}
FIELDS = ["accuracy", "nll", "ece", "brier", "auroc_mi", "auroc_maxp", "disagreement",
          "params", "trainable", "train_time", "temperature", "bytes"]

ap = argparse.ArgumentParser()
for a in ["rows", "out", "mode", "commit", "seconds", "pretrain", "data", "cores", "settings", "pre", "fine"]:
    ap.add_argument("--" + a, required=True)
o = ap.parse_args()

rows, mem = {}, {}
for line in open(o.rows):
    p = line.split()
    if p[0] == "ROW":
        method, seed, state = p[1], int(p[2]), p[3]
        rows.setdefault((method, state), []).append(dict(zip(FIELDS, map(float, p[4:4 + len(FIELDS)]))))
    elif p[0] == "MEM":
        mem.setdefault(p[1], []).append(int(p[3]) / 1024.0)   # KiB -> MiB
methods = [m for m in NAMES if (m, "before") in rows]
seeds = max((len(rows[(m, "before")]) for m in methods), default=0)
baseline = statistics.mean(mem.get("none", [0.0]))


def agg(method, state, field):
    v = [r[field] for r in rows[(method, state)]]
    return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)


def pm(method, state, field, d=4):
    m, s = agg(method, state, field)
    return f"{m:.{d}f} ± {s:.{d}f}"


def table(state):
    head = "| method | seeds | accuracy | NLL | ECE | Brier | OOD AUROC (MI) | OOD AUROC (max p) | disagreement |"
    if state == "after":
        head = "| method | seeds | T | accuracy | NLL | ECE | Brier | OOD AUROC (MI) | OOD AUROC (max p) | disagreement |"
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for m in methods:
        cells = [NAMES[m], str(len(rows[(m, state)]))]
        if state == "after":
            cells.append(pm(m, state, "temperature", 3))
        cells += [pm(m, state, f) for f in ["accuracy", "nll", "ece", "brier", "auroc_mi", "auroc_maxp", "disagreement"]]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def cost_table():
    out = ["| method | parameters | trainable | trainable share | parameters + AdamW state (MiB) | train time (s) | peak memory (MiB) | above data + backbone (MiB) |",
           "|---|---|---|---|---|---|---|---|"]
    for m in methods:
        params, _ = agg(m, "before", "params")
        train, _ = agg(m, "before", "trainable")
        peak = statistics.mean(mem.get(m, [0.0]))
        state_mib = agg(m, "before", "bytes")[0] / 2 ** 20
        out.append(f"| {NAMES[m]} | {int(params):,} | {int(train):,} | {100 * train / params:.1f} % | {state_mib:.2f} | "
                   f"{pm(m, 'before', 'train_time', 1)} | {peak:.0f} | {peak - baseline:+.0f} |")
    return "\n".join(out)


def findings():
    lines = []
    if "lora_ensemble" not in methods or "explicit" not in methods:
        return ["(LoRA-Ensemble and the explicit ensemble were not both run.)"]
    L, E = "lora_ensemble", "explicit"
    for state, what in [("before", "before temperature scaling"), ("after", "after temperature scaling")]:
        la, ls = agg(L, state, "accuracy"); ea, es = agg(E, state, "accuracy")
        lc, _ = agg(L, state, "ece"); ec, _ = agg(E, state, "ece")
        ln, _ = agg(L, state, "nll"); en, _ = agg(E, state, "nll")
        lm, _ = agg(L, state, "auroc_mi"); em, _ = agg(E, state, "auroc_mi")
        acc = ("at least" if la >= ea else ("within one standard deviation of" if ea - la <= max(ls, es) else "below"))
        lines.append(f"- {what.capitalize()}: LoRA-Ensemble accuracy {la:.4f} is {acc} the explicit ensemble's {ea:.4f}; "
                     f"ECE {lc:.4f} vs {ec:.4f} ({'better' if lc < ec else 'worse'}), NLL {ln:.4f} vs {en:.4f} "
                     f"({'better' if ln < en else 'worse'}); OOD AUROC by mutual information {lm:.4f} vs {em:.4f}.")
    lp, _ = agg(L, "before", "trainable"); ep, _ = agg(E, "before", "trainable")
    lt, _ = agg(L, "before", "params"); et, _ = agg(E, "before", "params")
    lines.append(f"- Trainable parameters: LoRA-Ensemble {int(lp):,} of {int(lt):,}; explicit ensemble {int(ep):,} of {int(et):,} "
                 f"({100 * lp / ep:.1f} % of the explicit ensemble's).")
    lm_, em_ = statistics.mean(mem.get(L, [0])), statistics.mean(mem.get(E, [0]))
    lines.append(f"- Peak memory of the process: LoRA-Ensemble {lm_:.0f} MiB, explicit ensemble {em_:.0f} MiB "
                 f"(data and backbone alone: {baseline:.0f} MiB).")
    t, _ = agg(L, "after", "temperature")
    lines.append(f"- Temperature fitted for the LoRA-Ensemble: T = {t:.3f} "
                 f"({'T < 1: the ensemble was under-confident' if t < 1 else 'T > 1: the ensemble was over-confident'}).")
    return lines


pre = [l for l in open(o.pretrain) if l.startswith("PRETRAIN")]
pre_line = ""
if pre:
    p = pre[-1].split()
    pre_line = f"Backbone on the test images of classes 0-4: accuracy {float(p[1]):.4f}, NLL {float(p[2]):.4f}; pre-training took {float(p[3]):.0f} s (not counted below); {int(p[4]):,} parameters."
data = open(o.data).read().split()
data_line = f"{data[1]} training, {data[2]} validation, {data[3]} test and {data[4]} out-of-distribution images." if len(data) == 5 else ""
mins = int(o.seconds) / 60

doc = f"""# Reproduction: LoRA-Ensemble against its baselines on Fashion-MNIST

{"**Quick run** (tiny sizes, a smoke test of the pipeline; the numbers mean nothing)." if o.mode == "quick" else ""}
Written by `scripts/reproduce{' --quick' if o.mode == 'quick' else ''}` on {datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M')} UTC
at commit `{o.commit}`; the whole run took {mins:.1f} minutes on {o.cores} cores (shared with other work, so times are indicative).

## Task and settings

- Pre-training: a ViT ({o.settings}) on Fashion-MNIST classes 0-4, {o.pre}. {pre_line}
  Saved as safetensors and reused by every method and seed.
- Fine-tuning: classes 5-9 (relabelled 0-4), {o.fine}. {data_line}
  The validation images (for temperature scaling) are a separate stratified sample of the remaining training images of classes 5-9.
- Out-of-distribution set: test images of classes 0-4 (the pre-training classes).
- Seeds: up to {seeds} per method (the tables give the count; data sample, heads, adapters, shuffling); numbers are mean ± standard deviation over seeds.
- Metrics on the members' mean probabilities; ECE with 15 equal-width bins; OOD AUROC with OOD as positive,
  scored by mutual information (epistemic) and by 1 - max probability. A single network has no mutual information (AUROC 0.5).
- Temperature scaling: one T per model, each member's logits divided by T, fitted by NLL on the validation images
  (`calibrate(model, on: val)`); it changes neither the accuracy nor the ranking by max probability much, and not the members' disagreement.
- Memory: "parameters + AdamW state" is computed (4 bytes per parameter, 8 more per trainable one); peak memory is
  the measured maximum resident set size of the lora process (data, backbone, model, training and evaluation), and
  the last column subtracts that of a process that only loads the data and the backbone (the data dominate the process).

## Before temperature scaling

{table("before")}

## After temperature scaling

{table("after")}

## Cost

{cost_table()}

## Findings (computed from the tables above)

{chr(10).join(findings())}
"""
os.makedirs(os.path.dirname(os.path.abspath(o.out)), exist_ok=True)
tmp = o.out + ".tmp"
with open(tmp, "w") as f:
    f.write(doc)
os.replace(tmp, o.out)
