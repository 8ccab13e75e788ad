import pytest
import torch

from arena_cli.course.brackets import COMPONENTS, failure_class_of, tl_attributions, unbalanced_post_ln
from arena_cli.testing import assert_close, load_exercise, show_bars

ex = load_exercise(__file__)


def direction(model):
    d = model.ln_final.w * unbalanced_post_ln(model)
    return d - d.mean()


@pytest.fixture(scope="module")
def tl_neurons(run):
    """TransformerLens' per-neuron decomposition at position 0, with the frozen final scale."""
    tokens, mask, logits, cache = run
    stack, labels = cache.get_full_resid_decomposition(expand_neurons=True, return_labels=True, pos_slice=0)
    return stack, labels


@pytest.mark.parametrize("layer", [1, 2], ids=["MLP1", "MLP2"])
def test_neuron_weights(model, layer):
    d = direction(model)
    wu = model.ln_final.w * unbalanced_post_ln(model)
    assert_close(ex.neuron_weights(model, layer), model.W_out[layer] @ d, atol=1e-5, name=f"neuron_weights of layer {layer} [d_mlp]",
                 mistakes={"that uses W_in: what a neuron writes is its row of W_out": lambda: model.W_in[layer].T @ d,
                           "the direction is not centred (w * u minus its mean)": lambda: model.W_out[layer] @ wu,
                           "the LayerNorm weight ln_final.w is missing from the direction":
                               lambda: model.W_out[layer] @ (unbalanced_post_ln(model) - unbalanced_post_ln(model).mean())})


@pytest.mark.parametrize("layer", [0, 1, 2], ids=["MLP0", "MLP1", "MLP2"])
def test_neurons_match_transformer_lens(model, run, tl_neurons, layer):
    tokens, mask, logits, cache = run
    stack, labels = tl_neurons
    rows = [i for i, label in enumerate(labels) if label.startswith(f"L{layer}N")]
    want = (cache.apply_ln_to_stack(stack[rows], layer=None, pos_slice=0) * model.ln_final.w) @ unbalanced_post_ln(model)
    want = want.T  # [batch, d_mlp]
    got = ex.neuron_attribution(cache, model, layer)
    scale = cache["scale"][:, 0]
    w = model.W_out[layer] @ direction(model)
    assert_close(got, want, atol=1e-4, rtol=1e-4, name=f"neuron terms of MLP{layer} [batch, d_mlp] vs get_full_resid_decomposition(expand_neurons=True)",
                 mistakes={
                     "the frozen LayerNorm scale is missing: divide by cache['scale'][:, 0]": lambda: want * scale,
                     "those are pre-activations (hook_pre): a neuron writes its activation after the ReLU (cache['post', layer])":
                         lambda: cache["pre", layer][:, 0] * w / scale,
                     "that is the last position: the class is read at position 0": lambda: cache["post", layer][:, -1] * w / cache["scale"][:, -1],
                 })
    # the neuron terms plus the bias term are the MLP's attribution
    mlp = tl_attributions(cache, model)[:, COMPONENTS.index(f"MLP{layer}")]
    bias = (model.b_out[layer] @ direction(model)) / scale[:, 0]
    assert_close(got.sum(-1) + bias, mlp, atol=1e-4, name=f"sum of the neuron terms + (b_out . d) / scale vs MLP{layer}'s attribution")


def test_figure_the_neurons_that_detect_elevation(model, run, held_out):
    tokens, mask, logits, cache = run
    got = ex.neuron_attribution(cache, model, 1)
    classes = [failure_class_of(s) for s in held_out]
    elevation = torch.tensor([c == "elevation" for c in classes])
    balanced = torch.tensor([c == "balanced" for c in classes])
    contrast = got[elevation].mean(0) - got[balanced].mean(0)
    top = contrast.abs().topk(8).indices
    show_bars([f"N{int(n)}" for n in top], contrast[top].tolist(),
              title="MLP1 neurons: mean term on 'elevation' strings minus on balanced ones (top 8)", y_label="logit diff")
    assert float(contrast[top[0]]) > 0.3
