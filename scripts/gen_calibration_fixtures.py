#!/usr/bin/env python3
"""Generates Tests/UncertaintyTests/Fixtures/temperature.json: member logits,
labels and the temperature that minimises the NLL of the members' mean
probabilities p̄_T = mean_i softmax(z_i / T), fitted independently with
scipy.optimize.minimize_scalar (bounded Brent on log T, xatol 1e-12) in float64.

Run with a python that has numpy and scipy (PyPI): python3 scripts/gen_calibration_fixtures.py
Deterministic (fixed seed).
"""
import json
import os

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

rng = np.random.default_rng(20261203)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "UncertaintyTests", "Fixtures", "temperature.json")


def nll(z, y, t):
    """Mean NLL of mean_i softmax(z_i / t); z [M, N, C]."""
    s = z / t
    logp = s - logsumexp(s, axis=2, keepdims=True)            # [M, N, C]
    picked = logp[:, np.arange(z.shape[1]), y]                 # [M, N]
    logmean = logsumexp(picked, axis=0) - np.log(z.shape[0])   # [N]
    return float(-logmean.mean())


def fit(z, y):
    r = minimize_scalar(lambda u: nll(z, y, np.exp(u)), bounds=(np.log(0.05), np.log(20.0)),
                        method="bounded", options={"xatol": 1e-12})
    return float(np.exp(r.x)), float(r.fun)


def case(M, N, C, scale, noise, label_temp):
    """Members share a centre and add noise; labels drawn from softmax(centre / label_temp)."""
    centre = rng.normal(0, scale, size=(N, C))
    z = np.stack([centre + rng.normal(0, noise, size=(N, C)) for _ in range(M)])
    p = np.exp(centre / label_temp - logsumexp(centre / label_temp, axis=1, keepdims=True))
    y = np.array([rng.choice(C, p=row) for row in p])
    t, after = fit(z, y)
    return {"members": M, "samples": N, "classes": C, "logits": z.reshape(-1).tolist(), "labels": y.tolist(),
            "temperature": t, "nll_before": nll(z, y, 1.0), "nll_after": after,
            "nll_at": {str(tt): nll(z, y, tt) for tt in (0.5, 1.0, 2.0, 3.7)}}


doc = {
    # Over-confident single network: logits too large for their labels (T > 1).
    "single_overconfident": case(1, 300, 5, 3.0, 0.0, 2.5),
    # Under-confident ensemble (T < 1), members that disagree.
    "ensemble_underconfident": case(4, 250, 6, 1.0, 0.8, 0.5),
    # Ensemble of 3 with many classes.
    "ensemble_many_classes": case(3, 200, 10, 2.0, 1.0, 1.3),
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT + ".tmp", "w") as f:
    json.dump(doc, f)
os.replace(OUT + ".tmp", OUT)
for k, v in doc.items():
    print(k, "T =", v["temperature"], "NLL", v["nll_before"], "->", v["nll_after"])
