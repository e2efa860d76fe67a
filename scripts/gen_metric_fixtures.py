#!/usr/bin/python3
"""Generates Tests/UncertaintyTests/Fixtures/metrics.json: member probabilities and
reference metrics computed independently with numpy and scikit-learn.

Run with Debian's python (numpy + sklearn): /usr/bin/python3 scripts/gen_metric_fixtures.py
Deterministic (fixed seed). Definitions follow shared/design/METHOD.md:
  p̄ = mean of member probabilities; accuracy/NLL/Brier/ECE on p̄;
  ECE with numpy.linspace(0, 1, B+1) edges, bins (lower, upper];
  AUROC = sklearn roc_auc_score, AUPR = sklearn average_precision_score, OOD positive;
  selective area = mean over k of accuracy on the k most certain inputs
  (stable ascending sort of the uncertainty).
"""
import json
import os

import numpy as np
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

rng = np.random.default_rng(20261130)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "UncertaintyTests", "Fixtures", "metrics.json")


def members_probs(M, N, C, alpha, shared):
    """Members share a per-sample Dirichlet centre and add their own noise."""
    centre = rng.dirichlet(np.full(C, alpha), size=N)  # [N, C]
    out = np.empty((M, N, C))
    for m in range(M):
        noise = rng.dirichlet(np.full(C, 1.0), size=N)
        p = shared * centre + (1 - shared) * noise
        out[m] = p / p.sum(axis=1, keepdims=True)
    return out


def entropy(p):
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(p), 0.0)
    return -t.sum(axis=-1)


def ece_numpy(conf, correct, bins):
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inb = (conf > lo) & (conf <= hi)
        n = int(inb.sum())
        acc = float(correct[inb].mean()) if n else 0.0
        cf = float(conf[inb].mean()) if n else 0.0
        ece += n / len(conf) * abs(acc - cf)
        rows.append({"lower": float(lo), "upper": float(hi), "count": n, "accuracy": acc, "confidence": cf})
    return ece, rows


def scores(P, name):
    pbar = P.mean(axis=0)
    if name == "maxProbability":
        return pbar.max(axis=1)
    if name == "entropy":
        return entropy(pbar)
    mi = entropy(pbar) - entropy(P).mean(axis=0)
    return np.maximum(mi, 0.0)


def case(M, N, C, alpha, shared):
    P = members_probs(M, N, C, alpha, shared)
    pbar = P.mean(axis=0)
    # Labels: mostly the argmax of p̄, sometimes a random class, so accuracy is ~70%.
    labels = np.where(rng.random(N) < 0.7, pbar.argmax(axis=1), rng.integers(0, C, N))
    pred = pbar.argmax(axis=1)
    correct = pred == labels
    conf = pbar.max(axis=1)
    onehot = np.eye(C)[labels]
    total = entropy(pbar)
    alea = entropy(P).mean(axis=0)
    votes = P.argmax(axis=2)
    dis = []
    kls = []
    for i in range(M):
        for j in range(M):
            if i < j:
                dis.append((votes[i] != votes[j]).mean())
            if i != j:
                kls.append((P[i] * (np.log(P[i]) - np.log(P[j]))).sum(axis=1).mean())
    res = {
        "members": M, "samples": N, "classes": C,
        "probabilities": P.reshape(-1).tolist(),
        "labels": labels.tolist(),
        "mean": pbar.reshape(-1).tolist(),
        "accuracy": float(correct.mean()),
        "nll": float(log_loss(labels, pbar, labels=list(range(C)))),
        "brier": float(((pbar - onehot) ** 2).sum(axis=1).mean()),
        "entropy": total.tolist(),
        "aleatoric": alea.tolist(),
        "epistemic": np.maximum(total - alea, 0).tolist(),
        "disagreement": float(np.mean(dis)) if dis else 0.0,
        "pairwiseKL": float(np.mean(kls)) if kls else 0.0,
        "memberAccuracies": [float((votes[m] == labels).mean()) for m in range(M)],
        "ece": {},
        "selectiveArea": {},
    }
    for bins in (10, 15):
        e, rows = ece_numpy(conf, correct, bins)
        res["ece"][str(bins)] = {"ece": e, "bins": rows}
    for name in ("maxProbability", "entropy", "mutualInformation"):
        s = scores(P, name)
        unc = -s if name == "maxProbability" else s
        order = np.argsort(unc, kind="stable")
        acc = np.cumsum(correct[order]) / np.arange(1, N + 1)
        res["selectiveArea"][name] = float(acc.mean())
    return res, P


def main():
    ind, P_in = case(M=4, N=150, C=5, alpha=0.6, shared=0.8)
    # OOD inputs: flatter centres and less shared members (more disagreement).
    P_out = members_probs(M=4, N=90, C=5, alpha=3.0, shared=0.4)
    ood = {"members": 4, "samples": 90, "classes": 5, "probabilities": P_out.reshape(-1).tolist()}
    for name in ("maxProbability", "entropy", "mutualInformation"):
        s_in, s_out = scores(P_in, name), scores(P_out, name)
        y = np.r_[np.zeros(len(s_in)), np.ones(len(s_out))]
        s = np.r_[s_in, s_out]
        if name == "maxProbability":
            s = -s
        ood[name] = {"auroc": float(roc_auc_score(y, s)), "aupr": float(average_precision_score(y, s))}
    single, _ = case(M=1, N=40, C=3, alpha=1.0, shared=1.0)
    # Ties: scores on a coarse grid so many thresholds hold both classes.
    ts = np.round(rng.random(60) * 4) / 4
    ty = (rng.random(60) < 0.4 + 0.3 * ts).astype(int)
    ties = {"scores": ts.tolist(), "positive": ty.tolist(),
            "auroc": float(roc_auc_score(ty, ts)), "aupr": float(average_precision_score(ty, ts))}
    doc = {"generator": "scripts/gen_metric_fixtures.py", "ensemble": ind, "ood": ood,
           "single": single, "ties": ties}
    with open(OUT + ".tmp", "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    os.replace(OUT + ".tmp", OUT)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
