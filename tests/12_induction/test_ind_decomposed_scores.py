import math

import pytest
import torch
from transformer_lens.head_detector import detect_head

from arena_cli.testing import assert_close, assert_unchanged, load_exercise
from arena_cli.zoo import load
from arena_cli.zoo.induction import repeated_tokens

ex = load_exercise(__file__)
model = load("induction")
ORDER = ["embed", "pos_embed", "L0H0", "L0H1", "L0H2", "L0H3", "bias"]
HALF_LEN = 10
TOKENS = repeated_tokens(3, HALF_LEN, torch.Generator().manual_seed(0))
_, CACHE = model.run_with_cache(TOKENS)


def parts(head, which):
    """q or k of layer-1 head `head` split by component (TransformerLens' decomposition, frozen ln1 scale)."""
    stack, labels = CACHE.get_full_resid_decomposition(layer=1, expand_neurons=False, return_labels=True)
    stack = stack[[labels.index(name) for name in ORDER]]
    W = (model.W_Q if which == "q" else model.W_K)[1, head]
    b = (model.b_Q if which == "q" else model.b_K)[1, head]
    result = (CACHE.apply_ln_to_stack(stack, layer=1) * model.blocks[1].ln1.w) @ W
    result[-1] += model.blocks[1].ln1.b @ W + b
    return result


@pytest.mark.parametrize("head", range(4), ids=[f"L1H{h}" for h in range(4)])
def test_pairs_add_up_to_the_heads_scores(head):
    scores = ex.decomposed_scores(parts(head, "q"), parts(head, "k"))
    assert tuple(scores.shape) == (7, 7, 3, 21, 21), f"expected [7, 7, batch, q_pos, k_pos], got {tuple(scores.shape)}"
    q, k = CACHE["q", 1][:, :, head], CACHE["k", 1][:, :, head]
    expected = torch.einsum("bie,bje->bij", q, k) / math.sqrt(16)
    assert_close(scores.sum(dim=(0, 1)), expected, atol=1e-4, name=f"sum over pairs vs q . k / sqrt(d_head) of L1H{head}")


def test_pair_terms_on_hand_made_parts():
    q_parts = torch.zeros(2, 1, 2, 4)
    k_parts = torch.zeros(3, 1, 2, 4)
    q_parts[1, 0, 1] = torch.tensor([2.0, 0.0, 0.0, 0.0])  # query component 1 at position 1
    k_parts[2, 0, 0] = torch.tensor([3.0, 0.0, 0.0, 0.0])  # key component 2 at position 0
    before = (q_parts.clone(), k_parts.clone())
    scores = ex.decomposed_scores(q_parts, k_parts)
    assert_unchanged(before[0], q_parts, name="q_parts")
    assert_unchanged(before[1], k_parts, name="k_parts")
    expected = torch.zeros(2, 3, 1, 2, 2)
    expected[1, 2, 0, 1, 0] = 2.0 * 3.0 / 2.0  # / sqrt(d_head = 4)
    assert_close(scores, expected, atol=1e-6, name="scores [q_comp, k_comp, batch, q_pos, k_pos] of hand-made parts", mistakes={
        "the scores are not divided by sqrt(d_head)": expected * 2.0,
        "d_head is hard-coded as 16 (the zoo model's); read it from the parts' last axis": expected / 2.0,
        "the scores are divided by d_head; divide by sqrt(d_head)": expected / 2.0,
        "the query and key positions are swapped: [q_comp, k_comp, batch, q_pos, k_pos]": expected.transpose(-1, -2),
    })


def test_strength_is_the_std_over_causal_entries():
    gen = torch.Generator().manual_seed(1)
    scores = torch.randn(3, 2, 4, 6, 6, generator=gen)
    scores[..., 0, 5] = 1000.0  # above the diagonal: must not count
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    expected = torch.stack(
        [torch.stack([scores[i, j][:, causal].flatten().std() for j in range(2)]) for i in range(3)]
    )
    before = scores.clone()
    got = ex.pair_strength(scores)
    assert_unchanged(before, scores, name="scores")
    assert_close(got, expected, atol=1e-5,
                 name="std of each pair over batch and j <= i entries (unbiased)", mistakes={
        "this is the biased standard deviation; use torch's default (unbiased)":
            lambda: before[..., causal].flatten(start_dim=2).std(dim=-1, unbiased=False),
        "the entries above the diagonal (j > i) were counted; only the causal ones (j <= i) count":
            lambda: before.flatten(start_dim=2).std(dim=-1),
        "the std is per batch item, then averaged; take one std over the batch and the causal entries together":
            lambda: before[..., causal].std(dim=-1).mean(dim=-1),
    })


def test_token_query_reads_the_previous_token_head_on_the_key_side():
    text = " ".join(model.to_str_tokens(TOKENS[0])[1:])
    prev = int(detect_head(model, text, "previous_token_head")[0].argmax())
    for head in range(4):
        strength = ex.pair_strength(ex.decomposed_scores(parts(head, "q"), parts(head, "k")))
        key = int(strength[0].argmax())  # query component 0: the token embedding
        assert key == 2 + prev, (
            f"L1H{head}: with the token embedding as query, the strongest key component is {ORDER[key]}, "
            f"expected the previous-token head L0H{prev}; strengths {strength[0].tolist()}"
        )


def test_scale_follows_d_head_of_the_parts():
    gen = torch.Generator().manual_seed(2)
    q_parts, k_parts = torch.randn(3, 2, 4, 9, generator=gen), torch.randn(2, 2, 4, 9, generator=gen)
    expected = torch.einsum("cbie,dbje->cdbij", q_parts, k_parts) / 3.0
    assert_close(ex.decomposed_scores(q_parts, k_parts), expected, atol=1e-5, name="scores of parts with d_head 9", mistakes={
        "d_head is hard-coded as 16 (the zoo model's); read it from the parts' last axis": expected * 3.0 / 4.0,
        "the scores are divided by d_head; divide by sqrt(d_head)": expected / 3.0,
        "the scores are not divided by sqrt(d_head)": expected * 3.0,
    })
