"""Helpers for section 1.8 (grokking): the zoo model's snapshots as plain weights, a fast
forward over every pair (a, b), and the Fourier basis of Z_p built from `torch.fft`.

The zoo's `grokking.load_checkpoints()` boots a TransformerBridge per snapshot (about 0.1 s
each) and a bridge forward over all p² pairs runs every position through hooks. The checks of
1.8 need only the last position's logits and neurons, often of many snapshots, so this module
reads the snapshot files directly and runs the one-layer maths in plain torch:

    resid_0 = W_E[a] + pos_0,  resid_1 = W_E[b] + pos_1,  resid_2 = W_E[=] + pos_2
    attention from position 2 only (the query is the same for every pair)
    resid   = resid_2 + attn_out;  post = ReLU(resid W_in + b_in)
    logits  = (resid + post W_out + b_out) W_U + b_U

`tests/18_grokking` checks it against the bridge's own forward and cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch

from arena_cli.zoo import grokking as zoo_grokking

P = zoo_grokking.P


@dataclass(frozen=True)
class SnapshotWeights:
    """One training snapshot as plain float32 tensors (TransformerLens state-dict names)."""

    step: int
    metrics: dict[str, float]  # train_loss, test_loss, train_acc, test_acc at that step
    weights: dict[str, torch.Tensor]


@lru_cache(maxsize=1)
def _history() -> tuple[SnapshotWeights, ...]:
    from arena_cli.zoo import _common

    folder = zoo_grokking.history_dir()
    files = sorted(folder.glob(zoo_grokking.SNAPSHOT_GLOB))
    if not files:
        raise _common.ZooError(f"the grokking history is missing ({folder}); {_common.rebuild_hint('grokking')}")
    out = []
    for file in files:
        data = _common.read_checkpoint(file, zoo_grokking.NAME, kind="history")
        info = dict(data["snapshot"])
        step = int(info.pop("step"))
        weights = {k: v.float() for k, v in data["tensors"]["model"].items()}
        out.append(SnapshotWeights(step=step, metrics=info, weights=weights))
    return tuple(out)


def history() -> list[SnapshotWeights]:
    """The 20 shipped snapshots, oldest first (read once per process)."""
    return list(_history())


def bridge_weights(model) -> dict[str, torch.Tensor]:
    """A bridge's weights in the same form (e.g. the final zoo model)."""
    return {k: v.detach().float() for k, v in model.state_dict().items()}


def forward_all_pairs(weights: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Last-position logits [p*p, p] and MLP activations [p*p, d_mlp] for every pair, in the
    row order of `zoo.grokking.all_pairs` (row a*p + b)."""
    w = weights
    n_heads = zoo_grokking.CONFIG["n_heads"]
    d_head = zoo_grokking.CONFIG["d_head"]
    embed, pos = w["embed.weight"], w["pos_embed.weight"]

    def linear(x, name):
        return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]

    numbers = embed[:P]  # [p, d]
    r0, r1 = numbers + pos[0], numbers + pos[1]  # [p, d] each: a at position 0, b at 1
    r2 = embed[P] + pos[2]  # [d]: "=" at position 2, the same for every pair
    q = linear(r2, "blocks.0.attn.q").view(n_heads, d_head)
    k0, k1, k2 = (linear(r, "blocks.0.attn.k").view(-1, n_heads, d_head) for r in (r0, r1, r2[None]))
    v0, v1, v2 = (linear(r, "blocks.0.attn.v").view(-1, n_heads, d_head) for r in (r0, r1, r2[None]))
    scale = d_head**0.5
    s0 = torch.einsum("hd,ahd->ah", q, k0) / scale  # [p, head]
    s1 = torch.einsum("hd,bhd->bh", q, k1) / scale
    s2 = torch.einsum("hd,hd->h", q, k2[0]) / scale
    scores = torch.stack(
        [s0[:, None].expand(P, P, n_heads), s1[None].expand(P, P, n_heads), s2.expand(P, P, n_heads)], dim=-1
    )  # [a, b, head, key]
    pattern = scores.softmax(-1)
    z = (
        pattern[..., 0, None] * v0[:, None]
        + pattern[..., 1, None] * v1[None]
        + pattern[..., 2, None] * v2[0]
    )  # [a, b, head, d_head]
    resid = r2 + linear(z.reshape(P * P, n_heads * d_head), "blocks.0.attn.o")  # [p*p, d]
    post = linear(resid, "blocks.0.mlp.in").relu()  # [p*p, d_mlp]
    resid = resid + linear(post, "blocks.0.mlp.out")
    logits = resid @ w["unembed.weight"].T + w["unembed.bias"]
    return logits, post


def weight_norm(weights: dict[str, torch.Tensor]) -> float:
    """The L2 norm of all parameters together."""
    return float(torch.sqrt(sum(v.pow(2).sum() for v in weights.values())))


def fourier_basis_from_fft(p: int = P) -> torch.Tensor:
    """The orthonormal real Fourier basis of Z_p, rows [1, cos 1, sin 1, cos 2, sin 2, ...],
    read off `torch.fft.rfft` of the identity (an oracle nobody here wrote)."""
    spectrum = torch.fft.rfft(torch.eye(p, dtype=torch.float64), dim=0)  # [p//2 + 1, p]
    rows = [spectrum[0].real / p**0.5]
    for k in range(1, p // 2 + 1):
        rows += [spectrum[k].real * (2 / p) ** 0.5, -spectrum[k].imag * (2 / p) ** 0.5]
    return torch.stack(rows).float()


def fourier_labels(p: int = P) -> list[str]:
    return ["const"] + [f"{kind} {k}" for k in range(1, p // 2 + 1) for kind in ("cos", "sin")]


def key_frequency_set(model: Any = None) -> list[int]:
    """The zoo's own key frequencies of the final model (by embedding norm, frequencies from 1)."""
    from arena_cli.zoo import load

    model = load("grokking") if model is None else model
    return zoo_grokking.key_frequencies(model.W_E[:P].detach())[0]


# Restricted loss (all inputs) and excluded loss (training inputs) of every shipped snapshot,
# with the final model's key frequencies [1, 7, 19, 22, 38] (the definitions of the exercise
# grok_restricted_excluded). Computing them takes one forward over all pairs per snapshot
# (about 0.3 s each on a busy CPU), more than a check may spend, so they are kept here;
# tests/18_grokking/test_grok_progress_measures.py recomputes several rows and compares.
RESTRICTED_EXCLUDED = {
    0: (4.72739, 4.73043),
    184: (3.33033, 0.10517),
    368: (2.90072, 0.03012),
    553: (2.44696, 0.0124),
    737: (2.03065, 0.00737),
    921: (1.67996, 0.0062),
    1105: (1.41405, 0.00758),
    1289: (2.21064, 0.53445),
    1474: (1.92487, 0.5927),
    1658: (1.25272, 1.12915),
    1842: (0.79491, 2.80828),
    2026: (0.444, 6.61482),
    2211: (0.20017, 13.30853),
    2395: (0.04133, 17.89568),
    2579: (0.00064, 14.06322),
    2763: (0.00078, 9.42819),
    2947: (0.04691, 6.7075),
    3132: (0.04402, 8.03834),
    3316: (0.02895, 8.56795),
    3500: (0.0111, 8.86945),
}
