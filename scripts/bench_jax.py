"""JAX side of scripts/bench: the bench ViT and the batched LoRA-Ensemble of
scripts/bench_torch.py, in JAX on the CPU (XLA), timed the same way (median of
steps after 2 warm-up steps, the first of which compiles). Prints `key value`
lines like lora-bench. Run with the jax venv's python (scripts/lib/peers.sh).

    PYTHON scripts/bench_jax.py engine|ensemble|evaluate [--threads N] [--steps S] [--members 1,4,16]

The model: batch 64, 28x28x1, patch 4 (a linear map of flattened patches, as
a stride-4 convolution), dim 64, depth 4, heads 4, pre-LN blocks (eps 1e-6),
exact GELU, MLP 128, final LayerNorm, a head on the class token, 10 classes;
weights initialised as torch.nn.Linear (class token and positions N(0, 0.02)).
A training step (forward, cross-entropy, backward, global-norm clipping 1.0,
AdamW lr 1e-4, no weight decay: optax.chain(clip_by_global_norm, adamw)) is
ONE jax.jit of the whole step, with parameters and optimizer state donated (updated
in place, as torch's optimizer does). Everything the step reads is a jit
argument, not a closed-over constant (XLA would constant-fold it).

LoRA-Ensemble (as bench_torch.py and lora): M members on a frozen backbone,
rank-4 adapters on q, k, v, o of every block (A [M, r, d] Xavier-uniform with
gain 10, B [M, d, r] zeros), a head per member, the member axis folded into the
batch: every frozen W0 x one product over M*B rows, the rank-r terms batched
per member; the patch embedding (frozen) computed once for all members.

evaluate: logits and softmax of 1,024 images in batches of 256 (no gradient),
each batch one jitted call; `evaluate_ms images=1024`.

Threads: XLA has no `intra_op_parallelism_threads` flag (XLA_FLAGS rejects
`--intra_op_parallelism_threads`; written without dashes, as often advised, it
is silently ignored): its CPU thread pool is as wide as the CPU affinity mask.
So at N threads the process is bound to N cores (os.sched_setaffinity, as
`taskset`, before jax loads) when N < the core count, and each of these is
tried in a fresh process: `--xla_cpu_multi_thread_eigen` true and false
(Eigen's own pool for products), and XLA's other product back-ends,
`--xla_cpu_use_onednn=true` and `--xla_cpu_use_xnnpack=true` (on this machine
under load each was 2 to 3 times faster than the default on the ViT step); the
fastest per measurement is reported and named on a `jax_config` line. Also printed: the parameter count
and the loss of the first step (at initialisation), to check the model is the
same as lora's and PyTorch's.
"""
import argparse, math, os, statistics, subprocess, sys, time

IMG, CH, PATCH, DIM, DEPTH, HEADS, MLP, CLASSES, BATCH, RANK = 28, 1, 4, 64, 4, 4, 128, 10, 64, 4
T = (IMG // PATCH) ** 2 + 1
EVAL_IMAGES, EVAL_BATCH = 1024, 256


def configs(threads):
    """Configurations to try: (name, extra XLA_FLAGS). Every one binds to `threads` cores."""
    cores = f"affinity {threads} of {os.cpu_count()} cores" if threads < os.cpu_count() else f"all {os.cpu_count()} cores"
    flags = ["--xla_cpu_multi_thread_eigen=true", "--xla_cpu_multi_thread_eigen=false",
             "--xla_cpu_use_onednn=true", "--xla_cpu_use_xnnpack=true"]
    return [(f"{cores}, {f}", f) for f in flags]


def tune(a):
    """Runs every configuration in a child process; prints the fastest value per key."""
    best, header = {}, []
    for name, flags in configs(a.threads):
        env = dict(os.environ, LORA_BENCH_CHILD="1", XLA_FLAGS=(os.environ.get("XLA_FLAGS", "") + " " + flags).strip())
        cmd = [sys.executable, __file__, a.mode, "--threads", str(a.threads), "--steps", str(a.steps), "--members", a.members]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            key, _, val = line.rpartition(" ")
            if not key.split(" ")[0].endswith("_ms"):          # version, parameters, initial loss: first config's
                if not any(h.rpartition(" ")[0] == key for h in header):
                    header.append(line)
                continue
            print(f"jax_try {name}: {line}")
            if key not in best or float(val) < best[key][0]:
                best[key] = (float(val), name)
    for line in header:
        print(line)
    for key, (val, name) in best.items():
        print(f"jax_config {key}: {name}")
        print(f"{key} {val:.3f}")


def child(a):
    import numpy as np
    import jax
    import jax.numpy as jnp
    import optax
    print(f"jax_version {jax.__version__} (jaxlib {jax.lib.__version__}, optax {optax.__version__})")
    rng = np.random.default_rng(0)

    def linear_init(n_in, n_out):
        bound = 1 / math.sqrt(n_in)
        return {"w": jnp.asarray(rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32)),
                "b": jnp.asarray(rng.uniform(-bound, bound, (n_out,)).astype(np.float32))}

    def ln_init():
        return {"g": jnp.ones(DIM, jnp.float32), "b": jnp.zeros(DIM, jnp.float32)}

    def vit_init():
        return {
            "patch": linear_init(CH * PATCH * PATCH, DIM),
            "cls": jnp.asarray((rng.standard_normal((1, 1, DIM)) * 0.02).astype(np.float32)),
            "pos": jnp.asarray((rng.standard_normal((1, T, DIM)) * 0.02).astype(np.float32)),
            "blocks": [{"ln1": ln_init(), **{p: linear_init(DIM, DIM) for p in "qkvo"}, "ln2": ln_init(),
                        "fc1": linear_init(DIM, MLP), "fc2": linear_init(MLP, DIM)} for _ in range(DEPTH)],
            "norm": ln_init(),
            "head": linear_init(DIM, CLASSES),
        }

    def layer_norm(p, x):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) * jax.lax.rsqrt(var + 1e-6) * p["g"] + p["b"]

    def dense(p, x):
        return x @ p["w"] + p["b"]

    def embed(p, images):
        n = images.shape[0]
        g = IMG // PATCH
        patches = images.reshape(n, CH, g, PATCH, g, PATCH).transpose(0, 2, 4, 1, 3, 5).reshape(n, g * g, CH * PATCH * PATCH)
        e = dense(p["patch"], patches)
        return jnp.concatenate([jnp.broadcast_to(p["cls"], (n, 1, DIM)), e], 1) + p["pos"]

    def block(p, x, lora=None, members=1):
        n = x.shape[0]
        dh = DIM // HEADS

        def proj(name, inp):
            y = dense(p[name], inp)
            if lora is not None:
                a, b = lora[name]                                   # a [M, r, d], b [M, d, r]
                xm = inp.reshape(members, -1, DIM)                  # [M, B*T, d]
                y = y + jnp.einsum("mnr,mdr->mnd", jnp.einsum("mnd,mrd->mnr", xm, a), b).reshape(y.shape)
            return y

        h = layer_norm(p["ln1"], x)
        q, k, v = (proj(name, h).reshape(n, T, HEADS, dh).transpose(0, 2, 1, 3) for name in "qkv")
        att = jax.nn.softmax(q @ k.transpose(0, 1, 3, 2) * (1 / math.sqrt(dh)), -1) @ v
        x = x + proj("o", att.transpose(0, 2, 1, 3).reshape(n, T, DIM))
        return x + dense(p["fc2"], jax.nn.gelu(dense(p["fc1"], layer_norm(p["ln2"], x)), approximate=False))

    def features(p, h, loras=None, members=1):
        for i, bp in enumerate(p["blocks"]):
            h = block(bp, h, None if loras is None else loras[i], members)
        return layer_norm(p["norm"], h)[:, 0]

    def vit_logits(p, images):
        return dense(p["head"], features(p, embed(p, images)))

    def ce(z, y):
        return optax.softmax_cross_entropy_with_integer_labels(z, y).mean()

    def count(tree):
        return sum(int(np.prod(x.shape)) for x in jax.tree_util.tree_leaves(tree))

    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(1e-4, weight_decay=0.0))
    data_rng = np.random.default_rng(42)
    images = jnp.asarray(data_rng.random((BATCH, CH, IMG, IMG), dtype=np.float32))
    labels = jnp.arange(BATCH) % CLASSES

    def timed(steps, run):
        """run() performs one step and returns its loss (a device scalar); median after 2 warm-ups."""
        times, first = [], None
        for i in range(steps + 2):
            t0 = time.perf_counter()
            loss = run()
            loss.block_until_ready()
            if i == 0:
                first = float(loss)
            if i >= 2:
                times.append(time.perf_counter() - t0)
        return statistics.median(times), first

    def train(params, frozen, loss_fn, steps):
        """ONE jax.jit of the whole step: loss and gradients, clipping, AdamW; params and state donated."""
        def step(pr, st, frozen, x, y):
            loss, g = jax.value_and_grad(loss_fn)(pr, frozen, x, y)
            up, st = opt.update(g, st, pr)
            return optax.apply_updates(pr, up), st, loss
        step = jax.jit(step, donate_argnums=(0, 1))
        box = [params, opt.init(params)]

        def run():
            box[0], box[1], loss = step(box[0], box[1], frozen, images, labels)
            return loss
        return timed(steps, run)

    if a.mode == "engine":
        params = vit_init()
        print(f"vit_parameters {count(params)}")
        s, loss0 = train(params, None, lambda p, _, x, y: ce(vit_logits(p, x), y), a.steps)
        print(f"vit_initial_loss {loss0:.4f}")
        print(f"vit_step_ms threads={a.threads} {s * 1000:.3f}")
    elif a.mode == "evaluate":
        params = vit_init()
        ev = np.random.default_rng(42).random((EVAL_IMAGES, CH, IMG, IMG), dtype=np.float32)
        batches = [jnp.asarray(ev[i:i + EVAL_BATCH]) for i in range(0, EVAL_IMAGES, EVAL_BATCH)]
        predict = jax.jit(lambda p, x: jax.nn.softmax(vit_logits(p, x), -1))
        times = []
        for i in range(max(1, a.steps) + 1):
            t0 = time.perf_counter()
            out = [predict(params, x) for x in batches]
            jax.block_until_ready(out)
            if i >= 1:
                times.append(time.perf_counter() - t0)
        print(f"evaluate_ms images={EVAL_IMAGES} threads={a.threads} {statistics.median(times) * 1000:.3f}")
    else:
        backbone = vit_init()
        for m in [int(v) for v in a.members.split(",")]:
            bound = 10 * math.sqrt(6 / (DIM + RANK))
            loras = [{p: (jnp.asarray(rng.uniform(-bound, bound, (m, RANK, DIM)).astype(np.float32)),
                          jnp.zeros((m, DIM, RANK), jnp.float32)) for p in "qkvo"} for _ in range(DEPTH)]
            hb = 1 / math.sqrt(DIM)
            params = {"lora": loras,
                      "head_w": jnp.asarray(rng.uniform(-hb, hb, (m, CLASSES, DIM)).astype(np.float32)),
                      "head_b": jnp.asarray(rng.uniform(-hb, hb, (m, 1, CLASSES)).astype(np.float32))}
            print(f"lora_ensemble_parameters members={m} {count(params)}")

            def loss_fn(pr, frozen, x, y, m=m):
                n = x.shape[0]
                e = jax.lax.stop_gradient(embed(frozen, x))                     # frozen: once for all members
                h = jnp.broadcast_to(e[None], (m, n, T, DIM)).reshape(m * n, T, DIM)
                f = features(frozen, h, pr["lora"], m).reshape(m, n, DIM)
                z = jnp.einsum("mbd,mcd->mbc", f, pr["head_w"]) + pr["head_b"]   # [M, B, C]
                return ce(z.reshape(-1, CLASSES), jnp.tile(y, m))

            s, loss0 = train(params, backbone, loss_fn, max(3, a.steps * 4 // max(m, 4)))
            print(f"lora_ensemble_initial_loss members={m} {loss0:.4f}")
            print(f"lora_ensemble_step_ms members={m} threads={a.threads} {s * 1000:.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["engine", "ensemble", "evaluate"])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--members", default="1,4,16")
    a = ap.parse_args()
    if a.threads < 1:
        raise SystemExit(f"bench_jax.py: --threads {a.threads}: give at least 1")
    if not os.environ.get("LORA_BENCH_CHILD"):
        return tune(a)
    # XLA sizes its thread pool from the CPU affinity when it loads: bind before importing jax.
    if a.threads < os.cpu_count():
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:a.threads]))
    child(a)


if __name__ == "__main__":
    main()
