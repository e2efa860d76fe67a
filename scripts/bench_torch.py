#!/usr/bin/python3
"""PyTorch side of scripts/bench: the same ViT and the same batched
LoRA-Ensemble design as the Swift engine, timed the same way (median of
training steps after 2 warm-up steps: forward, cross-entropy, backward,
global-norm clip 1.0, AdamW). Prints `key value` lines like lora-bench.

Same BLAS kernels: Debian's torch 1.13 links libblas.so.3 / libopenblas.so.0,
so its matrix products (linear, bmm, matmul) run the SAME OpenBLAS as the
Swift engine. OpenBLAS 0.3.21 falls back to a slow core on recent CPUs
unless OPENBLAS_CORETYPE is set, so the torch process gets the core the
engine picked (scripts/bench passes it; default: the same CPU-flag rule);
each run prints the core torch's OpenBLAS really uses
(openblas_get_corename, read inside the torch process). torch 1.13 has no
fused attention, so attention is softmax(q k^T / sqrt(d)) v in plain ops.

Same thread count, torch at its best: torch parallelises with OpenMP
(libgomp) AND calls a pthread OpenBLAS with its own pool, so at N > 1 the
two pools oversubscribe the cores unless configured. For every thread count
this script runs each configuration a competent user would try
(torch.set_num_threads(N) always; OPENBLAS_NUM_THREADS = N or 1;
OMP_WAIT_POLICY default or PASSIVE), each in a fresh process (the variables
are read at library load), and reports the fastest per measurement, naming
the configuration on a `torch_config` line.

PyTorch 2 from PyPI (scripts/lib/peers.sh) runs its products on its own MKL
and oneDNN: there the configurations are MKL_NUM_THREADS = N or 1 with
OMP_WAIT_POLICY default or PASSIVE (OMP_NUM_THREADS = N always).

Also printed: the parameter count and the loss of the first step (at
initialisation), which scripts/bench sets beside lora's and JAX's to check the
engines compute the same model; and `evaluate` (inference throughput): logits
and softmax of 1,024 images in batches of 256, model.eval() under
torch.inference_mode(), as `evaluate_ms images=1024`.

    PYTHON scripts/bench_torch.py engine|ensemble|evaluate [--threads N] [--steps S] [--members 1,4,16]
"""
import argparse, ctypes, math, os, statistics, subprocess, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

IMG, CH, PATCH, DIM, DEPTH, HEADS, MLP, CLASSES, BATCH = 28, 1, 4, 64, 4, 4, 128, 10, 64
T = (IMG // PATCH) ** 2 + 1
EVAL_IMAGES, EVAL_BATCH = 1024, 256


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(DIM, eps=1e-6)
        self.q, self.k, self.v, self.o = (nn.Linear(DIM, DIM) for _ in range(4))
        self.ln2 = nn.LayerNorm(DIM, eps=1e-6)
        self.fc1, self.fc2 = nn.Linear(DIM, MLP), nn.Linear(MLP, DIM)

    def attn(self, x, lora=None):
        n, t, d = x.shape
        def proj(name, inp):
            y = getattr(self, name)(inp)                       # shared W0 x: one gemm over all M*B rows
            if lora is not None:
                a, b = lora[name]                              # a [M, r, d], b [M, d, r]
                m = a.shape[0]
                xm = inp.reshape(m, -1, d)                     # [M, B*T, d]
                y = y + torch.bmm(torch.bmm(xm, a.transpose(1, 2)), b.transpose(1, 2)).reshape(y.shape)
            return y
        q, k, v = (proj(p, x).reshape(n, t, HEADS, d // HEADS).transpose(1, 2) for p in "qkv")
        # torch 1.13 (Debian) has no fused scaled_dot_product_attention
        h = torch.softmax(q @ k.transpose(-1, -2) * (1 / math.sqrt(d // HEADS)), -1) @ v
        return proj("o", h.transpose(1, 2).reshape(n, t, d))

    def forward(self, x, lora=None):
        x = x + self.attn(self.ln1(x), lora)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(CH, DIM, PATCH, stride=PATCH)
        self.cls = nn.Parameter(torch.randn(1, 1, DIM) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, T, DIM) * 0.02)
        self.blocks = nn.ModuleList(Block() for _ in range(DEPTH))
        self.norm = nn.LayerNorm(DIM, eps=1e-6)
        self.head = nn.Linear(DIM, CLASSES)

    def embed(self, x):
        e = self.patch(x).flatten(2).transpose(1, 2)
        return torch.cat([self.cls.expand(x.shape[0], 1, DIM), e], 1) + self.pos

    def features(self, h, loras=None):
        for i, b in enumerate(self.blocks):
            h = b(h, None if loras is None else loras[i])
        return self.norm(h)[:, 0]

    def forward(self, x):
        return self.head(self.features(self.embed(x)))


class LoRAEnsemble(nn.Module):
    """M members on a frozen backbone, member axis folded into the batch."""
    def __init__(self, backbone, members, rank):
        super().__init__()
        self.backbone, self.m = backbone, members
        for p in backbone.parameters():
            p.requires_grad_(False)
        self.params = nn.ParameterList()
        self.loras = []
        for _ in range(DEPTH):
            layer = {}
            for name in "qkvo":
                a = nn.Parameter(torch.empty(members, rank, DIM))
                for i in range(members):
                    nn.init.xavier_uniform_(a.data[i], gain=10)
                b = nn.Parameter(torch.zeros(members, DIM, rank))
                self.params.extend([a, b])
                layer[name] = (a, b)
            self.loras.append(layer)
        bound = 1 / math.sqrt(DIM)                                # fresh heads, as torch.nn.Linear (and lora)
        self.head_w = nn.Parameter(torch.empty(members, CLASSES, DIM).uniform_(-bound, bound))
        self.head_b = nn.Parameter(torch.empty(members, 1, CLASSES).uniform_(-bound, bound))

    def forward(self, x):
        n = x.shape[0]
        with torch.no_grad():
            e = self.backbone.embed(x)                            # frozen, computed once
        h = e.unsqueeze(0).expand(self.m, n, T, DIM).reshape(self.m * n, T, DIM)
        f = self.backbone.features(h, self.loras).reshape(self.m, n, DIM)
        return torch.bmm(f, self.head_w.transpose(1, 2)) + self.head_b   # [M, B, C]


def step_time(model, steps):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0)
    g = torch.Generator().manual_seed(42)
    x = torch.rand(BATCH, CH, IMG, IMG, generator=g)
    y = torch.arange(BATCH) % CLASSES
    times, first = [], None
    for i in range(steps + 2):
        t0 = time.perf_counter()
        z = model(x)
        if z.dim() == 3:
            loss = F.cross_entropy(z.reshape(-1, CLASSES), y.repeat(z.shape[0]))
        else:
            loss = F.cross_entropy(z, y)
        if i == 0:
            first = loss.item()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if i >= 2:
            times.append(time.perf_counter() - t0)
    return statistics.median(times), first


def evaluate_time(model, steps):
    """Median seconds to predict 1,024 images in batches of 256 (eval mode, no graph)."""
    model.eval()
    g = torch.Generator().manual_seed(42)
    batches = torch.rand(EVAL_IMAGES, CH, IMG, IMG, generator=g).split(EVAL_BATCH)
    times = []
    with torch.inference_mode():
        for i in range(max(1, steps) + 1):
            t0 = time.perf_counter()
            out = [torch.softmax(model(x), -1) for x in batches]
            if i >= 1:
                times.append(time.perf_counter() - t0)
    assert sum(o.shape[0] for o in out) == EVAL_IMAGES
    return statistics.median(times)


def count(params):
    return sum(p.numel() for p in params if p.requires_grad)


def blas_core():
    """The core OpenBLAS reports inside this (torch) process (PyPI's torch 2: its own MKL)."""
    if "BLAS_INFO=mkl" in torch.__config__.show():
        return "MKL(torch's-own)"
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError) as e:
        return f"unknown({e})"


def engine_core():
    """The core the Swift engine picks (Sources/CBLAS/lora_blas.c): SkylakeX on AVX-512, Haswell on AVX2."""
    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    if {"avx512f", "avx512bw", "avx512vl"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return ""


def uses_mkl():
    return "BLAS_INFO=mkl" in torch.__config__.show()


def configs(threads):
    """Thread configurations to try: (name, environment). The BLAS pool is
    OpenBLAS's (Debian's torch 1.13) or MKL's (PyPI's torch 2)."""
    blas = "MKL_NUM_THREADS" if uses_mkl() else "OPENBLAS_NUM_THREADS"
    base = {"OMP_NUM_THREADS": str(threads)}
    if threads == 1:
        return [(f"OMP_NUM_THREADS=1 {blas}=1", dict(base, **{blas: "1"}))]
    out = []
    for ob in (str(threads), "1"):
        for wait in (None, "PASSIVE"):
            env = dict(base, **{blas: ob})
            if wait:
                env["OMP_WAIT_POLICY"] = wait
            out.append((" ".join(f"{k}={v}" for k, v in env.items()), env))
    return out


def tune(a):
    """Runs every configuration in a child process; prints the fastest value per key."""
    core = os.environ.get("OPENBLAS_CORETYPE") or engine_core()
    best, header = {}, []
    for name, extra in configs(a.threads):
        env = dict(os.environ, LORA_BENCH_CHILD="1", **extra)
        if core:
            env["OPENBLAS_CORETYPE"] = core
        cmd = [sys.executable, __file__, a.mode, "--threads", str(a.threads), "--steps", str(a.steps), "--members", a.members]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            key, _, val = line.rpartition(" ")
            if not key.split(" ")[0].endswith("_ms"):          # version, core, parameters, initial loss: first config's
                if not any(k == key for k, _ in header):
                    header.append((key, val))
                continue
            print(f"torch_try {name}: {line}")
            if key not in best or float(val) < best[key][0]:
                best[key] = (float(val), name)
    for key, val in header:
        print(f"{key} {val}")
    for key, (val, name) in best.items():
        print(f"torch_config {key}: torch.set_num_threads({a.threads}) {name}")
        print(f"{key} {val:.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["engine", "ensemble", "evaluate"])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--members", default="1,4,16")
    a = ap.parse_args()
    if not os.environ.get("LORA_BENCH_CHILD"):
        return tune(a)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch_version {torch.__version__}")
    print(f"torch_blas_core {blas_core()}")
    if a.mode == "engine":
        vit = ViT()
        print(f"vit_parameters {count(vit.parameters())}")
        s, loss0 = step_time(vit, a.steps)
        print(f"vit_initial_loss {loss0:.4f}")
        print(f"vit_step_ms threads={a.threads} {s * 1000:.3f}")
    elif a.mode == "evaluate":
        s = evaluate_time(ViT(), a.steps)
        print(f"evaluate_ms images={EVAL_IMAGES} threads={a.threads} {s * 1000:.3f}")
    else:
        base = ViT()
        for m in [int(v) for v in a.members.split(",")]:
            ens = LoRAEnsemble(base, m, 4)
            print(f"lora_ensemble_parameters members={m} {count(ens.parameters())}")
            s, loss0 = step_time(ens, max(3, a.steps * 4 // max(m, 4)))
            print(f"lora_ensemble_initial_loss members={m} {loss0:.4f}")
            print(f"lora_ensemble_step_ms members={m} threads={a.threads} {s * 1000:.3f}")


if __name__ == "__main__":
    main()
