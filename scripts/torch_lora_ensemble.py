#!/usr/bin/python3
"""Loads a LoRA-Ensemble saved by lora (`ens.save("ens.safetensors")`), on a
ViT or a BERT-family model (MiniLM), in PyTorch from the file alone: the
safetensors layout is parsed here (no lora code, no safetensors package), the
model is rebuilt from the metadata (`backbone`, `config`, `members`, `rank`,
`targets`, `layers`, `alpha`) and the tensors' names (timm's for a ViT, Hugging
Face's for a BERT, `<projection>.lora_A.member{m}.weight` [r, in] and
`.lora_B.member{m}.weight` [out, r] for the adapters, `heads.{m}.*`), and every
member's logits are computed in float64 with torch's conv2d / embeddings,
layer_norm, GELU and softmax attention (padding masked for text), each member
with its merged weights W0 + scale * B_m A_m.

    /usr/bin/python3 scripts/torch_lora_ensemble.py ens.safetensors              # logits of random inputs
    /usr/bin/python3 scripts/torch_lora_ensemble.py ens.safetensors --check ref.json

With --check, ref.json holds {"images": [N*C*H*W floats], "count": N} for a
ViT, or {"ids": [[token ids] per text, unpadded]} for a BERT (lora's
tokenizer, itself checked against Hugging Face tokenizers), and
"logits": [M*N*classes floats] (what lora computed); the script exits 1
unless every member's logits agree within 1e-4.
Run with Debian's python3 (python3-torch).
"""
import json, math, struct, sys
import torch
import torch.nn.functional as F

TOLERANCE = 1e-4


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        if e["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} has dtype {e['dtype']}; lora writes F32")
        begin, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=torch.float32)
        tensors[name] = t.reshape(e["shape"]).to(torch.float64)
    return tensors, metadata


def check_kind(md):
    if md.get("format") != "lora-checkpoint-3":
        raise SystemExit(f"format {md.get('format')}: save it again with this lora (format lora-checkpoint-3 has timm and PEFT names)")
    if md.get("backbone", "vit") not in ("vit", "bert") or md.get("kind") not in ("LoRA-Ensemble", "single + LoRA"):
        raise SystemExit(f"this script reads LoRA-Ensembles on a ViT or a BERT; the file holds {md.get('kind')} on {md.get('backbone')}")


def adapter_options(md, depth):
    M, R = int(md["members"]), int(md["rank"])
    targets = md["targets"].split(",")
    first, last = (map(int, md["layers"].split("..<")) if "layers" in md else (0, depth))
    scale = 1.0 if md.get("alpha", "none") == "none" else float(md["alpha"]) / R
    return M, targets, first, last, scale


BERT_PARTS = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value", "o": "attention.output.dense"}


def bert_member_logits(tensors, md, rows):
    """rows: token ids per text (unpadded). Hugging Face BertModel's forward
    (post-LN, exact GELU, padded keys masked), then lora's pooling and head."""
    c = json.loads(md["config"])
    D, DEPTH, HEADS, EPS = c["hidden"], c["layers"], c["heads"], c["eps"]
    M, targets, first, last, scale = adapter_options(md, DEPTH)
    g = lambda n: tensors["backbone." + n]
    N, T = len(rows), max(len(r) for r in rows)
    ids = torch.zeros(N, T, dtype=torch.long)
    mask = torch.zeros(N, T, dtype=torch.float64)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    bias = (1 - mask)[:, None, None, :] * torch.finfo(torch.float64).min
    out = []
    for m in range(M):
        e = g("embeddings.word_embeddings.weight")[ids] + g("embeddings.position_embeddings.weight")[:T] \
            + g("embeddings.token_type_embeddings.weight")[0]
        h = F.layer_norm(e, (D,), g("embeddings.LayerNorm.weight"), g("embeddings.LayerNorm.bias"), EPS)
        for i in range(DEPTH):
            b = f"encoder.layer.{i}."

            def proj(p, x):
                path = b + BERT_PARTS[p]
                w = g(path + ".weight")
                if first <= i < last and p in targets:
                    w = w + scale * g(f"{path}.lora_B.member{m}.weight") @ g(f"{path}.lora_A.member{m}.weight")
                return F.linear(x, w, g(path + ".bias"))

            q, k, v = (proj(p, h).reshape(N, T, HEADS, D // HEADS).transpose(1, 2) for p in "qkv")
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // HEADS) + bias, -1)
            y = proj("o", (a @ v).transpose(1, 2).reshape(N, T, D))
            h = F.layer_norm(h + y, (D,), g(b + "attention.output.LayerNorm.weight"), g(b + "attention.output.LayerNorm.bias"), EPS)
            y = F.linear(F.gelu(F.linear(h, g(b + "intermediate.dense.weight"), g(b + "intermediate.dense.bias"))),
                         g(b + "output.dense.weight"), g(b + "output.dense.bias"))
            h = F.layer_norm(h + y, (D,), g(b + "output.LayerNorm.weight"), g(b + "output.LayerNorm.bias"), EPS)
        if c.get("pooling", "mean") == "cls":
            f = h[:, 0]
        else:
            f = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
        out.append(F.linear(f, tensors[f"heads.{m}.weight"], tensors[f"heads.{m}.bias"]))
    return torch.stack(out)          # [M, N, classes]


def member_logits(tensors, md, images):
    check_kind(md)
    c = json.loads(md["config"])
    C, P, D, DEPTH, HEADS, EPS = c["channels"], c["patch"], c["dim"], c["depth"], c["heads"], c["eps"]
    M, targets, first, last, scale = adapter_options(md, DEPTH)
    g = lambda n: tensors["backbone." + n]
    N = images.shape[0]
    out = []
    for m in range(M):
        e = F.conv2d(images, g("patch_embed.proj.weight"), g("patch_embed.proj.bias"), stride=P)
        e = e.flatten(2).transpose(1, 2)
        h = torch.cat([g("cls_token").expand(N, 1, D), e], 1) + g("pos_embed")
        T = h.shape[1]
        for i in range(DEPTH):
            b = f"blocks.{i}."

            def proj(p, x):
                path = b + "attn." + ("proj" if p == "o" else p)
                w = g(path + ".weight")
                if first <= i < last and p in targets:
                    w = w + scale * g(f"{path}.lora_B.member{m}.weight") @ g(f"{path}.lora_A.member{m}.weight")
                return F.linear(x, w, g(path + ".bias"))

            y = F.layer_norm(h, (D,), g(b + "norm1.weight"), g(b + "norm1.bias"), EPS)
            q, k, v = (proj(p, y).reshape(N, T, HEADS, D // HEADS).transpose(1, 2) for p in "qkv")
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // HEADS), -1)
            h = h + proj("o", (a @ v).transpose(1, 2).reshape(N, T, D))
            y = F.layer_norm(h, (D,), g(b + "norm2.weight"), g(b + "norm2.bias"), EPS)
            y = F.linear(F.gelu(F.linear(y, g(b + "mlp.fc1.weight"), g(b + "mlp.fc1.bias"))),
                         g(b + "mlp.fc2.weight"), g(b + "mlp.fc2.bias"))
            h = h + y
        f = F.layer_norm(h, (D,), g("norm.weight"), g("norm.bias"), EPS)[:, 0]
        out.append(F.linear(f, tensors[f"heads.{m}.weight"], tensors[f"heads.{m}.bias"]))
    return torch.stack(out)          # [M, N, classes]


def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and sys.argv[2] != "--check"):
        raise SystemExit(__doc__)
    tensors, md = read_safetensors(sys.argv[1])
    check_kind(md)
    c = json.loads(md["config"])
    ref = json.load(open(sys.argv[3])) if len(sys.argv) == 4 else None
    torch.manual_seed(0)
    if md.get("backbone") == "bert":
        rows = ref["ids"] if ref else [[int(x) for x in torch.randint(0, c["vocabularySize"], (n,))] for n in (5, 3)]
        logits = bert_member_logits(tensors, md, rows)
        what = "texts"
    else:
        if ref:
            images = torch.tensor(ref["images"], dtype=torch.float64).reshape(ref["count"], c["channels"], c["height"], c["width"])
        else:
            images = torch.rand(2, c["channels"], c["height"], c["width"], dtype=torch.float64)
        logits = member_logits(tensors, md, images)
        what = "images"
    if len(sys.argv) == 2:
        print(logits)
        return
    expected = torch.tensor(ref["logits"], dtype=torch.float64).reshape(logits.shape)
    worst = (logits - expected).abs().max().item()
    per_member = [(logits[m] - expected[m]).abs().max().item() for m in range(logits.shape[0])]
    print(f"{md.get('backbone', 'vit')}: {logits.shape[0]} members, {logits.shape[1]} {what}: max |lora - torch| = {worst:.3g} "
          f"(per member {', '.join(f'{d:.2g}' for d in per_member)}), tolerance {TOLERANCE}")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    main()
