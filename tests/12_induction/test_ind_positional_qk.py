import pytest
import torch
from transformer_lens.head_detector import detect_head

from arena_cli.testing import assert_close, load_exercise, show_heatmap
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("induction")


def no_token_embeddings(n_pos: int) -> torch.Tensor:
    """The layer-0 patterns [head, n_pos, n_pos] of a run whose token embeddings are switched off."""
    tokens = torch.randint(3, 103, (1, n_pos), generator=torch.Generator().manual_seed(n_pos))
    with model.hooks(fwd_hooks=[("hook_embed", lambda x, hook: torch.zeros_like(x))]):
        _, cache = model.run_with_cache(tokens, names_filter="blocks.0.attn.hook_pattern")
    return cache["pattern", 0][0]


def variant(head: int, n_pos: int, *, rows="first", layernorm=True, b_Q=True, scale=True, softmax_dim=-1) -> torch.Tensor:
    """The positional pattern computed from the weights with one step changed: the wrong answers
    a learner is likely to write (the oracle itself is the model run above, not this)."""
    W_pos = model.pos_embed.W_pos
    x = W_pos[:n_pos] if rows == "first" else W_pos[-n_pos:]
    if layernorm:
        ln = model.blocks[0].ln1
        x = torch.nn.functional.layer_norm(x, (x.shape[-1],), ln.w, ln.b, model.cfg.eps)
    q = x @ model.W_Q[0, head] + (model.b_Q[0, head] if b_Q else 0)
    k = x @ model.W_K[0, head] + model.b_K[0, head]
    scores = q @ k.T / (model.cfg.d_head**0.5 if scale else 1)
    future = torch.ones(n_pos, n_pos, dtype=torch.bool).triu(diagonal=1)
    return scores.masked_fill(future, float("-inf")).softmax(dim=softmax_dim)


def positional_mistakes(head: int, n_pos: int) -> dict:
    return {
        "the last n_pos rows of W_pos were taken; position i is row i, so take W_pos[:n_pos]": lambda: variant(head, n_pos, rows="last"),
        "W_pos went into W_Q and W_K without block 0's LayerNorm (ln1), which the model applies first": lambda: variant(head, n_pos, layernorm=False),
        "the query bias b_Q is left out": lambda: variant(head, n_pos, b_Q=False),
        "the scores are not divided by sqrt(d_head)": lambda: variant(head, n_pos, scale=False),
        "the softmax runs over the query axis; each query's row (over keys, the last axis) must sum to 1": lambda: variant(head, n_pos, softmax_dim=-2),
    }


@pytest.mark.parametrize("n_pos", [1, 7, 30, 64])
@pytest.mark.parametrize("head", range(4), ids=[f"L0H{h}" for h in range(4)])
def test_matches_the_model_without_token_embeddings(head, n_pos):
    got = ex.positional_pattern(model, head, n_pos)
    assert_close(got, no_token_embeddings(n_pos)[head], atol=1e-5, mistakes=positional_mistakes(head, n_pos),
                 name=f"positional pattern of L0H{head} over {n_pos} positions vs the model run with hook_embed zeroed")


def test_previous_token_head_looks_one_back_by_position_alone():
    head = int(detect_head(model, "t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12", "previous_token_head")[0].argmax())
    n_pos = 20
    pattern = ex.positional_pattern(model, head, n_pos)
    assert_close(pattern, no_token_embeddings(n_pos)[head], atol=1e-5, mistakes=positional_mistakes(head, n_pos), name=f"positional pattern of L0H{head}")
    assert_close(pattern[1:].argmax(dim=-1), torch.arange(n_pos - 1), name="the key each query (1 …) attends to most")
    labels = [str(i) for i in range(n_pos)]
    show_heatmap(pattern, labels, labels, title=f"L0H{head} from positions alone (query rows, key columns)")
