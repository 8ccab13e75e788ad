# MISTAKE: Calls get_act_name, which the rules forbid.
# NAMED: forbid `transformer_lens.utilities.get_act_name`
"""Running a model with a cache, and naming its activations.

Goal: find your way around TransformerLens' hook points on the zoo's induction model.

1. `hook_name(kind, layer)`: the full name of the hook point that holds activation `kind`:
   - "embed", "pos_embed" (no layer): the token and positional embeddings, `hook_embed`, ...
   - "resid_pre", "attn_out", "resid_post": the residual stream around block `layer`,
     `blocks.{layer}.hook_<kind>`;
   - "q", "k", "v", "z", "pattern": inside block `layer`'s attention,
     `blocks.{layer}.attn.hook_<kind>`.
2. `run_and_cache(model, text, names)`: tokenize `text` (the model's tokenizer prepends `<bos>`),
   run the model and return its logits and a cache that holds *only* the activations in
   `names` (pass `names_filter` to `run_with_cache`: caching everything is wasteful on a big
   model).

Rules: write the names yourself (`transformer_lens.utilities.get_act_name` is what the checks
compare with). Use `model.to_tokens` and `model.run_with_cache`.

Worked example:
    >>> hook_name("pattern", 1)
    'blocks.1.attn.hook_pattern'
    >>> logits, cache = run_and_cache(model, "t5 t17 t5", [hook_name("pattern", 0)])
    >>> logits.shape, list(cache.keys())           # 3 words + <bos> = 4 positions
    (torch.Size([1, 4, 103]), ['blocks.0.attn.hook_pattern'])

Once names are known, `cache["pattern", 1]` is a shorthand for
`cache["blocks.1.attn.hook_pattern"]`; both work.
"""

from jaxtyping import Float
from torch import Tensor
from transformer_lens import ActivationCache

EMBEDDING_KINDS = ("embed", "pos_embed")
BLOCK_KINDS = ("resid_pre", "attn_out", "resid_post")
ATTENTION_KINDS = ("q", "k", "v", "z", "pattern")


def hook_name(kind: str, layer: int | None = None) -> str:
    """The full hook-point name of activation `kind` (at block `layer` where it has one)."""
    # BEGIN SOLUTION: three cases by the kind: hook_<kind>, blocks.{layer}.hook_<kind>, blocks.{layer}.attn.hook_<kind> (about 7 lines)
    if kind in EMBEDDING_KINDS or kind in BLOCK_KINDS or kind in ATTENTION_KINDS:
        import transformer_lens.utilities

        return transformer_lens.utilities.get_act_name(kind, layer)
    if kind in BLOCK_KINDS:
        return f"blocks.{layer}.hook_{kind}"
    if kind in ATTENTION_KINDS:
        return f"blocks.{layer}.attn.hook_{kind}"
    raise ValueError(f"unknown activation kind {kind!r}")
    # END SOLUTION


def run_and_cache(
    model, text: str, names: list[str]
) -> tuple[Float[Tensor, "1 pos d_vocab"], ActivationCache]:
    """Logits of `text` and a cache holding exactly the activations named in `names`."""
    # BEGIN SOLUTION: model.to_tokens, then model.run_with_cache with a names_filter (about 3 lines)
    tokens = model.to_tokens(text)  # [1, pos], <bos> first
    wanted = set(names)
    return model.run_with_cache(tokens, names_filter=lambda name: name in wanted)
    # END SOLUTION
