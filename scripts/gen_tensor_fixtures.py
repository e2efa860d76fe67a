#!/usr/bin/python3
"""Generates the PyTorch reference fixtures for Tests/TensorTests.

Run with Debian's interpreter (it has torch):
    /usr/bin/python3 scripts/gen_tensor_fixtures.py
Writes small JSON files into Tests/TensorTests/Fixtures/. Each file maps a name
to {"shape": [...], "data": [...]} (row-major float32 values).
"""
import json
import os
import tempfile

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TensorTests", "Fixtures")


def entry(t):
    t = torch.as_tensor(t).detach().to(torch.float32)
    return {"shape": list(t.shape), "data": [float(x) for x in t.reshape(-1).tolist()]}


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    fd, tmp = tempfile.mkstemp(dir=OUT, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    print("wrote", os.path.relpath(path))


def attention():
    g = torch.Generator().manual_seed(1)
    B, H, T, Dh = 2, 3, 5, 4
    q = torch.randn(B, H, T, Dh, generator=g, requires_grad=True)
    k = torch.randn(B, H, T, Dh, generator=g, requires_grad=True)
    v = torch.randn(B, H, T, Dh, generator=g, requires_grad=True)
    dout = torch.randn(B, H, T, Dh, generator=g)
    w = torch.softmax(q @ k.transpose(-1, -2) / Dh ** 0.5, dim=-1)
    out = w @ v
    out.backward(dout)
    write("attention.json", {"q": entry(q), "k": entry(k), "v": entry(v), "dout": entry(dout),
                             "out": entry(out), "weights": entry(w),
                             "dq": entry(q.grad), "dk": entry(k.grad), "dv": entry(v.grad)})


def layernorm():
    g = torch.Generator().manual_seed(2)
    x = (torch.randn(3, 4, 7, generator=g) * 2 + 0.5).requires_grad_()
    gamma = torch.randn(7, generator=g).requires_grad_()
    beta = torch.randn(7, generator=g).requires_grad_()
    dy = torch.randn(3, 4, 7, generator=g)
    y = F.layer_norm(x, (7,), gamma, beta, eps=1e-5)
    y.backward(dy)
    write("layernorm.json", {"x": entry(x), "gamma": entry(gamma), "beta": entry(beta), "dy": entry(dy),
                             "y": entry(y), "dx": entry(x.grad), "dgamma": entry(gamma.grad),
                             "dbeta": entry(beta.grad)})


def cross_entropy():
    g = torch.Generator().manual_seed(3)
    logits = (torch.randn(6, 5, generator=g) * 3).requires_grad_()
    labels = torch.tensor([0, 4, 2, 2, 1, 3])
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    write("cross_entropy.json", {"logits": entry(logits), "labels": entry(labels.float()),
                                 "loss": entry(loss), "dlogits": entry(logits.grad)})


def gelu():
    x = torch.linspace(-5, 5, 41).requires_grad_()
    y = F.gelu(x)
    y.sum().backward()
    write("gelu.json", {"x": entry(x), "y": entry(y), "dx": entry(x.grad)})


def optimizers():
    g = torch.Generator().manual_seed(4)
    p0 = torch.randn(3, 4, generator=g)
    grads = [torch.randn(3, 4, generator=g) for _ in range(3)]
    result = {"p0": entry(p0)}
    for i, gr in enumerate(grads):
        result[f"grad{i}"] = entry(gr)
    configs = {
        "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1),
        "adam": lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05),
        "sgd": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
    }
    for name, make in configs.items():
        p = p0.clone().requires_grad_()
        opt = make(p)
        for i, gr in enumerate(grads):
            p.grad = gr.clone()
            opt.step()
            result[f"{name}_step{i}"] = entry(p)
    write("optimizers.json", result)


if __name__ == "__main__":
    torch.manual_seed(0)
    attention()
    layernorm()
    cross_entropy()
    gelu()
    optimizers()
