import contextlib

import pytest
import torch

from arena_cli.course import function_vectors as fvc
from arena_cli.testing import assert_close, load_exercise, mistake
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("icl")
TOKENS, _ = fvc.prompts(fvc.task_index("cipher2"), 12, 2, seed=7)
D, D_HEAD = model.cfg.d_model, model.cfg.d_head
VECTOR = torch.randn(D, generator=torch.Generator().manual_seed(3))
VALUE = torch.randn(D_HEAD, generator=torch.Generator().manual_seed(4))


@contextlib.contextmanager
def nnsight_only():
    """The exercise is about nnsight: TransformerLens' hook APIs raise while the learner's code runs."""
    cls = type(model)

    def forbidden(name):
        def call(*args, **kwargs):
            raise mistake(f"the rules ask for nnsight: `{name}` is TransformerLens' way (the checks compare with it)")
        return call

    saved = {name: cls.__dict__[name] for name in ("run_with_hooks", "hooks", "run_with_cache") if name in cls.__dict__}
    for name in ("run_with_hooks", "hooks", "run_with_cache"):
        setattr(cls, name, forbidden(name))
    points = list({id(p): p for p in model.hook_dict.values()}.values())  # some hook points have two names
    for hook_point in points:
        hook_point.add_hook = forbidden("add_hook")
    try:
        yield
    finally:
        for name in ("run_with_hooks", "hooks", "run_with_cache"):
            if name in saved:
                setattr(cls, name, saved[name])
            else:
                delattr(cls, name)
        for hook_point in points:
            hook_point.__dict__.pop("add_hook", None)


def z_hook(layer, head, value, *, columns=None, add=False, every=False):
    def hook(z, hook):
        z = z.clone()
        where = slice(None) if every else -1
        flat = z.flatten(-2)
        cols = columns if columns is not None else slice(head * D_HEAD, (head + 1) * D_HEAD)
        flat[:, where, cols] = flat[:, where, cols] + value if add else value
        return flat.view_as(z)
    return model.run_with_hooks(TOKENS, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)])


@pytest.mark.parametrize("layer", [0, 1])
def test_steering_matches_the_hook_version(layer):
    expected = fvc.run_with_last(model, TOKENS, layer, VECTOR)
    at_every = fvc.run_with_last(model, TOKENS, layer, VECTOR, every_position=True)
    replaced = fvc.run_with_last(model, TOKENS, layer, VECTOR, replace=True)
    post = model.run_with_hooks(TOKENS, fwd_hooks=[(f"blocks.{layer}.hook_resid_post", fvc.last_position_hook(VECTOR))])
    before = VECTOR.clone()
    with nnsight_only():
        got = ex.steer_with_nnsight(model, TOKENS, VECTOR, layer)
    assert torch.equal(before, VECTOR), "your code changed `vector` in place"
    assert_close(got, expected, atol=1e-4, name=f"steered logits at layer {layer} (nnsight vs run_with_hooks)", mistakes={
        "the vector is added at every position; only the last one predicts": at_every,
        "the residual is replaced by the vector; add it (+=)": replaced,
        "the vector went into the stream leaving the block (hook_resid_post), not the one entering it": post,
    })


def test_zero_vector_changes_nothing():
    with nnsight_only():
        got = ex.steer_with_nnsight(model, TOKENS, torch.zeros(D), 0)
    assert_close(got, model(TOKENS), atol=1e-5, name="logits with a zero vector")


@pytest.mark.parametrize("layer, head", [(0, 1), (1, 3)])
def test_head_patch_matches_the_hook_version(layer, head):
    expected = fvc.patch_head(model, TOKENS, layer, head, VALUE)
    variants = {
        "the head's columns are head:head + d_head; through nnsight head h is columns h*d_head … (h+1)*d_head - 1": lambda: z_hook(layer, head, VALUE, columns=slice(head, head + D_HEAD)),
        "the value is added to z; the patch replaces it": lambda: z_hook(layer, head, VALUE, add=True),
        "the head is patched at every position; the docstring asks for the last one": lambda: z_hook(layer, head, VALUE, every=True),
    }
    with nnsight_only():
        got = ex.patch_head_with_nnsight(model, TOKENS, layer, head, VALUE)
    assert_close(got, expected, atol=1e-4, name=f"logits with L{layer}H{head} patched (nnsight vs run_with_hooks)", mistakes=variants)


def test_model_is_clean_afterwards():
    with nnsight_only():
        ex.steer_with_nnsight(model, TOKENS, VECTOR, 1)
        ex.patch_head_with_nnsight(model, TOKENS, 0, 0, VALUE)
    assert_close(model(TOKENS), fvc.run_with_last(model, TOKENS, 0, torch.zeros(D)), atol=1e-6, name="the model's logits after your calls")
