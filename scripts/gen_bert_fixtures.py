#!/usr/bin/python3
"""Generates the BERT fixtures of Tests/NNTests/Fixtures with an independent
PyTorch reference (float64; torch.nn.functional's layer_norm, exact GELU and a
masked softmax, as Hugging Face's BertModel computes them):

  tiny-bert/            a tiny random BERT model folder (config.json,
                        model.safetensors with a pooler and the position_ids
                        buffer as the real files have, vocab.txt)
  tiny_bert.json        texts, their ids, per-layer hidden states of the padded
                        batch, mean and [CLS] pooling; a 2-member LoRA-Ensemble
                        on it (random A and B): member logits, and two AdamW
                        training steps (losses and parameters after)
  dtypes.safetensors    F16 and BF16 tensors with the values they hold (F32)
  minilm_reference.safetensors
                        (when all-MiniLM-L6-v2 is installed, scripts/get-model
                        minilm): ids of three texts from Hugging Face
                        `tokenizers` (a venv), hidden states of every layer and
                        the mean-pooled sentence vectors

Run with Debian's python3 (has torch):
    /usr/bin/python3 scripts/gen_bert_fixtures.py
"""
import json, math, os, struct, subprocess, sys
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "NNTests", "Fixtures")
torch.manual_seed(2024)


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> (dtype, shape, raw bytes)."""
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def f32(t):
    t = t.detach().to(torch.float32).contiguous()
    return ("F32", tuple(t.shape), t.numpy().tobytes())


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    out = {}
    for k, v in h.items():
        if k == "__metadata__" or v["dtype"] != "F32":
            continue
        s, e = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=torch.float32).reshape(v["shape"]).to(torch.float64)
    return out


def bert_layers(p, ids, lengths, cfg, adapters=None, member=None):
    """Hidden states after the embeddings and after every layer: a list of [B, T, d]."""
    d, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    B, T = ids.shape
    g = lambda n: p[n]
    x = g("embeddings.word_embeddings.weight")[ids] + g("embeddings.position_embeddings.weight")[:T] \
        + g("embeddings.token_type_embeddings.weight")[0]
    x = F.layer_norm(x, (d,), g("embeddings.LayerNorm.weight"), g("embeddings.LayerNorm.bias"), eps)
    mask = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]          # [B, T] keys
    bias = torch.zeros(B, 1, 1, T, dtype=torch.float64).masked_fill(~mask[:, None, None, :], torch.finfo(torch.float64).min)
    outs = [x]
    dh = d // heads
    for i in range(cfg["num_hidden_layers"]):
        pre = f"encoder.layer.{i}."

        def lin(name, y, proj):
            w = g(pre + name + ".weight")
            if adapters is not None and (i, proj) in adapters:
                A, Bm = adapters[(i, proj)]
                w = w + Bm[member] @ A[member]
            return y @ w.T + g(pre + name + ".bias")

        q = lin("attention.self.query", x, "q").view(B, T, heads, dh).transpose(1, 2)
        k = lin("attention.self.key", x, "k").view(B, T, heads, dh).transpose(1, 2)
        v = lin("attention.self.value", x, "v").view(B, T, heads, dh).transpose(1, 2)
        s = q @ k.transpose(-1, -2) / math.sqrt(dh) + bias
        a = torch.softmax(s, -1) @ v
        a = a.transpose(1, 2).reshape(B, T, d)
        h = F.layer_norm(x + lin("attention.output.dense", a, "o"), (d,),
                         g(pre + "attention.output.LayerNorm.weight"), g(pre + "attention.output.LayerNorm.bias"), eps)
        m = F.gelu(h @ g(pre + "intermediate.dense.weight").T + g(pre + "intermediate.dense.bias"))
        m = m @ g(pre + "output.dense.weight").T + g(pre + "output.dense.bias")
        x = F.layer_norm(h + m, (d,), g(pre + "output.LayerNorm.weight"), g(pre + "output.LayerNorm.bias"), eps)
        outs.append(x)
    return outs


def mean_pool(h, lengths):
    return torch.stack([h[i, :n].mean(0) for i, n in enumerate(lengths)])


def tiny():
    words = ("the wheat grain corn price rose fell market export tonnes farmers said year week "
             "a of to in and for on was by with crop harvest rain good bad").split()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
    cfg = {"model_type": "bert", "architectures": ["BertModel"], "hidden_act": "gelu",
           "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 24,
           "max_position_embeddings": 32, "type_vocab_size": 2, "vocab_size": len(vocab),
           "layer_norm_eps": 1e-12, "position_embedding_type": "absolute", "pad_token_id": 0}
    d, I = cfg["hidden_size"], cfg["intermediate_size"]
    r = lambda *s, sd=0.4: torch.randn(*s, dtype=torch.float64) * sd
    p = {"embeddings.word_embeddings.weight": r(len(vocab), d),
         "embeddings.position_embeddings.weight": r(32, d, sd=0.2),
         "embeddings.token_type_embeddings.weight": r(2, d, sd=0.2),
         "embeddings.LayerNorm.weight": 1 + r(d, sd=0.1), "embeddings.LayerNorm.bias": r(d, sd=0.1)}
    for i in range(cfg["num_hidden_layers"]):
        pre = f"encoder.layer.{i}."
        for n in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]:
            p[pre + n + ".weight"] = r(d, d); p[pre + n + ".bias"] = r(d, sd=0.1)
        p[pre + "attention.output.LayerNorm.weight"] = 1 + r(d, sd=0.1)
        p[pre + "attention.output.LayerNorm.bias"] = r(d, sd=0.1)
        p[pre + "intermediate.dense.weight"] = r(I, d); p[pre + "intermediate.dense.bias"] = r(I, sd=0.1)
        p[pre + "output.dense.weight"] = r(d, I); p[pre + "output.dense.bias"] = r(d, sd=0.1)
        p[pre + "output.LayerNorm.weight"] = 1 + r(d, sd=0.1); p[pre + "output.LayerNorm.bias"] = r(d, sd=0.1)
    # Stored as Float32: the reference computes from exactly those values.
    p = {k: v.to(torch.float32).to(torch.float64) for k, v in p.items()}
    folder = os.path.join(OUT, "tiny-bert")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    files = {k: f32(v) for k, v in p.items()}
    files["embeddings.position_ids"] = ("I64", (1, 32), torch.arange(32, dtype=torch.int64).numpy().tobytes())
    files["pooler.dense.weight"] = f32(r(d, d)); files["pooler.dense.bias"] = f32(r(d))
    write_safetensors(os.path.join(folder, "model.safetensors"), files, {"format": "pt"})

    texts = ["the wheat price rose", "farmers said the corn crop was good this year",
             "grain", "export of wheat fell by a tonnes in the week"]
    index = {w: i for i, w in enumerate(vocab)}
    rows = [[2] + [index.get(w, 1) for w in t.split()] + [3] for t in texts]
    lengths = [len(x) for x in rows]
    T = max(lengths)
    ids = torch.tensor([x + [0] * (T - len(x)) for x in rows])
    hs = bert_layers(p, ids, lengths, cfg)
    out = {"texts": texts, "ids": ids.flatten().tolist(), "lengths": lengths, "length": T,
           "hidden": [h.flatten().tolist() for h in hs],
           "mean": mean_pool(hs[-1], lengths).flatten().tolist(), "cls": hs[-1][:, 0].flatten().tolist()}

    # A 2-member LoRA-Ensemble (rank 2, every layer and projection) with 3 classes.
    M, R, C = 2, 2, 3
    ad = {}
    lora_params = {}
    for i in range(cfg["num_hidden_layers"]):
        for proj in "qkvo":
            A = r(M, R, d, sd=0.3).to(torch.float32).to(torch.float64)
            Bm = r(M, d, R, sd=0.2).to(torch.float32).to(torch.float64)
            ad[(i, proj)] = (A, Bm)
            lora_params[f"lora.{i}.{proj}.A"] = A
            lora_params[f"lora.{i}.{proj}.B"] = Bm
    HW = r(M, C, d, sd=0.3).to(torch.float32).to(torch.float64)
    Hb = r(M, C, sd=0.1).to(torch.float32).to(torch.float64)
    lora_params["heads.weight"] = HW; lora_params["heads.bias"] = Hb

    def member_logits(params, adapters, heads_w, heads_b, ids, lengths):
        zs = []
        for m in range(M):
            h = bert_layers(params, ids, lengths, cfg, adapters, m)[-1]
            zs.append(mean_pool(h, lengths) @ heads_w[m].T + heads_b[m])
        return torch.stack(zs)                                            # [M, B, C]

    z = member_logits(p, ad, HW, Hb, ids, lengths)
    out["lora"] = {"members": M, "rank": R, "classes": C,
                   "params": {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in lora_params.items()},
                   "logits": z.flatten().tolist()}

    # Two training steps: batch 2 in order, mean of the members' cross-entropies,
    # global-norm clipping 1.0, AdamW (lr 1e-3, weight decay 0.01, torch defaults).
    labels = [0, 2, 1, 2]
    train = {k: v.clone().requires_grad_(True) for k, v in lora_params.items()}
    opt = torch.optim.AdamW(list(train.values()), lr=1e-3, weight_decay=0.01)
    losses = []
    for step in range(2):
        sl = slice(2 * step, 2 * step + 2)
        b_ids = ids[sl]
        b_len = lengths[sl]
        b_ids = b_ids[:, :max(b_len)]
        adapters = {(i, proj): (train[f"lora.{i}.{proj}.A"], train[f"lora.{i}.{proj}.B"])
                    for i in range(cfg["num_hidden_layers"]) for proj in "qkvo"}
        zz = member_logits(p, adapters, train["heads.weight"], train["heads.bias"], b_ids, b_len)
        y = torch.tensor(labels[sl]).repeat(M)
        loss = F.cross_entropy(zz.reshape(M * 2, C), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(train.values()), 1.0)
        opt.step()
        losses.append(loss.item())
    out["train"] = {"labels": labels, "losses": losses,
                    "after": {k: {"shape": list(v.shape), "data": v.detach().flatten().tolist()} for k, v in train.items()}}
    with open(os.path.join(OUT, "tiny_bert.json"), "w") as f:
        json.dump(out, f)


def dtypes():
    vals = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6.1035156e-05, 5.9604645e-08, 0.333251953125, float("inf")],
                        dtype=torch.float32)
    half = vals.to(torch.float16)
    bf = vals.to(torch.bfloat16)
    write_safetensors(os.path.join(OUT, "dtypes.safetensors"), {
        "half": ("F16", (len(vals),), half.numpy().tobytes()),
        "brain": ("BF16", (3, 3), bf.view(torch.int16).numpy().tobytes()),
        "half_as_f32": f32(half.to(torch.float32)),
        "brain_as_f32": ("F32", (3, 3), bf.to(torch.float32).numpy().tobytes()),
        "ids": ("I64", (2,), torch.tensor([7, 9], dtype=torch.int64).numpy().tobytes()),
    })


def minilm():
    folder = os.environ.get("LORA_MODELS", os.path.expanduser("~/.cache/lora/models")) + "/minilm"
    if not os.path.exists(folder + "/model.safetensors"):
        print("minilm not installed (scripts/get-model minilm): skipping its reference", file=sys.stderr)
        return
    venv = os.environ.get("LORA_VENV", "/tmp/lora-venv")
    if not os.path.exists(venv + "/bin/python"):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    subprocess.check_call([venv + "/bin/python", "-m", "pip", "install", "-q", "tokenizers"])
    texts = ["Wheat exports rose 12 pct in the week to March 3, the USDA said.",
             "Café naïve résumé — 中文 and emoji 🎉!",
             "Grain."]
    enc = json.loads(subprocess.check_output([venv + "/bin/python", "-c", """
import json, sys
from tokenizers import Tokenizer
t = Tokenizer.from_file(sys.argv[1])
t.no_truncation(); t.no_padding()
print(json.dumps([t.encode(x).ids for x in json.loads(sys.argv[2])]))
""", folder + "/tokenizer.json", json.dumps(texts)]))
    cfg = json.load(open(folder + "/config.json"))
    p = read_safetensors(folder + "/model.safetensors")
    lengths = [len(e) for e in enc]
    T = max(lengths)
    ids = torch.tensor([e + [0] * (T - len(e)) for e in enc])
    hs = bert_layers(p, ids, lengths, cfg)
    tensors = {"ids": f32(ids.to(torch.float64)), "lengths": f32(torch.tensor(lengths, dtype=torch.float64)),
               "mean": f32(mean_pool(hs[-1], lengths))}
    for i, h in enumerate(hs):
        tensors[f"hidden.{i}"] = f32(h)
    write_safetensors(os.path.join(OUT, "minilm_reference.safetensors"), tensors,
                      {"texts": json.dumps(texts), "torch": torch.__version__})


if __name__ == "__main__":
    tiny()
    dtypes()
    minilm()
    print("wrote fixtures to", OUT)
