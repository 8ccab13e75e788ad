"""Shared by the checks of section 12_induction.

Every check runs torch on one thread and without autograd (both restored afterwards): the zoo
model is tiny, nothing here trains, and on a busy machine two threads per process wait on each
other far longer than they compute.
"""

import pytest
import torch

from arena_cli.testing import torch_on_one_thread


@pytest.fixture(autouse=True, scope="module")
def one_thread_no_grad():
    with torch_on_one_thread(grad=False):
        yield


def _detect(model, tokens: torch.Tensor, detection_pattern) -> torch.Tensor:
    """TransformerLens' `detect_head` score of every head, averaged over the rows of `tokens`.

    `detect_head` takes text (it calls `to_tokens`, which puts `<bos>` first), so each row goes
    in as its words without the `<bos>` it starts with.
    """
    from transformer_lens.head_detector import detect_head

    assert bool((tokens[:, 0] == 0).all()), "test inputs start with <bos>"
    texts = [" ".join(model.to_str_tokens(row)[1:]) for row in tokens]
    scores = [detect_head(model, text, detection_pattern) for text in texts]
    return torch.stack(scores).mean(dim=0)


@pytest.fixture
def detect():
    return _detect


def _gap_thresholds(scores: torch.Tensor, min_gap: float = 0.02) -> list[float]:
    """Thresholds halfway between consecutive distinct scores that are at least `min_gap` apart,
    so that small differences in how a score is normalised cannot move a head across them."""
    values = sorted(scores.flatten().tolist())
    return [(a + b) / 2 for a, b in zip(values, values[1:]) if b - a >= min_gap]


@pytest.fixture
def gap_thresholds():
    return _gap_thresholds


class WeightSurgeon:
    """An independent oracle for ablations: edit a second copy of the model's weights instead
    of hooking its activations.

    A head's z only reaches the residual stream through its slice of W_O: zero that slice and
    the head contributes nothing (zero ablation); add mean_z @ W_O[head] to b_O as well, and it
    contributes that constant everywhere (mean ablation).
    """

    def __init__(self) -> None:
        from arena_cli.zoo import load

        self.model = load("induction")
        self.clean = {k: v.clone() for k, v in self.model.state_dict().items()}

    def loss(self, tokens, layer: int, head: int, value=None) -> float:
        d_head = self.model.cfg.d_head
        state = {k: v.clone() for k, v in self.clean.items()}
        cols = slice(head * d_head, (head + 1) * d_head)
        w_o = state[f"blocks.{layer}.attn.o.weight"]  # nn.Linear layout: [d_model, n_heads * d_head]
        if value is not None:
            state[f"blocks.{layer}.attn.o.bias"] += w_o[:, cols] @ value
        w_o[:, cols] = 0.0
        self.model.load_state_dict(state)
        try:
            return float(self.model(tokens, return_type="loss"))
        finally:
            self.model.load_state_dict(self.clean)


@pytest.fixture(scope="module")
def surgeon():
    return WeightSurgeon()
