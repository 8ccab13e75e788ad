# MISTAKE: step 3 patches the recorded input of every head in a receiver's layer, not only the receivers.
# NAMED: every head in the receivers' layers
"""Path patching: a head's effect through chosen receivers only.

Activation patching of a head measures its *total* effect: everything downstream of it changes.
Path patching isolates one path: the effect of a sender head on the metric *only through* the
inputs of a set of receiver heads (e.g. their queries), everything else held at the corrupted
run's values. Three runs, all on the corrupted prompts (this section patches clean into
corrupted):

1. Cache the clean run and the corrupted run.
2. Run the corrupted prompts with the sender's z set to its clean value and *every other head's*
   z frozen at its corrupted value (MLPs are recomputed), and record the receivers' inputs
   (`hook_q`, `hook_k` or `hook_v` of each receiver head) there.
3. Run the corrupted prompts once more, changing nothing but the receivers' inputs, which take
   the values recorded in step 2. Return `metric` of these logits.

Freezing the other heads in step 2 is what makes it a path: otherwise the sender's effect would
also reach the receivers through the heads in between.

Goal: `path_patch(model, clean_tokens, corrupted_tokens, metric, sender, receivers, receiver_input)`
-> Python float, with `sender` = (layer, head), `receivers` a list of (layer, head) in later
layers, `receiver_input` one of "q", "k", "v" (default "q").

Rules: hooks and caches (`run_with_cache`, `run_with_hooks`); no `transformer_lens.patching`.

Worked example: on this model, sender L0H0 (the subject head) through the queries of the two
name movers L1H0 and L1H2 restores about two thirds of the clean logit difference
(0.65 on 100 prompts: 0.29 through L1H0, 0.37 through L1H2; through their keys or values, 0).
"""

from typing import Callable, Sequence

from jaxtyping import Int
from torch import Tensor


def path_patch(
    model, clean_tokens: Int[Tensor, "batch pos"], corrupted_tokens: Int[Tensor, "batch pos"],
    metric: Callable[[Tensor], Tensor], sender: tuple[int, int], receivers: Sequence[tuple[int, int]],
    receiver_input: str = "q",
) -> float:
    """Metric when only the receivers' `receiver_input` sees the sender's clean output."""
    # BEGIN SOLUTION: step 2 with hooks on every layer's hook_z (sender clean, others corrupted) and hooks saving the receivers' inputs; step 3 patches only those inputs (about 30 lines)
    n_layers = model.cfg.n_layers
    z_names = [f"blocks.{layer}.attn.hook_z" for layer in range(n_layers)]
    _, clean_cache = model.run_with_cache(clean_tokens, names_filter=lambda name: name in z_names)
    _, corrupted_cache = model.run_with_cache(corrupted_tokens, names_filter=lambda name: name in z_names)
    s_layer, s_head = sender

    def freeze(z, hook, layer):
        z = corrupted_cache[z_names[layer]].clone()
        if layer == s_layer:
            z[:, :, s_head] = clean_cache[z_names[layer]][:, :, s_head]
        return z

    by_layer: dict[int, list[int]] = {}
    for layer, head in receivers:
        by_layer.setdefault(layer, []).append(head)
    input_names = {layer: f"blocks.{layer}.attn.hook_{receiver_input}" for layer in by_layer}
    recorded: dict[int, Tensor] = {}

    def record(act, hook, layer):
        recorded[layer] = act.clone()

    hooks = [(z_names[layer], lambda z, hook, layer=layer: freeze(z, hook, layer)) for layer in range(n_layers)]
    hooks += [(name, lambda act, hook, layer=layer: record(act, hook, layer)) for layer, name in input_names.items()]
    model.run_with_hooks(corrupted_tokens, fwd_hooks=hooks)

    def patch(act, hook, layer):
        return recorded[layer].clone()

    hooks = [(name, lambda act, hook, layer=layer: patch(act, hook, layer)) for layer, name in input_names.items()]
    return metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=hooks)).item()
    # END SOLUTION
