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


@pytest.mark.parametrize("n_pos", [1, 7, 30, 64])
@pytest.mark.parametrize("head", range(4), ids=[f"L0H{h}" for h in range(4)])
def test_matches_the_model_without_token_embeddings(head, n_pos):
    got = ex.positional_pattern(model, head, n_pos)
    assert_close(got, no_token_embeddings(n_pos)[head], atol=1e-5,
                 name=f"positional pattern of L0H{head} over {n_pos} positions vs the model run with hook_embed zeroed")


def test_previous_token_head_looks_one_back_by_position_alone():
    head = int(detect_head(model, "t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12", "previous_token_head")[0].argmax())
    n_pos = 20
    pattern = ex.positional_pattern(model, head, n_pos)
    assert_close(pattern, no_token_embeddings(n_pos)[head], atol=1e-5, name=f"positional pattern of L0H{head}")
    assert_close(pattern[1:].argmax(dim=-1), torch.arange(n_pos - 1), name="the key each query (1 …) attends to most")
    labels = [str(i) for i in range(n_pos)]
    show_heatmap(pattern, labels, labels, title=f"L0H{head} from positions alone (query rows, key columns)")
