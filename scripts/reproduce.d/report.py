#!/usr/bin/env python3
"""Writes the reproduction report (markdown) from what scripts/reproduce
collected in its work folder: ROW lines per task and seed (image.txt,
text.txt), SWEEP lines (sweeps.txt), MEM lines (peak memory of each process),
the run log (runlog.txt: start, wall time and load average of each process)
and meta.txt. Standard library only; the file is written atomically
(temporary file + rename)."""
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
FIGURE_METHODS = ["single", "explicit", "lora_ensemble"]   # embedded; every method's diagrams are linked

ap = argparse.ArgumentParser()
for a in ["work", "out", "figures", "mode", "seconds", "complete", "image-settings", "image-pre", "image-fine",
          "text-fine", "sweep-settings", "discussion"]:
    ap.add_argument("--" + a, required=True)
o = ap.parse_args()


def lines(name):
    path = os.path.join(o.work, name)
    return [l.split() for l in open(path) if l.strip()] if os.path.exists(path) else []


def write_atomic(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


meta = {p[0]: " ".join(p[1:]) for p in lines("meta.txt")}


class Task:
    """The ROW and MEM lines of one task (image or text)."""

    def __init__(self, name):
        self.rows, self.mem = {}, {}
        for p in lines(name + ".txt"):
            if p[0] == "ROW":
                method, state = p[1], p[3]
                self.rows.setdefault((method, state), []).append(dict(zip(FIELDS, map(float, p[4:4 + len(FIELDS)]))))
            elif p[0] == "MEM":   # MEM task-method-seed KiB
                method = p[1].split("-", 1)[1].rsplit("-", 1)[0]
                self.mem.setdefault(method, []).append(int(p[2]) / 1024.0)
        self.methods = [m for m in NAMES if (m, "before") in self.rows]
        # Seeds that every method completed (a stopped run may have done some methods of the next seed).
        self.seeds = min((len(self.rows.get((m, "after"), [])) for m in self.methods), default=0)
        self.baseline = statistics.mean(self.mem.get("none", [0.0]))
        d = lines(name + ".txt.data")
        self.data = d[0] if d else []

    def agg(self, method, state, field):
        v = [r[field] for r in self.rows[(method, state)]]
        return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)

    def pm(self, method, state, field, d=4):
        m, s = self.agg(method, state, field)
        return f"{m:.{d}f} ± {s:.{d}f}" if len(self.rows[(method, state)]) > 1 else f"{m:.{d}f}"

    def table(self, state):
        if not self.methods:
            return "(not run)"
        head = "| method | seeds | accuracy | NLL | ECE | Brier | OOD AUROC (MI) | OOD AUROC (max p) | disagreement |"
        if state == "after":
            head = "| method | seeds | T | accuracy | NLL | ECE | Brier | OOD AUROC (MI) | OOD AUROC (max p) | disagreement |"
        out = [head, "|" + "---|" * (head.count("|") - 1)]
        for m in self.methods:
            if (m, state) not in self.rows:
                continue
            cells = [NAMES[m], str(len(self.rows[(m, state)]))]
            if state == "after":
                cells.append(self.pm(m, state, "temperature", 3))
            cells += [self.pm(m, state, f) for f in ["accuracy", "nll", "ece", "brier", "auroc_mi", "auroc_maxp", "disagreement"]]
            out.append("| " + " | ".join(cells) + " |")
        return "\n".join(out)

    def cost_table(self):
        if not self.methods:
            return "(not run)"
        out = [f"| method | parameters | trainable | trainable share | parameters + AdamW state (MiB) | train time (s{under}) | peak memory (MiB) | above data + backbone (MiB) |",
               "|---|---|---|---|---|---|---|---|"]
        for m in self.methods:
            params, _ = self.agg(m, "before", "params")
            train, _ = self.agg(m, "before", "trainable")
            peak = statistics.mean(self.mem.get(m, [0.0]))
            state_mib = self.agg(m, "before", "bytes")[0] / 2 ** 20
            out.append(f"| {NAMES[m]} | {int(params):,} | {int(train):,} | {100 * train / params:.1f} % | {state_mib:.2f} | "
                       f"{self.pm(m, 'before', 'train_time', 1)} | {peak:.0f} | {round(peak - self.baseline) + 0:+d} |")
        return "\n".join(out)

    def findings(self):
        L, E = "lora_ensemble", "explicit"
        if L not in self.methods or E not in self.methods:
            return ["(LoRA-Ensemble and the explicit ensemble were not both run.)"]
        out = []
        for state, what in [("before", "before temperature scaling"), ("after", "after temperature scaling")]:
            if (L, state) not in self.rows or (E, state) not in self.rows:
                continue
            la, ls = self.agg(L, state, "accuracy"); ea, es = self.agg(E, state, "accuracy")
            lc, _ = self.agg(L, state, "ece"); ec, _ = self.agg(E, state, "ece")
            ln, _ = self.agg(L, state, "nll"); en, _ = self.agg(E, state, "nll")
            lm, _ = self.agg(L, state, "auroc_mi"); em, _ = self.agg(E, state, "auroc_mi")
            acc = "at least" if la >= ea else ("within one standard deviation of" if ea - la <= max(ls, es) else "below")
            out.append(f"- {what.capitalize()}: LoRA-Ensemble accuracy {la:.4f} is {acc} the explicit ensemble's {ea:.4f}; "
                       f"ECE {lc:.4f} vs {ec:.4f} ({'better' if lc < ec else 'worse'}), NLL {ln:.4f} vs {en:.4f} "
                       f"({'better' if ln < en else 'worse'}); OOD AUROC by mutual information {lm:.4f} vs {em:.4f}.")
        lp, _ = self.agg(L, "before", "trainable"); ep, _ = self.agg(E, "before", "trainable")
        lt, _ = self.agg(L, "before", "params"); et, _ = self.agg(E, "before", "params")
        out.append(f"- Trainable parameters: LoRA-Ensemble {int(lp):,} of {int(lt):,}; explicit ensemble {int(ep):,} of {int(et):,} "
                   f"({100 * lp / ep:.1f} % of the explicit ensemble's).")
        lm_, em_ = statistics.mean(self.mem.get(L, [0])), statistics.mean(self.mem.get(E, [0]))
        out.append(f"- Peak memory of the process: LoRA-Ensemble {lm_:.0f} MiB, explicit ensemble {em_:.0f} MiB "
                   f"(data and backbone alone: {self.baseline:.0f} MiB).")
        if (L, "after") in self.rows:
            t, _ = self.agg(L, "after", "temperature")
            out.append(f"- Temperature fitted for the LoRA-Ensemble: T = {t:.3f} "
                       f"({'T < 1: the ensemble was under-confident' if t < 1 else 'T > 1: the ensemble was over-confident'}).")
        return out

    def figures(self, task):
        rel = os.path.relpath(o.figures, os.path.dirname(os.path.abspath(o.out)))
        have = lambda m, s: os.path.exists(os.path.join(o.figures, f"{task}-{m}-{s}.svg"))
        out = []
        shown = [m for m in FIGURE_METHODS if have(m, "before") and have(m, "after")]
        if shown:
            out.append("| method | before temperature scaling | after temperature scaling |")
            out.append("|---|---|---|")
            for m in shown:
                out.append(f"| {NAMES[m]} | ![{NAMES[m]}, before]({rel}/{task}-{m}-before.svg) | ![{NAMES[m]}, after]({rel}/{task}-{m}-after.svg) |")
        others = [m for m in self.methods if m not in shown and have(m, "before")]
        if others:
            out.append("")
            out.append("The other methods' diagrams (seed 1): " + ", ".join(
                f"{NAMES[m]} ([before]({rel}/{task}-{m}-before.svg), [after]({rel}/{task}-{m}-after.svg))" for m in others) + ".")
        return "\n".join(out) if out else "(no diagrams: seed 1 of this task did not run)"


image, text = Task("image"), Task("text")

# Sweeps: SWEEP axis value method seed state fields...; the base setting is the image task's LoRA-Ensemble, seed 1.
sweeps = {}
for p in lines("sweeps.txt"):
    if p[0] == "SWEEP":
        axis, value, state = p[1], p[2], p[5]
        sweeps.setdefault((axis, value), {})[state] = dict(zip(FIELDS, map(float, p[6:6 + len(FIELDS)])))


def sweep_table():
    base = {}
    if ("lora_ensemble", "before") in image.rows and ("lora_ensemble", "after") in image.rows:
        base = {"before": image.rows[("lora_ensemble", "before")][0], "after": image.rows[("lora_ensemble", "after")][0]}
    if not sweeps:
        return "(the sweeps did not run)"
    settings = []
    for axis in ["rank", "members", "gain", "heads"]:
        values = [v for (a, v) in sweeps if a == axis]
        if base:
            values.append({"rank": B_RANK, "members": B_MEMBERS, "gain": B_GAIN, "heads": "fresh"}[axis] + " (base)")
        key = (lambda v: float(v.split()[0])) if axis != "heads" else (lambda v: v)
        for v in sorted(values, key=key):
            settings.append((axis, v, base if v.endswith("(base)") else sweeps[(axis, v)]))
    out = [f"| setting | accuracy | NLL | ECE | ECE after T | T | disagreement | OOD AUROC (MI) | OOD AUROC (max p) | trainable | train time (s{under}) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for axis, v, r in settings:
        b, a = r["before"], r.get("after", {})
        cells = [f"{axis} {v}", f"{b['accuracy']:.4f}", f"{b['nll']:.4f}", f"{b['ece']:.4f}",
                 f"{a['ece']:.4f}" if a else "-", f"{a['temperature']:.3f}" if a else "-", f"{b['disagreement']:.4f}",
                 f"{b['auroc_mi']:.4f}", f"{b['auroc_maxp']:.4f}", f"{int(b['trainable']):,}", f"{b['train_time']:.1f}"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def parse_setting(text, word):
    # "…, rank 4, Xavier gain 2, …" -> "4"
    for part in text.split(","):
        ws = part.split()
        if len(ws) >= 2 and ws[-2] == word:
            return ws[-1]
    return "?"


B_RANK, B_GAIN = parse_setting(o.image_fine, "rank"), parse_setting(o.image_fine, "gain")
B_MEMBERS = o.image_fine.split(",")[0].split("=")[-1].strip()


def headline():
    out = [f"| task | method | seeds | accuracy | NLL | ECE | ECE after T | OOD AUROC (MI) | trainable | train time (s{under}) |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for tname, t in [("images", image), ("text", text)]:
        for m in ["single", "explicit", "lora_ensemble"]:
            if (m, "after") not in t.rows:
                continue
            out.append(f"| {tname} | {NAMES[m]} | {len(t.rows[(m, 'after')])} | {t.pm(m, 'before', 'accuracy', 3)} | {t.pm(m, 'before', 'nll', 3)} | "
                       f"{t.pm(m, 'before', 'ece', 3)} | {t.pm(m, 'after', 'ece', 3)} | {t.pm(m, 'before', 'auroc_mi', 2)} | "
                       f"{int(t.agg(m, 'before', 'trainable')[0]):,} | {t.agg(m, 'before', 'train_time')[0]:.0f} |")
    return "\n".join(out)


def run_log():
    steps = [p for p in lines("runlog.txt") if p[0] == "STEP"]
    if not steps:
        return "(no process has finished yet)", 0, 0, ""
    out = ["| process (task-method-seed) | started (UTC) | wall time (s) | CPU time (s) | load average (1 min) at start / end |",
           "|---|---|---|---|---|"]
    for p in steps:
        when = datetime.datetime.fromtimestamp(int(p[2]), datetime.timezone.utc).strftime("%H:%M:%S")
        cpu = p[6] if len(p) > 6 else "-"   # runs before the CPU time was recorded have none
        out.append(f"| {p[1]} | {when} | {p[3]} | {cpu} | {p[4]} / {p[5]} |")
    loads = [float(p[4]) for p in steps] + [float(p[5]) for p in steps]
    timed = [float(p[6]) for p in steps if len(p) > 6]
    cpu = ""
    if timed:   # CPU time does not grow with the load as wall time does: the load-independent measure of the run's cost
        cpu = (f" The processes used {sum(timed) / 60:.1f} minutes of CPU time (user + system"
               + (f"; recorded for {len(timed)} of {len(steps)} processes" if len(timed) < len(steps) else "")
               + f"), so the run needs at least {sum(timed) / 60 / 2:.1f} minutes on 2 quiet cores.")
    return "\n".join(out), statistics.mean(loads), max(loads), cpu


def describe_data(t, kind):
    d = t.data
    if len(d) != 5:
        return ""
    return f"{d[1]} training, {d[2]} validation, {d[3]} test and {d[4]} out-of-distribution {kind}."


pre = [p for p in lines("pretrain.log") if p and p[0] == "PRETRAIN"]
pre_line = ""
if pre:
    p = pre[-1]
    pre_line = (f"Backbone on the test images of classes 0-4: accuracy {float(p[1]):.4f}, NLL {float(p[2]):.4f}; "
                f"pre-training took {float(p[3]):.0f} s (once, cached; not counted below); {int(p[4]):,} parameters.")
log_table, load_mean, load_max, cpu_sentence = run_log()
cores = int(meta.get("cores", "2")) if meta.get("cores", "").isdigit() else 2
# The run's own processes use every core, so a load average up to about the core count is the run itself.
quiet = load_max <= cores + 0.5
under = "" if quiet else ", under load"
if quiet:
    load_sentence = (f"Nothing else ran: the load average over the processes' starts and ends was {load_mean:.1f} on average "
                     f"(at most {load_max:.1f}), the run's own threads, so the times below are those of {cores} quiet cores.")
else:
    load_sentence = (f"The cores were shared with other work: the load average over the processes' starts and ends was "
                     f"{load_mean:.1f} on average (at most {load_max:.1f}), so every wall-clock and train time below was "
                     "measured under that load and is indicative only (the run log at the end has each process).")
mins = int(o.seconds) / 60
started = datetime.datetime.fromtimestamp(int(meta.get("started", "0")), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
planned = meta.get("seeds", "?")
planned_text = meta.get("text_seeds", planned)
if o.complete == "final":
    status = (f"A complete run: {planned} seeds of the image task, {planned_text} of the text task{', and the sweeps' if sweeps else ''}.")
else:
    status = (f"**Partial run, written while it was going or after it was stopped**: it completed {image.seeds} of {planned} seeds of the image task, "
              f"{text.seeds} of {planned_text} of the text task, and {'the' if sweeps else 'none of the'} sweeps"
              f"{' (' + str(len(sweeps)) + ' settings)' if sweeps else ''}. Tables show what completed (the seeds column counts them).")
if "resumed" in meta:
    r = meta["resumed"].split()
    when = datetime.datetime.fromtimestamp(int(r[0]), datetime.timezone.utc).strftime("%H:%M")
    status += (f" The run was stopped and resumed with `--resume` at {when} UTC (at commit `{' '.join(r[1:])}`); "
               "the processes that had completed before were kept, the one that was running was run again.")
discussion = open(o.discussion).read().strip() if os.path.exists(o.discussion) else "(not written yet for this run)"
if o.mode == "quick":
    discussion = "(a quick run: the numbers mean nothing, so there is nothing to discuss)"

doc = f"""# Reproduction: LoRA-Ensemble against its baselines (Fashion-MNIST images, Reuters text)

{"**Quick run** (tiny sizes, a smoke test of the pipeline; the numbers mean nothing)." if o.mode == "quick" else ""}
{status}

Written by `scripts/reproduce{' --quick' if o.mode == 'quick' else ''}`; the run started {started} UTC at commit
`{meta.get('commit', 'unknown')}` and took {mins:.1f} minutes{'' if o.complete == 'final' else ' so far'} on {meta.get('cores', '?')} cores.
{load_sentence}{cpu_sentence}

## Headline

Mean over seeds (± standard deviation where there are several); before temperature scaling unless marked.

{headline()}

## Common settings

- Metrics on the members' mean probabilities; ECE with 15 equal-width bins; OOD AUROC with OOD as positive,
  scored by mutual information (epistemic) and by 1 - max probability. A single network has no mutual information (AUROC 0.5).
  Disagreement: the share of (member pair, sample) where two members' predicted classes differ.
- Temperature scaling: one T per model, each member's logits divided by T, fitted by NLL on the validation sample
  (`calibrate(model, on: val)`); it leaves the accuracy and the members' disagreement unchanged.
- Seeds set the data sample, heads, adapters, dropout masks and shuffling; the same seed gives the same numbers.
- Memory: "parameters + AdamW state" is computed (4 bytes per parameter, 8 more per trainable one); peak memory is
  the measured maximum resident set size of the lora process (data, backbone, model, training and evaluation), and
  the last column subtracts that of a process that only loads the data and the backbone.

## Task 1: images (ViT, Fashion-MNIST)

- Pre-training: a ViT ({o.image_settings}) on Fashion-MNIST classes 0-4, {o.image_pre}. {pre_line}
- Fine-tuning: classes 5-9 (relabelled 0-4), {o.image_fine}. {describe_data(image, 'images')}
  The validation images are a separate stratified sample of the remaining training images of classes 5-9.
- Out-of-distribution set: test images of classes 0-4 (the pre-training classes).

### Before temperature scaling

{image.table("before")}

### After temperature scaling

{image.table("after")}

### Cost

{image.cost_table()}

### Reliability diagrams (seed 1)

{image.figures("image")}

### Findings (computed from the tables)

{chr(10).join(image.findings())}

## Task 2: text (all-MiniLM-L6-v2, Reuters grain)

- Model: all-MiniLM-L6-v2 (BERT, 6 layers, width 384, 22.6 M parameters), pre-trained by others, with a fresh 2-class head.
- Data: Reuters-21578 grain topic (ModApte; about 7 % of articles are about grain); out-of-distribution set: Debian's fortunes-min quotations.
- Fine-tuning: {o.text_fine}. {describe_data(text, 'texts')}

### Before temperature scaling

{text.table("before")}

### After temperature scaling

{text.table("after")}

### Cost

{text.cost_table()}

### Reliability diagrams (seed 1)

{text.figures("text")}

### Findings (computed from the tables)

{chr(10).join(text.findings())}

## Sweeps of the LoRA-Ensemble (image task, one seed)

Settings: {o.sweep_settings}. Every row is one run (seed 1); the base row is the LoRA-Ensemble of the image table's seed 1.
Accuracy, NLL, ECE, disagreement and the AUROCs are before temperature scaling; "ECE after T" and T after it.

{sweep_table()}

## Discussion

{discussion}

## Run log

{log_table}
"""
write_atomic(o.out, doc)
