"""Zoo model `icl`: a small transformer that learns a task from the examples in its prompt.

A prompt is `<bos> x1 x1:y1 x2 x2:y2 … xk xk:yk x`: different lowercase letters `a` … `p` as
inputs, each followed by its *example token* `x:y` (one token holding the input and its output
y = f(x)), the task f the same for the whole prompt; at the last input the model predicts its
example token `x:f(x)`. The twelve tasks are a grid: a *map* of the 16 letters (`copy`, or one
of five fixed random substitutions `cipher1` … `cipher5`) and a *case* (lower; or upper, `A` …
`P`): `copy` a -> a, `cipher2`, `upper` a -> A, `upper_cipher2` … With no example the task is
unknown; a few examples give it away. No input repeats within a prompt, so the model cannot
copy an earlier answer: it must work out the task and apply it to the new input.

Training (`train`, about 2 CPU-minutes on one thread): each example's output is replaced by a
random one with probability `NOISE` (the model learns to pool the evidence of several
examples), and there is no loss on the prediction before the first example (`LOSS_FROM`): a
model trained to guess there learns a special "no examples" state at position 1 that ignores
what later arrives in the residual stream, and function vectors then barely move it.

Measured on the shipped checkpoint (`measure`; in the checkpoint's metrics, asserted by
tests/runner/test_zoo_icl.py): accuracy 0.15 with no example, 1.00 after four. The four layer-0
heads have average indirect effects 0.22-0.50 (layer 1: ~0.001). The *function vector* of a
task, the summed mean outputs (z @ W_O at the last position over clean 5-example prompts) of
the `FV_HEADS` heads with the largest average indirect effect (measured on shuffled-label
prompts), added to the residual stream at the last position of zero-shot prompts before block
`FV_LAYER` = 0, makes the model do the task on 100 % of them for each of the 12 tasks; the
next task's vector gives 0-23 %, a random vector of the same norm 0-31 %. Added before block 1
it mostly fails. Composition `COMPOSITIONS` (FV(upper) + FV(cipher k) - FV(copy), which should do
upper_cipher k) does *not* hold in this model (0.03-0.2). Steering by a contrast pair (`upper`
minus `copy` few-shot prompts on the same inputs, before block `STEER_LAYER`) turns lowercase
few-shot answers uppercase (`is_upper`): about 0.2-0.6 with coefficient 1, all of them with 2.

Designs tried before this one (FV accuracy ≤ 0.5): examples as two tokens `x y` or `x -> y`
with shifts, x±1/mirror maps or random ciphers, 2 or 3 layers, with or without noise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

NAME = "icl"
N_SYMBOLS = 16
LOWER = tuple("abcdefghijklmnop")
UPPER = tuple("ABCDEFGHIJKLMNOP")
SPECIALS = ("<bos>", "<pad>", "<unk>")
OUTPUTS = LOWER + UPPER  # what a task maps a letter to
PAIRS = tuple(f"{x}:{y}" for x in LOWER for y in OUTPUTS)  # one token per example "x:y"
VOCAB: tuple[str, ...] = SPECIALS + LOWER + PAIRS
BOS, PAD = 0, 1
FIRST_LETTER = len(SPECIALS)  # token id of `a`
FIRST_PAIR = FIRST_LETTER + N_SYMBOLS  # token id of `a:a`; `x:y` is FIRST_PAIR + 32 * x + y

N_CIPHERS = 5


def _ciphers(n: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1234)
    return {f"cipher{i + 1}": torch.randperm(N_SYMBOLS, generator=g) for i in range(n)}


MAPS: dict[str, torch.Tensor] = {"copy": torch.arange(N_SYMBOLS), **_ciphers(N_CIPHERS)}
CASES = ("lower", "upper")


def _task_name(map_name: str, case: str) -> str:
    if case == "lower":
        return map_name
    return "upper" if map_name == "copy" else f"upper_{map_name}"


TASK_FACTORS: dict[str, tuple[str, str]] = {
    _task_name(m, c): (m, c) for c in CASES for m in MAPS
}  # task -> (map, case)
TASK_NAMES = tuple(TASK_FACTORS)
# [task, x] -> the output token id of f(x)
OUTPUT_TABLE = torch.stack([MAPS[m] + (N_SYMBOLS if c == "upper" else 0) for m, c in TASK_FACTORS.values()])
TASK_TABLE = FIRST_PAIR + 2 * N_SYMBOLS * torch.arange(N_SYMBOLS) + OUTPUT_TABLE  # [task, x] -> token `x:f(x)`
# (a, b, c) -> d: the vector sum FV(a) + FV(b) - FV(c) should do task d (map of one, case of the other)
COMPOSITIONS: dict[tuple[str, str, str], str] = {
    ("upper", m, "copy"): _task_name(m, "upper") for m in MAPS if m != "copy"
}
N_PAIRS = 8  # pairs in a training sequence

CONFIG: dict[str, Any] = dict(
    n_layers=2, d_model=64, n_heads=4, d_head=16, d_mlp=512, n_ctx=1 + 2 * N_PAIRS,
    d_vocab=len(VOCAB), attn_only=False, normalization_type="LN", act_fn="gelu",
)

# Training recipe of the shipped checkpoint.
SEED = 0
STEPS = 3000
BATCH = 64
LR = 2e-3
WEIGHT_DECAY = 0.01
WARMUP = 100
NOISE = 0.2  # the probability that a training example's output is a random letter
LOSS_FROM = 1  # no loss on the first output (no example yet): see the module docstring

# Properties the shipped checkpoint must have (tests/runner/test_zoo.py, test_zoo_icl.py).
FEW_SHOT = 4  # "several examples"
FEW_SHOT_ACCURACY_MIN = 0.9
ZERO_SHOT_ACCURACY_MAX = 0.3  # chance is 1/8
FV_EXAMPLES = 5  # examples in the few-shot and shuffled-label prompts function vectors use
FV_HEADS = 3  # heads summed into a function vector
FV_LAYER = 0  # the vector is added to the residual stream before this block
FV_ACCURACY_MIN = 0.6
# every head by average indirect effect on the shipped checkpoint (`average_indirect_effect`,
# asserted by tests/runner/test_zoo_icl.py); the section's checks read it instead of measuring
FV_RANKED_HEADS: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (0, 0), (0, 3), (1, 1), (1, 0), (1, 2), (1, 3))
STEER_LAYER = 1  # contrast-pair steering (upper minus copy) is added before this block
STEER_EXAMPLES = 4  # examples in the contrast prompts and in the steered ones


def tokenizer():
    from arena_cli.zoo._common import build_tokenizer

    return build_tokenizer(list(VOCAB), bos="<bos>", pad="<pad>", unk="<unk>", name=NAME)


def is_upper(token_ids: torch.Tensor) -> torch.Tensor:
    """Whether each token is an uppercase letter (the behaviour contrast-pair steering moves)."""
    offset = token_ids - FIRST_PAIR
    return (offset >= 0) & (offset % (2 * N_SYMBOLS) >= N_SYMBOLS)


def pair_token(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The token `x:y` for letter indices x (0 … 15) and output indices y (0 … 31: a … p, A … P)."""
    return FIRST_PAIR + 2 * N_SYMBOLS * x + y


# ---------------------------------------------------------------------------------------------
# Data


def make_prompts(
    batch: int, g: torch.Generator, tasks: torch.Tensor | None = None, n_pairs: int = N_PAIRS
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids [batch, 1 + 2*n_pairs] and the task index of each prompt [batch].

    Positions 2k+1, 2k+2 hold x_k, y_k = f(x_k) (k = 0 … n_pairs-1); y_k is predicted at
    x_k's position, 2k+1, after k examples.
    """
    if tasks is None:
        tasks = torch.randint(len(TASK_NAMES), (batch,), generator=g)
    xs = torch.stack([torch.randperm(N_SYMBOLS, generator=g)[:n_pairs] for _ in range(batch)])
    tokens = torch.empty(batch, 1 + 2 * n_pairs, dtype=torch.long)
    tokens[:, 0] = BOS
    tokens[:, 1::2] = xs + FIRST_LETTER
    tokens[:, 2::2] = TASK_TABLE[tasks[:, None], xs]
    return tokens, tasks


def training_batch(batch: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A training batch: `make_prompts` with each output replaced, with probability `NOISE`,
    by a random letter of either case; and the mask [batch, n_pairs] of the outputs the loss
    is on (the clean ones after at least `LOSS_FROM` examples)."""
    tokens, _ = make_prompts(batch, g)
    noisy = torch.rand(batch, N_PAIRS, generator=g) < NOISE
    random_pairs = pair_token(tokens[:, 1::2] - FIRST_LETTER, torch.randint(2 * N_SYMBOLS, (batch, N_PAIRS), generator=g))
    tokens[:, 2::2] = torch.where(noisy, random_pairs, tokens[:, 2::2])
    mask = ~noisy
    mask[:, :LOSS_FROM] = False
    return tokens, mask


def icl_prompts(
    batch: int, g: torch.Generator, tasks: torch.Tensor | int, n_examples: int, *, shuffled: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Prompts `<bos> x1 -> y1 … xk -> yk x ->` ([batch, 3k+3]) of task(s) `tasks` and the
    correct answer at the last arrow ([batch], a token id). With `shuffled`, the examples'
    outputs are rotated by a random 1 … k-1 places (every example gets another example's
    output: the task's output letters stay, the mapping is gone); the answer is still f(x)."""
    if isinstance(tasks, int):
        tasks = torch.full((batch,), tasks, dtype=torch.long)
    tokens, _ = make_prompts(batch, g, tasks, n_pairs=n_examples + 1)
    answers = tokens[:, -1].clone()
    tokens = tokens[:, :-1]
    if shuffled and n_examples > 1:
        ys = (tokens[:, 2::2] - FIRST_PAIR) % (2 * N_SYMBOLS)
        shift = torch.randint(1, n_examples, (batch, 1), generator=g)
        order = (torch.arange(n_examples) + shift) % n_examples
        tokens[:, 2::2] = pair_token(tokens[:, 1:-1:2] - FIRST_LETTER, ys.gather(1, order))
    return tokens, answers


def query_position(n_examples: int) -> int:
    """The arrow where the output is predicted after `n_examples` examples."""
    return 2 * n_examples + 1


# ---------------------------------------------------------------------------------------------
# Measurements


@torch.no_grad()
def accuracy_by_examples(model, *, n: int = 512, seed: int = 77) -> list[float]:
    """Top-1 accuracy of predicting y_k after k examples, for k = 0 … N_PAIRS-1."""
    tokens, _ = make_prompts(n, torch.Generator().manual_seed(seed))
    device = next(model.parameters()).device
    logits = model(tokens.to(device)).float().cpu()
    predicted = logits[:, 1::2].argmax(-1)  # at the inputs, [batch, pair]
    return (predicted == tokens[:, 2::2]).float().mean(0).tolist()


def _all_task_prompts(n_per_task: int, seed: int, n_examples: int, shuffled: bool = False):
    tasks = torch.arange(len(TASK_NAMES)).repeat_interleave(n_per_task)
    tokens, answers = icl_prompts(len(tasks), torch.Generator().manual_seed(seed), tasks, n_examples, shuffled=shuffled)
    return tokens, answers, tasks


@torch.no_grad()
def mean_head_z(bridge, *, n_per_task: int = 64, seed: int = 11) -> torch.Tensor:
    """[task, layer, head, d_head]: each head's mean z at the last position over clean few-shot
    prompts (`FV_EXAMPLES` examples) of each task; its mean output is this @ W_O."""
    tokens, _, tasks = _all_task_prompts(n_per_task, seed, FV_EXAMPLES)
    names = [f"blocks.{layer}.attn.hook_z" for layer in range(bridge.cfg.n_layers)]
    _, cache = bridge.run_with_cache(tokens, names_filter=lambda name: name in names)
    z = torch.stack([cache[name][:, -1] for name in names], 1)  # [batch, layer, head, d_head]
    return torch.stack([z[tasks == t].mean(0) for t in range(len(TASK_NAMES))])


@torch.no_grad()
def average_indirect_effect(bridge, mean_z: torch.Tensor, *, n_per_task: int = 64, seed: int = 12) -> torch.Tensor:
    """[layer, head]: the gain in the correct answer's probability on shuffled-label prompts
    when one head's output at the last position is replaced by its clean mean for the prompt's
    task, averaged over prompts and tasks."""
    tokens, answers, tasks = _all_task_prompts(n_per_task, seed, FV_EXAMPLES, shuffled=True)
    rows = torch.arange(len(tokens))
    base = bridge(tokens)[:, -1].softmax(-1)[rows, answers]
    n_layers, n_heads = bridge.cfg.n_layers, bridge.cfg.n_heads
    effect = torch.zeros(n_layers, n_heads)
    for layer in range(n_layers):
        for head in range(n_heads):
            def patch(z, hook, head=head, layer=layer):
                z = z.clone()
                z[:, -1, head] = mean_z[tasks, layer, head]
                return z

            probs = bridge.run_with_hooks(
                tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", patch)]
            )[:, -1].softmax(-1)[rows, answers]
            effect[layer, head] = (probs - base).mean()
    return effect


def top_heads(effect: torch.Tensor, k: int = FV_HEADS) -> list[tuple[int, int]]:
    flat = effect.flatten().topk(k).indices.tolist()
    return [divmod(i, effect.shape[1]) for i in flat]


def function_vectors(bridge, mean_z: torch.Tensor, heads: list[tuple[int, int]]) -> torch.Tensor:
    """[task, d_model]: the summed mean outputs (mean z @ W_O) of `heads`."""
    return sum(mean_z[:, layer, head] @ bridge.W_O[layer, head] for layer, head in heads)


@torch.no_grad()
def steered_accuracy(bridge, tokens, answers, vectors, *, layer: int = FV_LAYER) -> float:
    """Accuracy at the last position with `vectors` ([batch, d_model]) added to the residual
    stream there, before block `layer`."""
    def add(resid, hook):
        resid = resid.clone()
        resid[:, -1] += vectors
        return resid

    logits = bridge.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.hook_resid_pre", add)])
    return float((logits[:, -1].argmax(-1) == answers).float().mean())


@torch.no_grad()
def function_vector_figures(bridge, *, n_per_task: int = 64, seed: int = 13, layer: int = FV_LAYER,
                            n_heads: int = FV_HEADS) -> dict[str, Any]:
    """Per task: zero-shot accuracy, with its function vector, with another task's vector
    (the next task in TASK_NAMES), with a random vector of the same norm; and the top heads."""
    mean_z = mean_head_z(bridge)
    effect = average_indirect_effect(bridge, mean_z)
    heads = top_heads(effect, n_heads)
    vectors = function_vectors(bridge, mean_z, heads)
    g = torch.Generator().manual_seed(seed)
    n_tasks = len(TASK_NAMES)
    tokens, answers, tasks = _all_task_prompts(n_per_task, seed, 0)
    random = torch.randn(n_tasks, vectors.shape[1], generator=g)
    random = random / random.norm(dim=1, keepdim=True) * vectors.norm(dim=1, keepdim=True)
    other = vectors[(torch.arange(n_tasks) + 1) % n_tasks]
    figures: dict[str, Any] = dict(heads=heads, aie=effect.tolist(), layer=layer, per_task={})
    with torch.no_grad():
        plain = (bridge(tokens)[:, -1].argmax(-1) == answers).float()
    for t, name in enumerate(TASK_NAMES):
        rows = tasks == t
        tok, ans = tokens[rows], answers[rows]
        figures["per_task"][name] = dict(
            zero_shot=float(plain[rows].mean()),
            fv=steered_accuracy(bridge, tok, ans, vectors[t], layer=layer),
            other_task=steered_accuracy(bridge, tok, ans, other[t], layer=layer),
            random=steered_accuracy(bridge, tok, ans, random[t], layer=layer),
        )
    comps = {}
    index = {name: i for i, name in enumerate(TASK_NAMES)}
    for (a, b, c), d in COMPOSITIONS.items():
        rows = tasks == index[d]
        vec = vectors[index[a]] + vectors[index[b]] - vectors[index[c]]
        comps[f"{a}+{b}-{c}->{d}"] = dict(
            composed=steered_accuracy(bridge, tokens[rows], answers[rows], vec, layer=layer),
            plain_sum=steered_accuracy(bridge, tokens[rows], answers[rows], vectors[index[a]] + vectors[index[b]], layer=layer),
        )
    figures["compositions"] = comps
    return figures


def measure(bridge) -> dict[str, Any]:
    by_k = accuracy_by_examples(bridge)
    fv = function_vector_figures(bridge)
    return dict(accuracy_by_examples=by_k, zero_shot=by_k[0], few_shot=by_k[FEW_SHOT], function_vectors=fv)


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
    history: list[dict[str, Any]] = []
    should_log = _training.logging_every(log_every, steps)

    def batch(data: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        tokens, mask = training_batch(BATCH, data)
        return tokens.to(device), mask.to(device)

    def loss(model, batch) -> torch.Tensor:
        # the loss is on the outputs (predicted at the inputs; the inputs themselves are
        # random), only the clean ones after one or more examples: see the module docstring
        tokens, mask = batch
        logits = model(tokens)[:, 1::2]
        return F.cross_entropy(logits[mask], tokens[:, 2::2][mask])

    def observe(step: int, model, loss) -> None:
        if not should_log(step):
            return
        model.eval()
        by_k = accuracy_by_examples(model, n=256)
        model.train()
        history.append(dict(step=step, seconds=round(clock(), 1), loss=loss.item(), accuracy_by_examples=by_k))
        if verbose:
            shown = " ".join(f"{a:.2f}" for a in by_k[:6])
            print(f"[{NAME}] step {step:5d}  {clock():6.1f}s  cpu {clock.cpu():6.1f}s  loss {loss.item():.3f}  "
                  f"accuracy after 0..5 examples: {shown}", flush=True)

    def final(model) -> dict[str, Any]:
        bridge = _common.boot(NAME, device=device)
        bridge.load_state_dict(_common.bridge_state_dict(NAME, model))
        with torch.no_grad():
            return measure(bridge.eval())

    model, measured = _training.fit(
        NAME, seed=seed, device=device, steps=steps, lr=LR, weight_decay=WEIGHT_DECAY,
        lr_factor=_training.warmup_cosine(WARMUP, steps), batch=batch, loss=loss, final=final, observe=observe,
    )
    result = dict(
        _training.summary(NAME, seed=seed, steps=steps, device=device, clock=clock, model=model),
        **measured, history=history,
    )
    _training.save(out, NAME, model, result, dict(seed=seed, steps=steps, batch=BATCH, lr=LR, weight_decay=WEIGHT_DECAY))
    return result
