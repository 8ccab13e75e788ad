"""Zoo model `ioi`: a small language model of generated indirect-object sentences.

    Today , When Mary and John went to the park , John gave a ball to   -> Mary

Two names meet in a first clause (in one of several relations: "A and B went", "A met B",
"A was at the park with B", ...; both orders); one of them, the subject S, later gives
something; the other, the indirect object IO, is the answer. The model is trained as an
ordinary language model on whole sentences (next-token loss everywhere) and is measured on
the last word ("to"), where the answer must be IO.

Toy IOI data invites shortcuts: "all the names minus the repeated one", or "both names of
the conjunction minus the subject". So two prompts in three also mention a distractor name
C that occurs once, like IO, before or between the clauses; the first clause takes several
shapes, openings of different lengths move everything about, there are 145 names (more than
the residual stream's 48 dimensions, so "add both names, subtract one" is not exact), and
the structure test requires name-mover heads: at the last position they attend mainly to
the IO name, ablating them removes most of the IO-over-S logit difference, and what they
write raises IO over S.

`make_prompts` gives prompts with the position of every role (IO, S1, S2, C, the end).

The circuit (section 1.5), measured on `ioi_batch(300, torch.Generator().manual_seed(2024))`:
prompts of one layout ("<bos> Today , When {A} and {B} went to the {P} , {S} gave a {O} to", six
templates, ABBA and BABA), each with a corrupted twin whose second subject mention is a third
name. Logit difference IO - S at the end: 11.15 clean, 0.02 corrupted; IO is the top token in
every prompt. Found with the section's own tools (activation patching, attention patterns):

    L0H0   subject head: at the end it attends to S2 (0.97) and brings the subject's identity
           there. Patching its output (all positions) restores the whole logit difference
           (normalised metric 1.00; its values 1.01, its queries and keys 0.00). Through the
           name movers' queries it turns their attention away from S1; through MLPs 1-2 at the
           end it pushes S's logit down.
    L1H0   name movers: at the end they attend to IO (0.76 each; S1 0.15) and copy it: direct
    L1H2   logit attribution on IO - S 1.81 and 2.39 logits. Patching their output restores
           0.29 and 0.38, their queries the same 0.29 and 0.38, their keys and values 0.00:
           what differs between clean and corrupted reaches them through their queries only.
    Path patching (100 prompts, seed 2024): L0H0 -> the movers' queries 0.65 (L1H0 0.29, L1H2
    0.37); -> their keys or values 0.00; -> the queries of L1H1, L1H3 or of layer 2 <= 0.02.

Faithfulness (`faithfulness`: the logit difference with every head outside the circuit
mean-ablated, each position replaced by the head's mean over the corrupted prompts at
positions of the same class (`POSITION_CLASSES`), over the full model's; MLPs untouched):
    circuit {L0H0, L1H0, L1H2}: 1.14 (above 1: some heads left out push against IO)
    marginal effect of each head (faithfulness of the circuit minus that of the circuit
    without it): L0H0 1.15, L1H0 0.12, L1H2 0.21; {L0H0} alone 0.65 (its MLP path),
    without any head -0.02; adding any other head changes it by at most 0.006.
The other heads matter little: L1H1 and L1H3 attend from S2 to S1 (0.32, 0.51: duplicate-
token heads by their attention) but patching them restores 0.00, and ablating them raises the
logit difference; L2H2 writes 0.29 logits of IO - S directly, patching it restores 0.02. `CIRCUIT` holds this reading; tests/runner/test_zoo_ioi.py asserts it.
The checkpoint is the one trained before this circuit was measured (on the distractor-name
data below, 182 s on one CPU thread); `train` rebuilds it bit for bit through the shared
skeleton `arena_cli.zoo._training`. Zero-ablating the movers at the end removes only 42 % of
the logit difference (ABLATION_DROP_MIN's comment) because the subject head's path through the
MLPs survives it: with only L0H0 kept (movers mean-ablated too) faithfulness is still 0.65.
Vocabulary: `<bos>`, `<pad>`, `<unk>`, words, names, places, objects; text is
space-separated (`model.to_tokens("When Mary and John went")`), punctuation marks are words.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

NAME = "ioi"

NAMES = tuple(
    """Mary John Alice Bob Sarah Tom Anna James Emma David Laura Paul Julia Mark Kate Peter Lucy
    Sam Grace Dan Clara Ben Rose Jack Amy Max Eva Leo Nora Adam Ruth Carl Ivy Noah Lily Owen Zoe
    Ryan Mia Hugo Aaron Abby Alan Alex Amber Andrew Angela Anne Arthur Ava Barbara Beth Brian
    Bruce Carlos Carol Chloe Chris Claire Colin Craig Daisy Daniel Diana Donna Dylan Edward Elena
    Eli Ellen Emily Eric Ethan Felix Fiona Frank Fred George Gina Hannah Harry Helen Henry Holly
    Ian Irene Isaac Jacob Jane Jason Jenny Jessica Joan Joel Jordan Joseph Judy Justin Karen Keith
    Kevin Kim Kyle Liam Linda Lisa Logan Lucas Luke Maria Martin Matt Megan Michael Molly Nathan
    Neil Nick Nina Oliver Olivia Oscar Pam Patrick Rachel Ralph Rebecca Rick Robert Roger Ron Rosa
    Sean Simon Sophie Steve Susan Ted Tina Tony Victor Vera Walter Wendy Zach""".split()
)  # more names than the residual stream has dimensions: "all names minus S" cannot be exact
PLACES = "park store school market garden office beach station library cafe museum farm".split()
OBJECTS = "ball book drink key letter gift bag hat cake pen map ring".split()

# A prompt = opening + [distractor before] + first clause + [distractor between] + last clause.
# The first clause holds the two names {A} {B} (IO and S, in either order) in one of several
# relations, so IO has no fixed role or place; {C} is a distractor name that occurs once, before
# or between the clauses; {P} a place, {O} an object; the last clause ends before the answer.
FIRST_CLAUSES = (
    "When {A} and {B} went to the {P} ,",
    "{A} and {B} had a long day at the {P} .",
    "{A} met {B} at the {P} .",
    "After {A} called {B} ,",
    "{A} was at the {P} with {B} .",
    "While {A} talked to {B} at the {P} ,",
)
DISTRACTORS_BEFORE = ("After {C} left the {P} ,", "{C} was busy .")
DISTRACTORS_BETWEEN = ("{C} was there .", "{C} smiled .", "Then {C} left .")
LAST_CLAUSES = ("{S} gave a {O} to", "{S} handed the {O} to", "{S} passed a {O} to", "{S} gave it to")
OPENINGS = ("", "Today ,", "Yesterday ,", "In the morning ,", "Later that day ,")
TEMPLATES = FIRST_CLAUSES + DISTRACTORS_BEFORE + DISTRACTORS_BETWEEN + LAST_CLAUSES  # for the vocabulary
_WORDS = sorted({w for t in TEMPLATES + OPENINGS for w in t.split() if not w.startswith("{")} | {"."})
SPECIALS = ("<bos>", "<pad>", "<unk>")
VOCAB: tuple[str, ...] = SPECIALS + tuple(_WORDS) + tuple(NAMES) + tuple(PLACES) + tuple(OBJECTS)
BOS, PAD = 0, 1
TOKEN_ID = {w: i for i, w in enumerate(VOCAB)}
NAME_IDS = torch.tensor([TOKEN_ID[n] for n in NAMES])

# d_model 48 < 145 names: with d_model 64 and 40 names the model copied both names and
# subtracted the subject (no head preferred IO); narrower, it grows IO-preferring name movers.
CONFIG: dict[str, Any] = dict(
    n_layers=3, d_model=48, n_heads=4, d_head=12, d_mlp=192, n_ctx=32, d_vocab=len(VOCAB),
    attn_only=False, normalization_type="LN", act_fn="gelu",
)

# The circuit of the shipped checkpoint (module docstring) and its measured figures.
CIRCUIT: dict[tuple[int, int], str] = {(0, 0): "subject", (1, 0): "name_mover", (1, 2): "name_mover"}
ROLES = ("subject", "name_mover")
CIRCUIT_SEED, CIRCUIT_PROMPTS = 2024, 300
FAITHFULNESS = 1.14
MARGINAL_EFFECT = {(0, 0): 1.15, (1, 0): 0.12, (1, 2): 0.21}

# Training recipe of the shipped checkpoint.
SEED = 0
STEPS = 5000
BATCH = 64
LR = 2e-3
WEIGHT_DECAY = 0.01
WARMUP = 100

# Properties the shipped checkpoint must have (tests/runner/test_zoo.py).
ACCURACY_MIN = 0.95
MOVER_ATTENTION_MIN = 0.5  # mean attention from the last position to the IO name
MOVER_RATIO_MIN = 3.0  # ... and at least this many times its attention to S (both) or to C
# The movers' own output at the last position, read through the unembedding, must copy IO:
MOVER_COPY_TOP1_MIN = 0.5  # IO is the top name of their direct logits in most prompts (chance 1/145)
MOVER_DIRECT_LOGIT_DIFF_MIN = 1.0  # and their direct IO - S logit difference is over one logit
# Zero-ablating the movers at the last position removes over a third of the IO - S logit difference.
# Measured on the shipped checkpoint (300 prompts, seed 5): 42 % (11.6 -> 6.7 logits); IO's lead over
# the mean name logit falls from 13.6 to 6.6 and S's from 2.0 to -0.2. Layer-0 head L0H0, attending
# from the end to S (0.97), carries the rest: ablating it there removes the whole difference. A first
# version of this check asked for half and was lowered to a third after that measurement.
ABLATION_DROP_MIN = 1 / 3


def tokenizer():
    from arena_cli.zoo._common import build_tokenizer

    return build_tokenizer(list(VOCAB), bos="<bos>", pad="<pad>", unk="<unk>", name=NAME)


# ---------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Prompts:
    """A batch of IOI prompts (right-padded) and where everything is in each of them."""

    tokens: torch.Tensor  # [batch, pos], `<bos>` first, `<pad>` after the end
    io: torch.Tensor  # [batch] token id of the indirect object (the answer)
    s: torch.Tensor  # [batch] token id of the subject
    c: torch.Tensor  # [batch] token id of the distractor, or -1 when the template has none
    end: torch.Tensor  # [batch] position of the last word ("to"), where the answer is predicted
    io_pos: torch.Tensor  # [batch] position of IO in the conjunction
    s1_pos: torch.Tensor  # [batch] position of S in the conjunction
    s2_pos: torch.Tensor  # [batch] position of S as the subject of the last clause
    c_pos: torch.Tensor  # [batch] position of the distractor, or -1
    template: torch.Tensor  # [batch] 3 * first-clause index + distractor place (0 none, 1 before, 2 between)
    texts: tuple[str, ...]  # the prompts as text (without `<bos>`)


def make_prompts(batch: int, g: torch.Generator) -> Prompts:
    """Random prompts: opening, clauses, distractor (none / before / between; 2 in 3 prompts
    have one), names (distinct), place, object, and name order."""

    def pick(options):
        return options[int(torch.randint(len(options), (1,), generator=g))]

    rows = []
    for _ in range(batch):
        first = int(torch.randint(len(FIRST_CLAUSES), (1,), generator=g))
        where = int(torch.randint(3, (1,), generator=g))  # 0 none, 1 before, 2 between
        parts = [pick(OPENINGS)]
        if where == 1:
            parts.append(pick(DISTRACTORS_BEFORE))
        parts.append(FIRST_CLAUSES[first])
        if where == 2:
            parts.append(pick(DISTRACTORS_BETWEEN))
        parts.append(pick(LAST_CLAUSES))
        io, s, c = (NAMES[i] for i in torch.randperm(len(NAMES), generator=g)[:3].tolist())
        a, b = (io, s) if bool(torch.randint(2, (1,), generator=g)) else (s, io)
        place, obj = pick(PLACES), pick(OBJECTS)
        words: list[str] = []
        slots: dict[str, int] = {}
        for word in " ".join(parts).split():
            if word.startswith("{"):
                key = word[1:-1]
                value = dict(A=a, B=b, S=s, C=c, P=place, O=obj)[key]
                position = 1 + len(words)  # after <bos>
                if key == "S":
                    slots["s2"] = position
                elif key in "AB":
                    slots["io" if value == io else "s1"] = position
                elif key == "C":
                    slots["c"] = position
                word = value
            words.append(word)
        rows.append((words, io, s, c if where else None, slots, first * 3 + where))
    width = 1 + max(len(r[0]) for r in rows)
    tokens = torch.full((batch, width), PAD, dtype=torch.long)
    tokens[:, 0] = BOS
    for i, (words, *_rest) in enumerate(rows):
        tokens[i, 1 : 1 + len(words)] = torch.tensor([TOKEN_ID[w] for w in words])

    def col(values) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.long)

    return Prompts(
        tokens=tokens,
        io=col([TOKEN_ID[r[1]] for r in rows]),
        s=col([TOKEN_ID[r[2]] for r in rows]),
        c=col([TOKEN_ID[r[3]] if r[3] else -1 for r in rows]),
        end=col([len(r[0]) for r in rows]),
        io_pos=col([r[4]["io"] for r in rows]),
        s1_pos=col([r[4]["s1"] for r in rows]),
        s2_pos=col([r[4]["s2"] for r in rows]),
        c_pos=col([r[4].get("c", -1) for r in rows]),
        template=col([r[5] for r in rows]),
        texts=tuple(" ".join(r[0]) for r in rows),
    )


def training_batch(batch: int, g: torch.Generator) -> torch.Tensor:
    """Whole sentences for language-model training: the prompt, the answer and a full stop."""
    p = make_prompts(batch, g)
    width = p.tokens.shape[1] + 2
    tokens = torch.full((batch, width), PAD, dtype=torch.long)
    tokens[:, : p.tokens.shape[1]] = p.tokens
    rows = torch.arange(batch)
    tokens[rows, p.end + 1] = p.io
    tokens[rows, p.end + 2] = TOKEN_ID["."]
    return tokens


# ---------------------------------------------------------------------------------------------
# Patching prompts (section 1.5): one layout, so that every prompt of a batch has the same length
# (no padding, as `transformer_lens.patching` expects) and every role the same place up to the
# order of the two first names; several templates; ABBA and BABA; and a corrupted twin per prompt.

PATCH_OPENINGS = ("Today ,", "Yesterday ,")
PATCH_VERBS = ("gave a", "handed the", "passed a")
PATCH_TEMPLATES = tuple(
    f"{opening} When {{A}} and {{B}} went to the {{P}} , {{S}} {verb} {{O}} to"
    for opening in PATCH_OPENINGS
    for verb in PATCH_VERBS
)  # all sentences of the training distribution (no distractor), 16 words + <bos> = 17 tokens
PATCH_LENGTH = 17
FIRST_POS, SECOND_POS, S2_POS, END_POS = 4, 6, 12, 16  # where {A}, {B}, {S} and "to" are
# Position classes: what a position *is*, the same in every prompt. Positions that hold words are
# their own class; the two first names are classes "IO" and "S1" wherever the order puts them.
POSITION_CLASSES = (
    "<bos>", "opening", ",", "When", "IO", "and", "S1", "went", "to", "the", "place", ",", "S2",
    "verb", "det", "object", "end",
)
IO_CLASS, S1_CLASS, S2_CLASS, END_CLASS = 4, 6, 12, 16


@dataclass(frozen=True)
class IOIBatch:
    """Clean IOI prompts and their corrupted twins, all of one length (no padding).

    Clean:     "<bos> Today , When Mary and John went to the park , John gave a ball to"  -> Mary
    Corrupted: "<bos> Today , When Mary and John went to the park , Lucy gave a ball to"
    The corrupted twin replaces the second mention of the subject (S2) by a third name C, so it
    holds three different names and no longer says which of IO and S is the answer.
    """

    tokens: torch.Tensor  # [batch, pos] clean prompts
    corrupted: torch.Tensor  # [batch, pos] the same prompts with S2 replaced by C
    io: torch.Tensor  # [batch] token id of the indirect object (the right answer)
    s: torch.Tensor  # [batch] token id of the subject
    c: torch.Tensor  # [batch] token id of the third name in the corrupted twin
    io_pos: torch.Tensor  # [batch] position of IO (4 in ABBA, 6 in BABA)
    s1_pos: torch.Tensor  # [batch] position of the first mention of S
    s2_pos: torch.Tensor  # [batch] position of the second mention of S (always 12)
    end: torch.Tensor  # [batch] position of the last word "to" (always 16), where IO is predicted
    abba: torch.Tensor  # [batch] bool: IO comes first ("When Mary and John ..., John ...")
    template: torch.Tensor  # [batch] index into PATCH_TEMPLATES
    position_class: torch.Tensor  # [batch, pos] index into POSITION_CLASSES
    texts: tuple[str, ...]
    corrupted_texts: tuple[str, ...]


def ioi_batch(batch: int, g: torch.Generator) -> IOIBatch:
    """`batch` random prompts (template, ABBA/BABA, three distinct names, place, object) and
    their corrupted twins."""
    rows = []
    for _ in range(batch):
        template = int(torch.randint(len(PATCH_TEMPLATES), (1,), generator=g))
        io, s, c = (NAMES[i] for i in torch.randperm(len(NAMES), generator=g)[:3].tolist())
        abba = bool(torch.randint(2, (1,), generator=g))
        place = PLACES[int(torch.randint(len(PLACES), (1,), generator=g))]
        obj = OBJECTS[int(torch.randint(len(OBJECTS), (1,), generator=g))]
        a, b = (io, s) if abba else (s, io)
        text = PATCH_TEMPLATES[template].format(A=a, B=b, P=place, O=obj, S="{S}")
        rows.append((text.format(S=s), text.format(S=c), io, s, c, abba, template))
    tokens = torch.tensor([[BOS] + [TOKEN_ID[w] for w in r[0].split()] for r in rows])
    corrupted = torch.tensor([[BOS] + [TOKEN_ID[w] for w in r[1].split()] for r in rows])
    abba = torch.tensor([r[5] for r in rows])
    io_pos = torch.where(abba, FIRST_POS, SECOND_POS)
    s1_pos = torch.where(abba, SECOND_POS, FIRST_POS)
    position_class = torch.arange(PATCH_LENGTH).repeat(batch, 1)
    rows_idx = torch.arange(batch)
    position_class[rows_idx, io_pos] = IO_CLASS
    position_class[rows_idx, s1_pos] = S1_CLASS

    def ids(k: int) -> torch.Tensor:
        return torch.tensor([TOKEN_ID[r[k]] for r in rows])

    return IOIBatch(
        tokens=tokens, corrupted=corrupted, io=ids(2), s=ids(3), c=ids(4), io_pos=io_pos, s1_pos=s1_pos,
        s2_pos=torch.full((batch,), S2_POS), end=torch.full((batch,), END_POS), abba=abba,
        template=torch.tensor([r[6] for r in rows]), position_class=position_class,
        texts=tuple(r[0] for r in rows), corrupted_texts=tuple(r[1] for r in rows),
    )


def logit_diff(logits: torch.Tensor, batch: IOIBatch) -> torch.Tensor:
    """[batch] logit of IO minus logit of S at the end position."""
    rows = torch.arange(len(batch.io))
    final = logits[rows, batch.end]
    return final[rows, batch.io] - final[rows, batch.s]


def class_means(z: torch.Tensor, position_class: torch.Tensor, n_classes: int = len(POSITION_CLASSES)) -> torch.Tensor:
    """[class, ...]: the mean of `z` ([batch, pos, ...]) over every (prompt, position) of a class."""
    flat = z.flatten(0, 1)
    cls = position_class.flatten()
    sums = torch.zeros(n_classes, *z.shape[2:], dtype=z.dtype).index_add_(0, cls, flat)
    counts = torch.bincount(cls, minlength=n_classes).clamp(min=1).to(z.dtype)
    return sums / counts.reshape(-1, *([1] * (z.dim() - 2)))


@torch.no_grad()
def circuit_logit_diff(model, batch: IOIBatch, circuit, *, reference: torch.Tensor | None = None) -> float:
    """Mean logit difference on the clean prompts with every head outside `circuit` (a collection
    of (layer, head)) mean-ablated: its z replaced, at each position, by its mean over the
    corrupted prompts at positions of the same class. MLPs and embeddings are left alone.
    `reference` ([batch, pos]) gives the corrupted prompts whose means are used (default: the
    batch's own corrupted twins)."""
    reference = batch.corrupted if reference is None else reference
    names = [f"blocks.{layer}.attn.hook_z" for layer in range(model.cfg.n_layers)]
    _, cache = model.run_with_cache(reference, names_filter=lambda n: n in names)
    keep = set(map(tuple, circuit))

    def hook(z, hook, layer):
        out = z.clone()
        means = class_means(cache[names[layer]], batch.position_class)[batch.position_class]  # [batch, pos, head, d_head]
        for head in range(model.cfg.n_heads):
            if (layer, head) not in keep:
                out[:, :, head] = means[:, :, head]
        return out

    hooks = [(name, functools.partial(hook, layer=layer)) for layer, name in enumerate(names)]
    logits = model.run_with_hooks(batch.tokens, fwd_hooks=hooks)
    return float(logit_diff(logits, batch).mean())


@torch.no_grad()
def faithfulness(model, batch: IOIBatch, circuit) -> float:
    """The circuit's logit difference (everything else mean-ablated) over the full model's."""
    full = float(logit_diff(model(batch.tokens), batch).mean())
    return circuit_logit_diff(model, batch, circuit) / full


# ---------------------------------------------------------------------------------------------
# Measurements


def end_logits(logits: torch.Tensor, prompts: Prompts) -> torch.Tensor:
    return logits[torch.arange(len(prompts.end)), prompts.end]


@torch.no_grad()
def measure(model, *, n: int = 500, seed: int = 999) -> dict[str, Any]:
    """IO accuracy (top-1 over the whole vocabulary), logit difference IO - S, and per head
    the attention from the last position to IO, S (both mentions) and C."""
    g = torch.Generator().manual_seed(seed)
    prompts = make_prompts(n, g)
    device = next(model.parameters()).device
    tokens = prompts.tokens.to(device)
    mask = (tokens != PAD).long()
    rows = torch.arange(n)
    patterns: list[torch.Tensor] = []
    if hasattr(model, "run_with_cache"):
        logits, cache = model.run_with_cache(
            tokens, attention_mask=mask, names_filter=lambda name: name.endswith("hook_pattern")
        )
        patterns = [cache["pattern", layer].cpu() for layer in range(model.cfg.n_layers)]
    else:
        hooks = [b.attn.register_forward_hook(lambda _m, _i, out: patterns.append(out[1].cpu())) for b in model.layers]
        try:
            logits = model(tokens, attention_mask=mask)
        finally:
            for h in hooks:
                h.remove()
    final = end_logits(logits.float().cpu(), prompts)
    accuracy = float((final.argmax(-1) == prompts.io).float().mean())
    logit_diff = float((final[rows, prompts.io] - final[rows, prompts.s]).mean())
    with_c = prompts.c >= 0
    acc_with_c = float((final.argmax(-1) == prompts.io)[with_c].float().mean())
    heads = []
    for layer, pattern in enumerate(patterns):
        at_end = pattern[rows, :, prompts.end]  # [batch, head, key]
        for head in range(pattern.shape[1]):
            a = at_end[:, head]
            to_io = a[rows, prompts.io_pos].mean()
            to_s = (a[rows, prompts.s1_pos] + a[rows, prompts.s2_pos]).mean()
            to_c = a[with_c.nonzero().flatten(), prompts.c_pos[with_c]].mean()
            heads.append(dict(layer=layer, head=head, to_io=float(to_io), to_s=float(to_s), to_c=float(to_c)))
    movers = [
        h for h in heads
        if h["to_io"] > MOVER_ATTENTION_MIN and h["to_io"] > MOVER_RATIO_MIN * max(h["to_s"], h["to_c"])
    ]
    best = max(heads, key=lambda h: h["to_io"] - max(h["to_s"], h["to_c"]))
    return dict(accuracy=accuracy, accuracy_with_distractor=acc_with_c, logit_diff=logit_diff,
                heads=heads, movers=movers, best_head=best)


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
    should_log = _training.logging_every(log_every, steps)
    history: list[dict[str, Any]] = []

    def batch(data: torch.Generator) -> torch.Tensor:
        return training_batch(BATCH, data).to(device)

    def loss(model, tokens: torch.Tensor) -> torch.Tensor:
        logits = model(tokens, attention_mask=(tokens != PAD).long())
        targets = tokens[:, 1:].masked_fill(tokens[:, 1:] == PAD, -100)
        return F.cross_entropy(logits[:, :-1].flatten(0, 1), targets.flatten(), ignore_index=-100)

    def observe(step: int, model, value) -> None:
        if not should_log(step):
            return
        model.eval()
        m = measure(model, n=200)
        model.train()
        best = m["best_head"]
        history.append(dict(step=step, seconds=round(clock(), 1), loss=value.item(), accuracy=m["accuracy"], best_head=best))
        if verbose:
            print(
                f"[{NAME}] step {step:5d}  {clock():6.1f}s  loss {value.item():.3f}  "
                f"IO acc {m['accuracy']:.3f} (with C {m['accuracy_with_distractor']:.3f})  "
                f"logit diff {m['logit_diff']:.2f}  best head L{best['layer']}H{best['head']} "
                f"io {best['to_io']:.2f} s {best['to_s']:.2f} c {best['to_c']:.2f}",
                flush=True,
            )

    def lr_factor(s: int) -> float:  # warm-up, then a cosine from 1 down to 0.1 (not to 0)
        return min(1.0, (s + 1) / WARMUP) * (0.55 + 0.45 * math.cos(math.pi * min(s, steps) / steps))

    model, final = _training.fit(
        NAME, seed=seed, device=device, steps=steps, lr=LR, weight_decay=WEIGHT_DECAY,
        lr_factor=lr_factor, batch=batch, loss=loss, final=measure, observe=observe,
    )
    result = dict(
        _training.summary(NAME, seed=seed, steps=steps, device=device, clock=clock, model=model),
        accuracy=final["accuracy"], accuracy_with_distractor=final["accuracy_with_distractor"],
        logit_diff=final["logit_diff"], movers=final["movers"], best_head=final["best_head"], history=history,
    )
    _training.save(out, NAME, model, result, dict(seed=seed, steps=steps, batch=BATCH, lr=LR, weight_decay=WEIGHT_DECAY))
    return result
