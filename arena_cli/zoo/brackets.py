"""Zoo model `brackets`: a bidirectional transformer that tells balanced parentheses apart.

Input: `<start>` then a string of `(` and `)` of length 1 … 40, padded on the right with
`<pad>` (pass `attention_mask = tokens != PAD`, so real tokens never attend to padding).
Attention is not causal: every position sees the whole string. The class is read at
position 0 (`<start>`): logit 1 = balanced, logit 0 = unbalanced.

A string is balanced when it has as many `(` as `)` and no prefix has more `)` than `(`.
The training mix makes both conditions matter: half balanced strings (uniform among
balanced strings of their length), and as negatives: equal counts but a prefix that goes
negative ("hard negatives", e.g. `())(`), balanced strings with one bracket flipped, and
random strings. Strings of length 10 or more whose hash puts them in the held-out split are
never trained on, so the test accuracy is measured on unseen strings; every shorter string
is trained on and checked.

    >>> model = zoo.load("brackets")
    >>> tokens = model.to_tokens(["(())", "())("])       # <start> prepended, padded
    >>> logits = model(tokens, attention_mask=(tokens != PAD).long())
    >>> logits[:, 0].argmax(-1)                          # tensor([1, 0])
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

NAME = "brackets"
VOCAB: tuple[str, ...] = ("<start>", "<pad>", "(", ")")
START, PAD, OPEN, CLOSE = 0, 1, 2, 3
MAX_LEN = 40
MIN_HELD_OUT_LEN = 10
UNBALANCED, BALANCED = 0, 1

CONFIG: dict[str, Any] = dict(
    n_layers=3, d_model=56, n_heads=2, d_head=28, d_mlp=56, n_ctx=MAX_LEN + 2,
    d_vocab=len(VOCAB), d_vocab_out=2, attention_dir="bidirectional",
    normalization_type="LN", act_fn="relu",
)

# Training recipe of the shipped checkpoint.
SEED = 0
STEPS = 5000
BATCH = 128
LR = 1e-3
WEIGHT_DECAY = 0.01
WARMUP = 100
KINDS = ("balanced", "hard_negative", "one_flipped", "random")
MIX = (0.4, 0.35, 0.125, 0.125)  # share of each kind in a training batch

# The property the shipped checkpoint must have (tests/runner/test_zoo.py).
ACCURACY_MIN = 0.99
HELD_OUT_SEED = 4321
HELD_OUT_PER_KIND = 1000


def tokenizer():
    from arena_cli.zoo._common import build_tokenizer

    return build_tokenizer(list(VOCAB), bos="<start>", pad="<pad>", unk=None, name=NAME, isolate=r"[()]")


# ---------------------------------------------------------------------------------------------
# The rule, and the data


def is_balanced(string: str) -> bool:
    """The reference: equal counts and no prefix with more `)` than `(`."""
    depth = 0
    for char in string:
        depth += 1 if char == "(" else -1
        if depth < 0:
            return False
    return depth == 0


def is_held_out(string: str) -> bool:
    """A fixed fifth of the strings of length >= 10 (by a stable hash) is never trained on.

    Shorter strings are too few to hold any out (2 046 of them in all): the model trains on
    every one of them, and the structure test checks them all.
    """
    return len(string) >= MIN_HELD_OUT_LEN and zlib.crc32(string.encode()) % 5 == 0


def _balanced(n_pairs: int, g: torch.Generator) -> str:
    """Uniform among balanced strings with n_pairs pairs (cycle lemma: of the rotations of a
    shuffled sequence of n_pairs `(` and n_pairs+1 `)`, exactly one is a balanced string
    followed by `)`)."""
    steps = [1] * n_pairs + [-1] * (n_pairs + 1)
    order = torch.randperm(len(steps), generator=g).tolist()
    steps = [steps[i] for i in order]
    depth, lowest, lowest_at = 0, 1, 0
    for i, step in enumerate(steps):
        depth += step
        if depth < lowest:
            lowest, lowest_at = depth, i
    rotated = steps[lowest_at + 1 :] + steps[: lowest_at + 1]
    return "".join("(" if s == 1 else ")" for s in rotated[:-1])


def _randint(low: int, high: int, g: torch.Generator) -> int:
    """Uniform integer in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=g))


def sample(kind: str, g: torch.Generator) -> str:
    """One string of the given kind (see KINDS)."""
    while True:
        if kind == "balanced":
            string = _balanced(_randint(1, MAX_LEN // 2, g), g)
        elif kind == "hard_negative":  # equal counts, some prefix negative
            half = _randint(1, MAX_LEN // 2, g)
            chars = ["("] * half + [")"] * half
            string = "".join(chars[i] for i in torch.randperm(2 * half, generator=g).tolist())
            if is_balanced(string):
                continue
        elif kind == "one_flipped":  # a balanced string with one bracket flipped
            chars = list(_balanced(_randint(1, MAX_LEN // 2, g), g))
            i = _randint(0, len(chars) - 1, g)
            chars[i] = "(" if chars[i] == ")" else ")"
            string = "".join(chars)
        elif kind == "random":
            length = _randint(1, MAX_LEN, g)
            string = "".join("()"[b] for b in torch.randint(0, 2, (length,), generator=g).tolist())
        else:
            raise ValueError(f"unknown kind {kind!r}; one of {KINDS}")
        return string


def encode(strings: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids [batch, 1 + longest] (`<start>` first, `<pad>` after the end) and the
    attention mask [batch, 1 + longest] (1 on real tokens)."""
    width = 1 + max(len(s) for s in strings)
    tokens = torch.full((len(strings), width), PAD, dtype=torch.long)
    tokens[:, 0] = START
    for row, string in enumerate(strings):
        tokens[row, 1 : 1 + len(string)] = torch.tensor([OPEN if c == "(" else CLOSE for c in string])
    return tokens, (tokens != PAD).long()


def training_batch(batch: int, g: torch.Generator) -> tuple[list[str], torch.Tensor]:
    """Strings of the training mix (never a held-out one) and their labels."""
    kinds = torch.multinomial(torch.tensor(MIX), batch, replacement=True, generator=g).tolist()
    strings = []
    for k in kinds:
        string = sample(KINDS[k], g)
        while is_held_out(string):
            string = sample(KINDS[k], g)
        strings.append(string)
    labels = torch.tensor([BALANCED if is_balanced(s) else UNBALANCED for s in strings])
    return strings, labels


def held_out_set(per_kind: int = HELD_OUT_PER_KIND, seed: int = HELD_OUT_SEED) -> dict[str, list[str]]:
    """Distinct held-out strings of every kind (never seen in training)."""
    g = torch.Generator().manual_seed(seed)
    out: dict[str, list[str]] = {}
    for kind in KINDS:
        found: dict[str, None] = {}
        attempts = 0
        while len(found) < per_kind and attempts < 200 * per_kind:
            attempts += 1
            string = sample(kind, g)
            if is_held_out(string):
                found[string] = None
        out[kind] = list(found)
    return out


# ---------------------------------------------------------------------------------------------
# Measurements


def classify(model, strings: list[str], batch: int = 512) -> torch.Tensor:
    """Predicted class (1 = balanced) of each string, by a bridge or a bare model."""
    device = next(model.parameters()).device
    preds = []
    with torch.no_grad():
        for i in range(0, len(strings), batch):
            tokens, mask = encode(strings[i : i + batch])
            logits = model(tokens.to(device), attention_mask=mask.to(device))
            preds.append(logits[:, 0].argmax(-1).cpu())
    return torch.cat(preds)


def measure(model, held_out: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Accuracy on held-out strings, per kind and overall."""
    held_out = held_out_set() if held_out is None else held_out
    per_kind, correct, total = {}, 0, 0
    for kind, strings in held_out.items():
        labels = torch.tensor([BALANCED if is_balanced(s) else UNBALANCED for s in strings])
        hits = int((classify(model, strings) == labels).sum())
        per_kind[kind] = dict(accuracy=hits / len(strings), n=len(strings))
        correct, total = correct + hits, total + len(strings)
    return dict(accuracy=correct / total, n=total, per_kind=per_kind)


# ---------------------------------------------------------------------------------------------
# Training


def train(
    *, device: str = "cpu", out: Path | None = None, seed: int | None = None,
    steps: int = STEPS, log_every: int = 250, verbose: bool = True,
) -> dict[str, Any]:
    """Train from scratch (seeded, deterministic) and write the checkpoint to `out` if given."""
    from arena_cli.zoo import _common, _training

    seed = SEED if seed is None else seed
    device = _common.resolve_device(device)
    clock = _common.Clock()
    held_out = held_out_set(per_kind=300)  # a quick check while training; the final one is bigger
    history: list[dict[str, Any]] = []
    should_log = _training.logging_every(log_every, steps)

    def batch(data: torch.Generator):
        strings, labels = training_batch(BATCH, data)
        tokens, mask = encode(strings)
        return tokens.to(device), mask.to(device), labels.to(device)

    def loss(model, batch) -> torch.Tensor:
        tokens, mask, labels = batch
        return F.cross_entropy(model(tokens, attention_mask=mask)[:, 0], labels)

    def observe(step: int, model, loss) -> None:
        if not should_log(step):
            return
        model.eval()
        m = measure(model, held_out)
        model.train()
        history.append(dict(step=step, seconds=round(clock(), 1), loss=loss.item(), accuracy=m["accuracy"]))
        if verbose:
            kinds = "  ".join(f"{k} {v['accuracy']:.3f}" for k, v in m["per_kind"].items())
            print(f"[{NAME}] step {step:5d}  {clock():6.1f}s  loss {loss.item():.4f}  "
                  f"held-out {m['accuracy']:.4f}  ({kinds})", flush=True)

    model, final = _training.fit(
        NAME, seed=seed, device=device, steps=steps, lr=LR, weight_decay=WEIGHT_DECAY,
        lr_factor=_training.warmup_cosine(WARMUP, steps), batch=batch, loss=loss, final=measure, observe=observe,
    )
    result = dict(
        _training.summary(NAME, seed=seed, steps=steps, device=device, clock=clock, model=model),
        accuracy=final["accuracy"], per_kind=final["per_kind"], history=history,
    )
    _training.save(out, NAME, model, result, dict(seed=seed, steps=steps, batch=BATCH, lr=LR, weight_decay=WEIGHT_DECAY))
    return result
