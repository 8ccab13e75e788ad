import pytest
import torch

from arena_cli.course.function_vectors import answer_probability, mean_z, patch_head, prompts, task_index
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_heatmap
from arena_cli.zoo import icl, load

ex = load_exercise(__file__)
model = load("icl")
N_LAYERS, N_HEADS = model.cfg.n_layers, model.cfg.n_heads
HEADS = [(l, h) for l in range(N_LAYERS) for h in range(N_HEADS)]


def test_mean_head_z_is_taken_at_the_last_position():
    tokens, _ = prompts(task_index("cipher3"), 24, 5, seed=1)
    before = tokens.clone()
    got = ex.mean_head_z(model, tokens)
    assert_unchanged(before, tokens, name="tokens")
    assert_close(got, mean_z(model, tokens), atol=1e-5, name="mean z of every head at the last position [layer, head, d_head]",
                 mistakes={"the mean is over every position; the function vector uses the last position only": lambda: mean_z(model, tokens, position=None),
                           "that is the position before the last; the query is the last position (-1)": lambda: mean_z(model, tokens, position=-2)})


def reference_effect(corrupted, answers, z_means, layer, head, *, every_position=False):
    base = answer_probability(model(corrupted), answers)
    patched = answer_probability(patch_head(model, corrupted, layer, head, z_means[layer, head], every_position=every_position), answers)
    return float((patched - base).mean())


@pytest.mark.parametrize("layer, head", [HEADS[0], HEADS[len(HEADS) // 2 + 1], HEADS[-1]], ids=lambda v: str(v))
def test_indirect_effect_of_one_head(layer, head):
    t = task_index("upper_cipher1")
    clean, _ = prompts(t, 32, 5, seed=2)  # the means come from other prompts than the ones patched
    corrupted, answers = prompts(t, 32, 5, seed=3, shuffled=True)
    z_means = mean_z(model, clean)
    kept = z_means.clone()
    got = ex.indirect_effect(model, corrupted, answers, z_means, layer, head)
    assert_unchanged(kept, z_means, name="mean_z")
    assert isinstance(got, float), f"return a Python float, got {type(got).__name__}"
    assert_close(got, reference_effect(corrupted, answers, z_means, layer, head), atol=1e-5,
                 name=f"gain in P(answer) from patching L{layer}H{head}'s mean z at the last position",
                 mistakes={"the head was patched at every position; only the last one": lambda: reference_effect(corrupted, answers, z_means, layer, head, every_position=True),
                           "that is P(answer) with the patch, without subtracting P(answer) unpatched": lambda: float(answer_probability(patch_head(model, corrupted, layer, head, z_means[layer, head]), answers).mean())})


def test_average_indirect_effect_heatmap():
    names = ["cipher2", "upper_cipher4"]
    clean, corrupted, answers, clean_answers = [], [], [], []
    for i, name in enumerate(names):
        c, ca = prompts(task_index(name), 16, 5, seed=10 + i)
        x, a = prompts(task_index(name), 16, 5, seed=10 + i, shuffled=True)  # the same prompts, labels shuffled
        clean.append(c); clean_answers.append(ca); corrupted.append(x); answers.append(a)
    got = ex.average_indirect_effect(model, clean, corrupted, answers)
    def grid(prompt_sets):
        effect = torch.zeros(N_LAYERS, N_HEADS)
        for c, x, a in zip(clean, prompt_sets, answers):
            z_means = mean_z(model, c)
            for layer, head in HEADS:
                effect[layer, head] += reference_effect(x, a, z_means, layer, head) / len(names)
        return effect

    assert_close(got, grid(corrupted), atol=1e-5, name="average indirect effect [layer, head]",
                 mistakes={"the effect was measured on the clean prompts; patch into the shuffled-label (corrupted) ones": lambda: grid(clean)})
    show_heatmap(got, [f"L{l}" for l in range(N_LAYERS)], [f"H{h}" for h in range(N_HEADS)], vmin=None, vmax=None,
                 scale="diverging", title="average indirect effect (gain in P(answer) on shuffled-label prompts)",
                 x_label="head", y_label="layer")
