import pytest
import torch

from arena_cli.course import world_models as wm
from arena_cli.testing import assert_close, assert_unchanged, load_exercise
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("othello")
TOKENS = wm.model_input(wm.games(6, seed=0))
N_LAYERS = model.cfg.n_layers


def captured(name: str, tokens: torch.Tensor) -> torch.Tensor:
    """The activation at hook `name`, captured with a forward hook (an oracle apart from caches)."""
    seen = []
    model.run_with_hooks(tokens, fwd_hooks=[(name, lambda act, hook: seen.append(act.clone()))])
    return seen[0]


def resid(layer: int, tokens: torch.Tensor) -> torch.Tensor:
    name = f"blocks.{layer}.hook_resid_pre" if layer < N_LAYERS else f"blocks.{N_LAYERS - 1}.hook_resid_post"
    return captured(name, tokens)


@pytest.mark.parametrize("layer", range(N_LAYERS + 1), ids=[f"layer{l}" for l in range(N_LAYERS + 1)])
def test_residual_at_each_move(layer):
    full = resid(layer, TOKENS)  # [game, pos, d_model]
    before = TOKENS.clone()
    got = ex.residuals_after_moves(model, TOKENS, layer)
    assert_unchanged(before, TOKENS, name="tokens")
    mistakes = {
        "position 0 (<bos>) is kept and the last move dropped: move t sits at position t + 1": full[:, :-1],
    }
    if layer < N_LAYERS:
        mistakes[f"this is the stream leaving block {layer} (hook_resid_post), not the one entering it (hook_resid_pre)"] = (
            lambda: resid(layer + 1, TOKENS)[:, 1:]
        )
    if layer > 0:
        mistakes[f"this is the stream entering block {layer - 1}: the layer is off by one"] = lambda: resid(layer - 1, TOKENS)[:, 1:]
    assert_close(got, full[:, 1:], atol=1e-5, name=f"residual stream entering block {layer} at moves 1…31", mistakes=mistakes)


def test_every_game_and_its_own_length():
    tokens = wm.model_input(wm.games(3, seed=5))[:, :20]  # shorter inputs are fine too
    got = ex.residuals_after_moves(model, tokens, 2)
    assert_close(got, resid(2, tokens)[:, 1:], atol=1e-5, name="residual stream of 3 games cut to 20 positions")


def test_only_one_activation_is_cached(monkeypatch):
    real = model.run_with_cache
    seen = {}

    def spy(*args, **kwargs):
        seen["filter"] = kwargs.get("names_filter")
        logits, cache = real(*args, **kwargs)
        seen["keys"] = list(cache.keys())
        return logits, cache

    monkeypatch.setattr(model, "run_with_cache", spy)
    ex.residuals_after_moves(model, TOKENS[:2], 1)
    keys = seen.get("keys")
    if keys is not None:
        assert len(keys) == 1, f"cache only the activation you need (names_filter); your cache held {len(keys)} activations"
