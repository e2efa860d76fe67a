"""Peer side of `scripts/bench text`: all-MiniLM-L6-v2 on the same
safetensors weights and the same 16 x 128 token ids as lora-bench text,
timed the same way (median of steps after one warm-up), in PyTorch (Debian's
1.13 or PyPI's 2.x, whichever python runs this) or JAX on CPU.

    PYTHON scripts/bench_text_peer.py torch|jax --model DIR --ids FILE --threads N [--steps S]

Work, identical in every engine (and in lora):
  text_forward_ms        embeddings + 6 post-LN blocks (masked attention) + mean
                         pooling over real tokens + linear head, no graph
  text_head_backward_ms  the same forward and the backward of the cross-entropy
                         with the backbone frozen (gradient of the head only)
  text_lora4_step_ms     one training step of a 4-member LoRA-Ensemble: rank-4
                         adapters (y = W0 x + b + B A x) on q, k, v and the
                         attention output of every layer, fresh heads, members
                         folded into the batch (every frozen W0 x one gemm over
                         M*B rows, the rank-r terms batched per member), mean of
                         the members' cross-entropies, global-norm clip 1.0, AdamW.
The fastest honest implementation per engine: torch >= 2 uses
F.scaled_dot_product_attention (fused CPU attention); torch 1.13 has none and
uses softmax(q k^T / sqrt(d) + mask) v; JAX jits each whole function (the
training step with optax's clip_by_global_norm + adamw in one jax.jit).
Threads: torch.set_num_threads(N) (scripts/bench_text.sh varies the BLAS
pool's variables); JAX/XLA gets N cores by CPU affinity (XLA_FLAGS as given,
by default Eigen's single-thread mode at N = 1).
"""
import argparse, json, math, os, statistics, struct, sys, time

import numpy as np

D, HEADS, LAYERS, CLASSES, M, RANK = 384, 12, 6, 2, 4, 4
PROJ = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value", "o": "attention.output.dense"}


def read_safetensors(path):
    """name -> float32 numpy array (F32 tensors; others skipped)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        blob = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(blob[a:b], dtype=np.float32).reshape(info["shape"]).copy()
    return out


def read_ids(path):
    rows = [[int(v) for v in line.split()] for line in open(path) if line.strip()]
    return np.array(rows, dtype=np.int64)


def timed(steps, fn):
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        fn()
        if i >= 1:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def head_init(rng, members):
    bound = 1 / math.sqrt(D)
    return (rng.uniform(-bound, bound, (members, CLASSES, D)).astype(np.float32),
            rng.uniform(-bound, bound, (members, 1, CLASSES)).astype(np.float32))


def lora_init(rng):
    """a [M, r, d] (xavier-uniform-like), b [M, d, r] zeros, per layer and projection."""
    bound = math.sqrt(6 / (D + RANK))
    return [{p: (rng.uniform(-bound, bound, (M, RANK, D)).astype(np.float32), np.zeros((M, D, RANK), np.float32))
             for p in "qkvo"} for _ in range(LAYERS)]


# ---------------------------------------------------------------- PyTorch
def run_torch(a, W, ids_np):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(a.threads)
    print(f"peer_version torch {torch.__version__}")
    print(f"peer_threads torch.set_num_threads({torch.get_num_threads()})")
    fused = hasattr(F, "scaled_dot_product_attention")
    print(f"peer_attention {'F.scaled_dot_product_attention' if fused else 'softmax(q k^T / sqrt(d) + mask) v'}")
    w = {k: torch.from_numpy(v) for k, v in W.items()}
    ids = torch.from_numpy(ids_np)
    b, t = ids.shape
    mask = (ids != 0).float()                                            # [B, T] real tokens
    dh = D // HEADS
    rng = np.random.default_rng(0)
    hw, hb = head_init(rng, M)
    head_w, head_b = torch.from_numpy(hw[0]).clone(), torch.from_numpy(hb[0, 0]).clone()
    labels = torch.arange(b) % CLASSES

    def ln(x, p):
        return F.layer_norm(x, (D,), w[p + ".weight"], w[p + ".bias"], 1e-12)

    def embed():
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t] \
            + w["embeddings.token_type_embeddings.weight"][0]
        return ln(x, "embeddings.LayerNorm")

    def encode(x, bias, lora=None):
        n = x.shape[0]
        for i in range(LAYERS):
            pre = f"encoder.layer.{i}."
            def proj(p, inp):
                y = F.linear(inp, w[pre + PROJ[p] + ".weight"], w[pre + PROJ[p] + ".bias"])
                if lora is not None:
                    la, lb = lora[i][p]
                    xm = inp.reshape(M, -1, D)
                    y = y + torch.bmm(torch.bmm(xm, la.transpose(1, 2)), lb.transpose(1, 2)).reshape(y.shape)
                return y
            q, k, v = (proj(p, x).reshape(n, t, HEADS, dh).transpose(1, 2) for p in "qkv")
            if fused:
                h = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
            else:
                h = torch.softmax(q @ k.transpose(-1, -2) * (1 / math.sqrt(dh)) + bias, -1) @ v
            x = ln(x + proj("o", h.transpose(1, 2).reshape(n, t, D)), pre + "attention.output.LayerNorm")
            inter = F.gelu(F.linear(x, w[pre + "intermediate.dense.weight"], w[pre + "intermediate.dense.bias"]))
            x = ln(x + F.linear(inter, w[pre + "output.dense.weight"], w[pre + "output.dense.bias"]), pre + "output.LayerNorm")
        return x

    def pool(x, mk):
        return (x * mk.unsqueeze(-1)).sum(1) / mk.sum(1, keepdim=True)

    bias1 = ((1 - mask) * -1e9).reshape(b, 1, 1, t)

    def forward(hw_, hb_):
        return F.linear(pool(encode(embed(), bias1), mask), hw_, hb_)

    def fwd():
        with torch.no_grad():
            forward(head_w, head_b)
    print(f"text_forward_ms threads={a.threads} {timed(a.steps, fwd) * 1000:.3f}")

    tw, tb = head_w.clone().requires_grad_(), head_b.clone().requires_grad_()
    def head_backward():
        loss = F.cross_entropy(forward(tw, tb), labels)
        tw.grad = tb.grad = None
        loss.backward()
    print(f"text_head_backward_ms threads={a.threads} {timed(a.steps, head_backward) * 1000:.3f}")

    lora = [{p: tuple(torch.from_numpy(v).requires_grad_() for v in pair) for p, pair in layer.items()} for layer in lora_init(rng)]
    hw4, hb4 = (torch.from_numpy(v).requires_grad_() for v in head_init(rng, M))
    params = [v for layer in lora for pair in layer.values() for v in pair] + [hw4, hb4]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0)
    mask_m = mask.repeat(M, 1)
    bias_m = bias1.repeat(M, 1, 1, 1)
    labels_m = labels.repeat(M)

    def lora_step():
        with torch.no_grad():
            e = embed()                                                  # frozen: computed once for all members
        x = e.unsqueeze(0).expand(M, b, t, D).reshape(M * b, t, D)
        f = pool(encode(x, bias_m, lora), mask_m).reshape(M, b, D)
        z = torch.bmm(f, hw4.transpose(1, 2)) + hb4                      # [M, B, C]
        loss = F.cross_entropy(z.reshape(-1, CLASSES), labels_m)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    print(f"text_lora4_step_ms threads={a.threads} {timed(max(2, a.steps // 2), lora_step) * 1000:.3f}")


# ---------------------------------------------------------------- JAX
def run_jax(a, W, ids_np):
    import jax
    import jax.numpy as jnp
    import optax
    print(f"peer_version jax {jax.__version__}, optax {optax.__version__}")
    print(f"peer_threads XLA CPU, affinity {sorted(os.sched_getaffinity(0))}, XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}")
    print("peer_attention jitted softmax(q k^T / sqrt(d) + mask) v")
    # Weights, ids and masks are jit ARGUMENTS: closed over, XLA would constant-fold the whole model at compile time.
    w = {k: jnp.asarray(v) for k, v in W.items()}
    ids = jnp.asarray(ids_np.astype(np.int32))
    b, t = ids_np.shape
    mask = (ids != 0).astype(jnp.float32)
    dh = D // HEADS
    rng = np.random.default_rng(0)
    hw, hb = head_init(rng, M)
    head = (jnp.asarray(hw[0]), jnp.asarray(hb[0, 0]))
    labels = jnp.arange(b) % CLASSES

    def ln(w, x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) * jax.lax.rsqrt(var + 1e-12) * w[p + ".weight"] + w[p + ".bias"]

    def linear(w, x, p):
        return x @ w[p + ".weight"].T + w[p + ".bias"]

    def embed(w, ids):
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t] \
            + w["embeddings.token_type_embeddings.weight"][0]
        return ln(w, x, "embeddings.LayerNorm")

    def encode(w, x, bias, lora=None):
        n = x.shape[0]
        for i in range(LAYERS):
            pre = f"encoder.layer.{i}."
            def proj(p, inp):
                y = linear(w, inp, pre + PROJ[p])
                if lora is not None:
                    la, lb = lora[i][p]
                    xm = inp.reshape(M, -1, D)
                    y = y + jnp.einsum("mnr,mdr->mnd", jnp.einsum("mnd,mrd->mnr", xm, la), lb).reshape(y.shape)
                return y
            q, k, v = (proj(p, x).reshape(n, t, HEADS, dh).transpose(0, 2, 1, 3) for p in "qkv")
            s = q @ k.transpose(0, 1, 3, 2) * (1 / math.sqrt(dh)) + bias
            h = jax.nn.softmax(s, -1) @ v
            x = ln(w, x + proj("o", h.transpose(0, 2, 1, 3).reshape(n, t, D)), pre + "attention.output.LayerNorm")
            inter = jax.nn.gelu(linear(w, x, pre + "intermediate.dense"), approximate=False)
            x = ln(w, x + linear(w, inter, pre + "output.dense"), pre + "output.LayerNorm")
        return x

    def pool(x, mk):
        return (x * mk[..., None]).sum(1) / mk.sum(1, keepdims=True)

    def logits(hd, w, ids, mask):
        bias = ((1 - mask) * -1e9).reshape(b, 1, 1, t)
        return pool(encode(w, embed(w, ids), bias), mask) @ hd[0].T + hd[1]

    def ce(z, y):
        return optax.softmax_cross_entropy_with_integer_labels(z, y).mean()

    fwd = jax.jit(logits)
    print(f"text_forward_ms threads={a.threads} {timed(a.steps, lambda: fwd(head, w, ids, mask).block_until_ready()) * 1000:.3f}")

    grad_head = jax.jit(jax.grad(lambda hd, w, ids, mask, y: ce(logits(hd, w, ids, mask), y)))
    print(f"text_head_backward_ms threads={a.threads} {timed(a.steps, lambda: jax.block_until_ready(grad_head(head, w, ids, mask, labels))) * 1000:.3f}")

    lora = [{p: tuple(jnp.asarray(v) for v in pair) for p, pair in layer.items()} for layer in lora_init(rng)]
    params = {"lora": lora, "heads": tuple(jnp.asarray(v) for v in head_init(rng, M))}
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(1e-4, weight_decay=0.0))
    state = opt.init(params)

    def loss_fn(pr, w, ids, mask, y):
        e = jax.lax.stop_gradient(embed(w, ids))                         # frozen: computed once for all members
        x = jnp.broadcast_to(e[None], (M, b, t, D)).reshape(M * b, t, D)
        mask_m = jnp.tile(mask, (M, 1))
        bias_m = ((1 - mask_m) * -1e9).reshape(M * b, 1, 1, t)
        f = pool(encode(w, x, bias_m, pr["lora"]), mask_m).reshape(M, b, D)
        z = jnp.einsum("mbd,mcd->mbc", f, pr["heads"][0]) + pr["heads"][1]
        return ce(z.reshape(-1, CLASSES), jnp.tile(y, M))

    @jax.jit
    def step(pr, st, w, ids, mask, y):
        g = jax.grad(loss_fn)(pr, w, ids, mask, y)
        up, st = opt.update(g, st, pr)
        return optax.apply_updates(pr, up), st

    box = [params, state]
    def run_step():
        box[0], box[1] = step(box[0], box[1], w, ids, mask, labels)
        jax.block_until_ready(box[0])
    print(f"text_lora4_step_ms threads={a.threads} {timed(max(2, a.steps // 2), run_step) * 1000:.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["torch", "jax"])
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    W = read_safetensors(os.path.join(a.model, "model.safetensors"))
    ids = read_ids(a.ids)
    if a.engine == "torch":
        run_torch(a, W, ids)
    else:
        run_jax(a, W, ids)


if __name__ == "__main__":
    # JAX/XLA reads its thread settings at start-up: set them before importing jax.
    if "jax" in sys.argv[1:2]:
        n = next((int(sys.argv[i + 1]) for i, v in enumerate(sys.argv) if v == "--threads"), os.cpu_count())
        if n < os.cpu_count():
            os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:n]))
        # XLA has no intra-op thread flag (its pool follows the affinity); Eigen's pool
        # off at 1 thread unless the caller chose (scripts/bench_text.sh tries both).
        if n == 1 and "multi_thread_eigen" not in os.environ.get("XLA_FLAGS", ""):
            os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
    main()
