#!/usr/bin/env python3
"""A small transformer encoder trained from scratch on a text CSV, through hps's
`command` objective (configs/model/transformer.yaml). Needs PyTorch (Debian:
python3-torch, `scripts/deps.sh` installs it); runs on the CPU.

In (from hps): the dataset's local copy in $HPS_DATA (a CSV with a text column, a
label column and a split column whose value `test` marks the independent test rows),
the hyperparameters as HPS_PARAM_<NAME> (d_model, layers, heads, ff, dropout, lr,
weight_decay, epochs, batch, max_len, vocab_size, min_count, pretrained), HPS_SEED, and
HPS_FINAL=1 for the final refit.

Search trials train on 80% of the training rows and print `report EPOCH ACCURACY`
after every epoch (the validation accuracy; a pruner may stop the run there), then the
last validation accuracy. The final refit trains on all the training rows and prints
the accuracy on the test rows. When $HPS_ARTIFACT_DIR is set the trained model is
saved there as model.pt: a dict with the state dict, the vocabulary and the
hyperparameters, which `pretrained` (or --pretrained) loads back.

pretrained: a local file with a state dict, or a checkpoint dict holding one under
`state_dict` or `model_state` (and optionally its `vocab`), is loaded before training:
tensors whose names and shapes match the model are taken, the rest is left as
initialised and listed on stderr. Without a vocabulary in the file, the vocabulary is
built from the training rows as usual.

Tokens: lower-cased runs of letters, digits and apostrophes ("<br />" dropped); the
vocabulary is the training rows' words seen at least min_count times, the most
frequent vocab_size of them; id 0 pads, 1 is an unknown word. A review is cut to
max_len tokens."""
import argparse
import collections
import csv
import os
import random
import re
import sys

import torch
from torch import nn

FORMAT = "hps-transformer-1"
DEFAULTS = {"d_model": 64, "layers": 2, "heads": 4, "ff": 0, "dropout": 0.1, "lr": 1e-3,
            "weight_decay": 0.01, "epochs": 5, "batch": 32, "max_len": 128,
            "vocab_size": 20000, "min_count": 2, "pretrained": ""}
TOKEN = re.compile(r"[a-z0-9']+")
PAD, UNK = 0, 1


def params():
    """The defaults, overridden by HPS_PARAM_<NAME>, typed like the defaults."""
    p = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        text = os.environ.get("HPS_PARAM_" + name.upper())
        if text is None:
            continue
        if isinstance(default, str):
            p[name] = text
        elif isinstance(default, int):
            p[name] = int(round(float(text)))
        else:
            p[name] = float(text)
    if p["d_model"] % p["heads"]:  # the attention heads split d_model evenly
        p["d_model"] += p["heads"] - p["d_model"] % p["heads"]
        print(f"d_model raised to {p['d_model']}, a multiple of heads", file=sys.stderr)
    p["ff"] = p["ff"] or 2 * p["d_model"]
    return p


def tokens(text):
    return TOKEN.findall(text.replace("<br />", " ").lower())


def load(path, text_col, label_col, split_col):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for col in (text_col, label_col):
        if rows and col not in rows[0]:
            sys.exit(f"{path}: no column '{col}'")
    classes = sorted({r[label_col] for r in rows})
    if len(classes) < 2:
        sys.exit(f"{path}: column '{label_col}' has a single class")
    index = {c: i for i, c in enumerate(classes)}
    data = [(tokens(r[text_col]), index[r[label_col]], r.get(split_col) == "test") for r in rows]
    return data, classes


def build_vocab(docs, size, min_count):
    counts = collections.Counter(w for d in docs for w in d)
    words = [w for w, c in counts.most_common(size) if c >= min_count]
    return {w: i + 2 for i, w in enumerate(words)}


def encode(docs, vocab, max_len):
    ids = torch.zeros((len(docs), max_len), dtype=torch.long)
    for i, d in enumerate(docs):
        row = [vocab.get(w, UNK) for w in d[:max_len]] or [UNK]
        ids[i, :len(row)] = torch.tensor(row)
    return ids


class Encoder(nn.Module):
    """Token + position embeddings, a transformer encoder, masked mean pooling, linear."""

    def __init__(self, n_vocab, n_classes, p):
        super().__init__()
        d = p["d_model"]
        self.embed = nn.Embedding(n_vocab, d, padding_idx=PAD)
        self.position = nn.Embedding(p["max_len"], d)
        layer = nn.TransformerEncoderLayer(d, p["heads"], p["ff"], p["dropout"],
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, p["layers"], enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, n_classes)

    def forward(self, ids):
        pad = ids == PAD
        pos = torch.arange(ids.shape[1], device=ids.device)
        h = self.encoder(self.embed(ids) + self.position(pos), src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        pooled = (h * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        return self.out(self.norm(pooled))


def load_pretrained(path):
    """A state dict and a vocabulary (or None) from a local file."""
    ckpt = torch.load(path, map_location="cpu")
    if isinstance(ckpt, dict):
        for key in ("state_dict", "model_state"):
            if isinstance(ckpt.get(key), dict):
                return ckpt[key], ckpt.get("vocab")
    return ckpt, None


def apply_pretrained(model, state, path):
    own = model.state_dict()
    take = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(take, strict=False)
    left = sorted(set(own) - set(take))
    print(f"pretrained {path}: {len(take)} tensors loaded"
          + (f", {len(left)} left as initialised: {', '.join(left)}" if left else ""),
          file=sys.stderr)


def accuracy(model, ids, y, batch=256):
    model.eval()
    hits = 0
    with torch.no_grad():
        for s in range(0, len(y), batch):
            hits += (model(ids[s:s + batch]).argmax(1) == y[s:s + batch]).sum().item()
    return hits / max(len(y), 1)


def train(model, ids, y, p, seed, evaluate):
    """Adam with weight decay; evaluate(epoch) after each epoch. The last score."""
    opt = torch.optim.AdamW(model.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    score = 0.0
    for epoch in range(1, p["epochs"] + 1):
        model.train()
        order = torch.randperm(len(y), generator=gen)
        for s in range(0, len(y), p["batch"]):
            idx = order[s:s + p["batch"]]
            opt.zero_grad()
            loss_fn(model(ids[idx]), y[idx]).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        score = evaluate(epoch)
    return score


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("HPS_DATA"), help="CSV ($HPS_DATA)")
    ap.add_argument("--text", default="text", help="text column (text)")
    ap.add_argument("--label", default="label", help="label column (label)")
    ap.add_argument("--split", default="split", help="split column, 'test' rows held out")
    ap.add_argument("--val-fraction", type=float, default=0.2)
    ap.add_argument("--pretrained", help="a local state dict/checkpoint (or HPS_PARAM_PRETRAINED)")
    args = ap.parse_args()
    if not args.data:
        sys.exit("no data: set HPS_DATA or give --data")
    p = params()
    pretrained = args.pretrained or p["pretrained"]
    final = os.environ.get("HPS_FINAL") == "1"
    seed = int(os.environ.get("HPS_SEED", "0")) % (2 ** 31)
    torch.manual_seed(seed)
    torch.set_num_threads(int(os.environ.get("HPS_TORCH_THREADS", "1")))

    data, classes = load(args.data, args.text, args.label, args.split)
    train_rows = [r for r in data if not r[2]]
    if final:
        fit, held = train_rows, [r for r in data if r[2]]
    else:  # the same validation rows for every trial of a study
        random.Random(20240601).shuffle(train_rows)
        cut = int(round(len(train_rows) * (1 - args.val_fraction)))
        fit, held = train_rows[:cut], train_rows[cut:]
    if not fit or not held:
        sys.exit(f"{args.data}: no {'training' if not fit else 'held-out'} rows")

    state, vocab = load_pretrained(pretrained) if pretrained else (None, None)
    vocab = vocab or build_vocab([r[0] for r in fit], p["vocab_size"], p["min_count"])
    model = Encoder(len(vocab) + 2, len(classes), p)
    if state is not None:
        apply_pretrained(model, state, pretrained)
    x_fit, y_fit = encode([r[0] for r in fit], vocab, p["max_len"]), torch.tensor([r[1] for r in fit])
    x_held, y_held = encode([r[0] for r in held], vocab, p["max_len"]), torch.tensor([r[1] for r in held])

    def evaluate(epoch):
        acc = accuracy(model, x_held, y_held)
        if not final:
            print(f"report {epoch} {acc}", flush=True)
        return acc

    score = train(model, x_fit, y_fit, p, seed, evaluate)
    out_dir = os.environ.get("HPS_ARTIFACT_DIR")
    if out_dir:
        torch.save({"format": FORMAT, "state_dict": model.state_dict(), "vocab": vocab,
                    "classes": classes, "params": p}, os.path.join(out_dir, "model.pt"))
    print(score)


if __name__ == "__main__":
    main()
