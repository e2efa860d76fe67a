"""Hugging Face PEFT interop of lora's LoRA-Ensembles (BERT family), checked
with the real `peft` and `transformers` packages (PyPI, in the venv that
scripts/peft-env creates and reuses: Debian's PyTorch 1.13 with peft 0.13.2 and
transformers 4.46.3; `scripts/peft-env --torch2` gives PyTorch 2 with the newest).

    PY=$(scripts/peft-env)
    $PY scripts/peft_interop.py check-export DIR REF.json [DIR2 REF2.json ...]
        DIR is what lora's export_peft(ens, DIR) wrote (DIR/base_model, DIR/member{m}).
        Each member folder is loaded with peft.PeftModel.from_pretrained on
        transformers' BertModel from DIR/base_model; the texts of REF.json
        ({"texts": [...], "logits": [M*N*classes floats], "max_tokens": T}) are
        tokenized with transformers' AutoTokenizer from DIR/base_model, the
        member's head (head.safetensors) is applied to the pooling its metadata
        names, and every member's logits must equal lora's within 1e-4 (exit 1 otherwise).

    $PY scripts/peft_interop.py make-adapters BASE OUT [--members 3] [--classes 3]
        Creates adapters with peft (get_peft_model on BertModel(BASE), LoRA on
        query and value, r 2, lora_alpha 3) and trains each member for a few
        AdamW steps with a head on the mean-pooled output, one seed per member;
        saves them with save_pretrained into OUT/member{m} plus the head
        (OUT/member{m}/head.safetensors), and writes OUT/reference.json with the
        texts and every member's logits, for lora's import_peft to reproduce.
"""
import json, os, sys
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoTokenizer, BertModel
from peft import LoraConfig, PeftModel, get_peft_model
import transformers, warnings

transformers.logging.set_verbosity_error()
warnings.filterwarnings("ignore")

TOLERANCE = 1e-4
TEXTS = ["wheat and corn prices rose", "the committee met on tuesday", "grain exports fell sharply last week",
         "a short one", "Fortune favours the bold, they say, but the bold rarely read fortunes."]


def pooled(hidden, mask, pooling):
    if pooling == "cls":
        return hidden[:, 0]
    m = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * m).sum(1) / m.sum(1)


def member_logits(model, head, pooling, batch):
    with torch.no_grad():
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                    token_type_ids=torch.zeros_like(batch["input_ids"]))
        f = pooled(out.last_hidden_state, batch["attention_mask"], pooling)
        return f @ head["weight"].T + head["bias"]


def check_export(folder, ref_path):
    ref = json.load(open(ref_path))
    base_dir = os.path.join(folder, "base_model")
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    batch = tokenizer(ref["texts"], padding=True, truncation=True, max_length=ref["max_tokens"], return_tensors="pt")
    members = sorted((d for d in os.listdir(folder) if d.startswith("member")), key=lambda d: int(d[6:]))
    n, worst, per = len(ref["texts"]), 0.0, []
    expected = torch.tensor(ref["logits"], dtype=torch.float64).reshape(len(members), n, -1)
    for m, d in enumerate(members):
        path = os.path.join(folder, d)
        base = BertModel.from_pretrained(base_dir, add_pooling_layer=False).to(torch.float64).eval()
        model = PeftModel.from_pretrained(base, path).to(torch.float64).eval()
        config = json.load(open(os.path.join(path, "adapter_config.json")))
        adapted = sum(1 for name, _ in model.named_modules() if name.endswith(".lora_A"))
        if adapted != len(config["target_modules"]):
            raise SystemExit(f"{path}: peft adapted {adapted} modules but target_modules lists {len(config['target_modules'])}")
        head = {k: v.to(torch.float64) for k, v in load_file(os.path.join(path, "head.safetensors")).items()}
        pooling = safetensors_metadata(os.path.join(path, "head.safetensors")).get("pooling", "mean")
        z = member_logits(model, head, pooling, batch)
        d_m = (z - expected[m]).abs().max().item()
        per.append(d_m)
        worst = max(worst, d_m)
    print(f"{folder}: peft {__import__('peft').__version__} / transformers {transformers.__version__}: "
          f"{len(members)} members, {n} texts: max |lora - peft| = {worst:.3g} "
          f"(per member {', '.join(f'{d:.2g}' for d in per)}), tolerance {TOLERANCE}")
    return worst <= TOLERANCE


def safetensors_metadata(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(n)).get("__metadata__", {})


def make_adapters(base_dir, out, members=3, classes=3):
    os.makedirs(out, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=32, return_tensors="pt")
    labels = torch.tensor([i % classes for i in range(len(TEXTS))])
    logits = []
    for m in range(members):
        torch.manual_seed(100 + m)
        base = BertModel.from_pretrained(base_dir, add_pooling_layer=False)
        config = LoraConfig(r=2, lora_alpha=3, target_modules=["query", "value"], lora_dropout=0.0, bias="none")
        model = get_peft_model(base, config)
        hidden = base.config.hidden_size
        head = torch.nn.Linear(hidden, classes)
        params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
        opt = torch.optim.AdamW(params, lr=5e-2)
        model.train()
        for _ in range(4):
            hidden_states = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                  token_type_ids=torch.zeros_like(batch["input_ids"])).last_hidden_state
            loss = torch.nn.functional.cross_entropy(head(pooled(hidden_states, batch["attention_mask"], "mean")), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        folder = os.path.join(out, f"member{m}")
        model.save_pretrained(folder)
        h = {"weight": head.weight.detach().contiguous(), "bias": head.bias.detach().contiguous()}
        save_file(h, os.path.join(folder, "head.safetensors"), metadata={"format": "pt", "pooling": "mean"})
        # The reference: what the saved files give, in float64.
        base64 = BertModel.from_pretrained(base_dir, add_pooling_layer=False).to(torch.float64).eval()
        reloaded = PeftModel.from_pretrained(base64, folder).to(torch.float64).eval()
        logits.append(member_logits(reloaded, {k: v.to(torch.float64) for k, v in h.items()}, "mean", batch))
    z = torch.stack(logits)
    json.dump({"texts": TEXTS, "max_tokens": 32, "members": members, "classes": classes,
               "logits": z.flatten().tolist()}, open(os.path.join(out, "reference.json"), "w"))
    print(f"wrote {members} peft adapter folders (r 2, lora_alpha 3, query and value, 4 AdamW steps each) into {out}")


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and len(a) % 2 == 1 and a[0] == "check-export":
        results = [check_export(d, r) for d, r in zip(a[1::2], a[2::2])]
        sys.exit(0 if all(results) else 1)
    elif len(a) >= 3 and a[0] == "make-adapters":
        opts = dict(zip(a[3::2], a[4::2]))
        make_adapters(a[1], a[2], members=int(opts.get("--members", 3)), classes=int(opts.get("--classes", 3)))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
