#!/usr/bin/python3
"""Generates Tests/NNTests/Fixtures/lora_ensemble.json: a tiny ViT with
LoRA-Ensemble adapters (random A and non-zero B), its inputs, and the
per-member logits and class-token features computed by an independent PyTorch
reference (float64): each member runs alone with its merged weights
W0 + B_m A_m, patches embedded by a real Conv2d, torch's layer_norm, GELU and
softmax attention. Run with Debian's python3 (has torch):
    /usr/bin/python3 scripts/gen_nn_fixtures.py
"""
import json, math, os
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
C, H, W, P = 2, 8, 4, 2          # non-square image, 4x2 patch grid
D, DEPTH, HEADS, MLP, CLASSES = 8, 2, 2, 12, 3
M, R = 3, 2
EPS = 1e-6
N = 2
T = (H // P) * (W // P) + 1

params = {}
def put(name, t):
    params[name] = t.to(torch.float64)

def rnd(*shape, s=0.3):
    return torch.randn(*shape, dtype=torch.float64) * s

put("backbone.patch.weight", rnd(D, C * P * P))
put("backbone.patch.bias", rnd(D, s=0.1))
put("backbone.cls", rnd(1, 1, D))
put("backbone.pos", rnd(1, T, D))
for i in range(DEPTH):
    b = f"backbone.blocks.{i}."
    put(b + "ln1.weight", 1 + rnd(D, s=0.1)); put(b + "ln1.bias", rnd(D, s=0.1))
    for p in "qkvo":
        put(b + f"attn.{p}.weight", rnd(D, D)); put(b + f"attn.{p}.bias", rnd(D, s=0.1))
    put(b + "ln2.weight", 1 + rnd(D, s=0.1)); put(b + "ln2.bias", rnd(D, s=0.1))
    put(b + "mlp.fc1.weight", rnd(MLP, D)); put(b + "mlp.fc1.bias", rnd(MLP, s=0.1))
    put(b + "mlp.fc2.weight", rnd(D, MLP)); put(b + "mlp.fc2.bias", rnd(D, s=0.1))
put("backbone.norm.weight", 1 + rnd(D, s=0.1)); put("backbone.norm.bias", rnd(D, s=0.1))
put("backbone.head.weight", rnd(CLASSES, D)); put("backbone.head.bias", rnd(CLASSES, s=0.1))
for i in range(DEPTH):
    for p in "qkvo":
        put(f"lora.{i}.{p}.A", rnd(M, R, D))
        put(f"lora.{i}.{p}.B", rnd(M, D, R, s=0.2))
put("heads.weight", rnd(M, CLASSES, D)); put("heads.bias", rnd(M, CLASSES, s=0.1))

images = torch.rand(N, C, H, W, dtype=torch.float64)

def member_forward(m, x):
    g = lambda n: params[n]
    conv_w = g("backbone.patch.weight").reshape(D, C, P, P)
    e = F.conv2d(x, conv_w, g("backbone.patch.bias"), stride=P)       # [N, D, gh, gw]
    e = e.flatten(2).transpose(1, 2)                                   # [N, P, D]
    cls = g("backbone.cls").expand(x.shape[0], 1, D)
    h = torch.cat([cls, e], 1) + g("backbone.pos")
    for i in range(DEPTH):
        b = f"backbone.blocks.{i}."
        y = F.layer_norm(h, (D,), g(b + "ln1.weight"), g(b + "ln1.bias"), EPS)
        def proj(p, inp):
            w = g(b + f"attn.{p}.weight") + g(f"lora.{i}.{p}.B")[m] @ g(f"lora.{i}.{p}.A")[m]
            return F.linear(inp, w, g(b + f"attn.{p}.bias"))
        q, k, v = (proj(p, y).reshape(N, T, HEADS, D // HEADS).transpose(1, 2) for p in "qkv")
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // HEADS), -1)
        o = (a @ v).transpose(1, 2).reshape(N, T, D)
        h = h + proj("o", o)
        y = F.layer_norm(h, (D,), g(b + "ln2.weight"), g(b + "ln2.bias"), EPS)
        y = F.linear(F.gelu(F.linear(y, g(b + "mlp.fc1.weight"), g(b + "mlp.fc1.bias"))),
                     g(b + "mlp.fc2.weight"), g(b + "mlp.fc2.bias"))
        h = h + y
    h = F.layer_norm(h, (D,), g("backbone.norm.weight"), g("backbone.norm.bias"), EPS)
    f = h[:, 0]
    return f, F.linear(f, g("heads.weight")[m], g("heads.bias")[m])

feats, logits = zip(*(member_forward(m, images) for m in range(M)))
flat = lambda t: [float(v) for v in t.reshape(-1)]
out = {
    "config": dict(channels=C, height=H, width=W, patch=P, dim=D, depth=DEPTH, heads=HEADS,
                   mlp=MLP, classes=CLASSES, eps=EPS),
    "members": M, "rank": R, "count": N,
    "params": {k: {"shape": list(v.shape), "data": flat(v)} for k, v in params.items()},
    "images": flat(images),
    "features": flat(torch.stack(feats)),       # [M, N, D]
    "logits": flat(torch.stack(logits)),        # [M, N, C]
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NNTests", "Fixtures", "lora_ensemble.json")
with open(path + ".tmp", "w") as fh:
    json.dump(out, fh)
os.replace(path + ".tmp", path)
print("wrote", os.path.normpath(path), "logits[0,0] =", out["logits"][:CLASSES])

# --- Two training steps of the same LoRA-Ensemble, as the Swift trainer takes
# them: loss = mean over members of each member's cross-entropy on the same
# batch, global-norm clipping at 1.0 over the trainable parameters (adapters and
# heads; the backbone is frozen), AdamW(lr 1e-3, betas (0.9, 0.999), eps 1e-8,
# weight decay 0.01) with a constant learning rate.
labels = torch.tensor([2, 0])
trainable = {k: v.clone().requires_grad_(True) for k, v in params.items() if k.startswith(("lora.", "heads."))}
frozen = {k: v for k, v in params.items() if k not in trainable}
def train_logits():
    saved = dict(params)
    params.update(trainable)
    try:
        return [member_forward(m, images)[1] for m in range(M)]
    finally:
        params.clear(); params.update(saved)
names = sorted(trainable)
opt = torch.optim.AdamW([trainable[k] for k in names], lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
losses = []
for _ in range(2):
    loss = sum(F.cross_entropy(z, labels) for z in train_logits()) / M
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_([trainable[k] for k in names], 1.0)
    opt.step()
    losses.append(float(loss))
step_out = {"labels": labels.tolist(), "losses": losses,
            "after": {k: {"shape": list(trainable[k].shape), "data": flat(trainable[k].detach())} for k in names}}
sp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NNTests", "Fixtures", "lora_train_steps.json")
with open(sp + ".tmp", "w") as fh:
    json.dump(step_out, fh)
os.replace(sp + ".tmp", sp)
print("wrote", os.path.normpath(sp), "losses", losses)

# --- A tiny safetensors file written by hand from the format's specification
# (8-byte little-endian header length, JSON header, raw little-endian data),
# to check the Swift reader against an independent writer.
import struct
tensors = {"b": [[1.5, -2.0, 3.25]], "a": [0.5, 0.25]}
shapes = {"b": [1, 3], "a": [2]}
order = ["a", "b"]
header, blob, off = {"__metadata__": {"origin": "gen_nn_fixtures.py"}}, b"", 0
for k in order:
    vals = [v for row in tensors[k] for v in (row if isinstance(row, list) else [row])]
    raw = struct.pack("<%df" % len(vals), *vals)
    header[k] = {"dtype": "F32", "shape": shapes[k], "data_offsets": [off, off + len(raw)]}
    blob += raw; off += len(raw)
hj = json.dumps(header).encode()
st_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NNTests", "Fixtures", "tiny.safetensors")
with open(st_path + ".tmp", "wb") as fh:
    fh.write(struct.pack("<Q", len(hj)) + hj + blob)
os.replace(st_path + ".tmp", st_path)
print("wrote", os.path.normpath(st_path))
