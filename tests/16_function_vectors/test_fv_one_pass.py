import pytest
import torch

from arena_cli.course.function_vectors import function_vector, mean_z, prompts, run_with_last, task_index
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake
from arena_cli.zoo import icl, load

ex = load_exercise(__file__)
model = load("icl")
LAYER = icl.FV_LAYER
HEADS = [tuple(h) for h in icl.FV_RANKED_HEADS[: icl.FV_HEADS]]
LAST = model.cfg.n_layers - 1
READ = [f"blocks.{LAYER}.hook_resid_pre", f"blocks.{LAST}.attn.hook_z", f"blocks.{LAST}.hook_resid_post"]


def setup(seed: int):
    t = task_index("cipher3")
    few, _ = prompts(t, 32, icl.FV_EXAMPLES, seed=seed)
    zero, answers = prompts(t, 12, 0, seed=seed + 1)
    z_means = mean_z(model, few)
    return zero, z_means, function_vector(model, z_means, HEADS)


def reference_read(tokens, vector):
    """The activations of the intervened model, captured by a second hook after the editing one."""
    seen = {}

    def capturer(name):  # keyed by the name asked for (the bridge may call its hook by an alias)
        def capture(act, hook):
            seen[name] = act.detach().clone()
        return capture

    def add(resid, hook):
        resid = resid.clone()
        resid[:, -1] += vector
        capturer(steered)(resid, hook)
        return resid

    steered = f"blocks.{LAYER}.hook_resid_pre"
    logits = model.run_with_hooks(tokens, fwd_hooks=[(steered, add)] + [(name, capturer(name)) for name in READ if name != steered])
    return logits, seen


def test_steered_run_reads_the_intervened_activations():
    zero, _, vector = setup(1)
    kept = vector.clone()
    logits, acts = ex.steered_run(model, zero, vector, LAYER, READ)
    assert_unchanged(kept, vector, name="vector")
    ref_logits, ref = reference_read(zero, vector)
    assert_close(logits, ref_logits, atol=1e-4, name="logits of the steered run")
    assert set(acts) == set(READ), f"return the activations named in `read`: {READ}, got {sorted(acts)}"
    _, clean = model.run_with_cache(zero)
    for name in READ:
        assert_close(acts[name], ref[name], atol=1e-4, name=f"{name} in the steered run",
                     mistakes={"that is the clean (unsteered) activation: read it in the same pass as the intervention": clean[name]})


def test_steered_run_leaves_no_hook_behind():
    zero, _, vector = setup(2)
    before = model(zero)
    ex.steered_run(model, zero, vector, LAYER, READ[:1])
    after = model(zero)
    model.reset_hooks(including_permanent=True)
    if not torch.allclose(after, before, atol=1e-6):
        raise mistake("a hook stayed attached after the call: add hooks inside `with model.hooks(...)` or use run_with_hooks")


def reference_patch(tokens, z_means, heads, *, every_position=False):
    def patch(z, hook):
        layer = int(hook.name.split(".")[1])  # blocks.<layer>.…
        z = z.clone()
        for l, h in heads:
            if l == layer:
                z[:, slice(None) if every_position else -1, h] = z_means[l, h]
        return z

    names = sorted({f"blocks.{l}.attn.hook_z" for l, _ in heads})
    return model.run_with_hooks(tokens, fwd_hooks=[(name, patch) for name in names])


@pytest.mark.parametrize("n", [1, 3, 6], ids=lambda n: f"{n}_heads")
def test_patched_heads_run(n):
    zero, z_means, _ = setup(3)
    heads = [tuple(h) for h in icl.FV_RANKED_HEADS[:n]]
    kept = z_means.clone()
    got = ex.patched_heads_run(model, zero, z_means, heads)
    assert_unchanged(kept, z_means, name="mean_z")
    only_last_head = lambda: reference_patch(zero, z_means, heads[-1:])
    assert_close(got, reference_patch(zero, z_means, heads), atol=1e-4, name=f"logits with the top {n} heads patched at the last position",
                 mistakes={"only one head per layer was patched: a later hook on the same layer undid an earlier one": lambda: reference_patch(zero, z_means, list({l: (l, h) for l, h in heads}.values())),
                           "the heads were patched at every position; only the last one": lambda: reference_patch(zero, z_means, heads, every_position=True),
                           "only the last head of the list was patched": only_last_head} if n > 1 else
                 {"the head was patched at every position; only the last one": lambda: reference_patch(zero, z_means, heads, every_position=True)})
