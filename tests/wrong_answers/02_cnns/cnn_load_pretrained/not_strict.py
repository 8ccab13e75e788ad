# MISTAKE: Loads with strict=False, silently skipping names that do not match.
# NAMED: the state dict was loaded without strict=True
"""Load a pretrained checkpoint whose parameter names differ from your model's.

Goal: the shipped checkpoint (`arena_cli/course/data/digits_resnet.pt`, a ResNet trained on the
digits 0 to 4) was saved from a network that names its layers the torchvision way. Your
`DigitsResNet` computes the same function with other names. Translate the names, then load.

- `convert_name(name)`: a checkpoint name -> the name of the same tensor in `DigitsResNet`:

      checkpoint                              DigitsResNet
      conv1.*                                 stem.0.*
      bn1.*                                   stem.1.*
      layer{G}.{B}.conv1.*                    groups.{G-1}.blocks.{B}.left.0.*
      layer{G}.{B}.bn1.*                      groups.{G-1}.blocks.{B}.left.1.*
      layer{G}.{B}.conv2.*                    groups.{G-1}.blocks.{B}.left.3.*
      layer{G}.{B}.bn2.*                      groups.{G-1}.blocks.{B}.left.4.*
      layer{G}.{B}.downsample.{I}.*           groups.{G-1}.blocks.{B}.right.{I}.*
      fc.*                                    head.2.*

  (`*` is the rest of the name, e.g. `weight` or `running_var`, kept as it is; the checkpoint
  counts its layers from 1, `DigitsResNet` its groups from 0.) Any other name is an error:
  raise a `KeyError` that names it.
- `load_pretrained(model, checkpoint)`: rename every entry of the checkpoint's state dict and
  load the result into `model` with `model.load_state_dict(..., strict=True)` (strict: a name
  missing on either side is an error rather than a silently random layer). Return `model`.

A state dict holds the buffers too (`running_mean`, `running_var`, `num_batches_tracked`):
without them the batch norms would normalise with the wrong statistics in eval mode.

Rules: string operations or `re`; do not rely on the order of the entries (zipping two state
dicts works only while both models list their layers in the same order).

Worked example:
    >>> convert_name("layer2.0.downsample.1.running_var")
    'groups.1.blocks.0.right.1.running_var'
    >>> model = load_pretrained(DigitsResNet(), load_pretrained_state_dict())
    >>> model.eval()      # now recognises the digits 0 to 4 (in eval mode: running statistics)
"""

from torch import Tensor

from arena_cli.course.cnn import DigitsResNet, load_pretrained_state_dict  # noqa: F401  (for the example)


def convert_name(name: str) -> str:
    """The DigitsResNet name of the checkpoint entry `name`."""
    # BEGIN SOLUTION: split on "."; top-level conv1/bn1/fc map to stem.0/stem.1/head.2; "layerG" maps to groups.{G-1}.blocks.{B} plus the block's own table; raise KeyError otherwise (about 11 lines)
    top_level = {"conv1": "stem.0", "bn1": "stem.1", "fc": "head.2"}
    in_block = {"conv1": "left.0", "bn1": "left.1", "conv2": "left.3", "bn2": "left.4", "downsample": "right"}
    first, *rest = name.split(".")
    if first in top_level:
        return ".".join([top_level[first], *rest])
    if first.startswith("layer") and first[len("layer") :].isdigit() and len(rest) >= 3:
        group = int(first[len("layer") :]) - 1  # layer1 is the first group, groups.0
        block, layer, *tail = rest
        if layer in in_block:
            return ".".join(["groups", str(group), "blocks", block, in_block[layer], *tail])
    raise KeyError(f"no DigitsResNet name for the checkpoint entry {name!r}")
    # END SOLUTION


def load_pretrained(model: DigitsResNet, checkpoint: dict[str, Tensor]) -> DigitsResNet:
    """Load `checkpoint` (torchvision-style names) into `model` (DigitsResNet names)."""
    # BEGIN SOLUTION: a new dict {convert_name(k): v}; model.load_state_dict(it, strict=True); return model (about 3 lines)
    renamed = {convert_name(name): tensor for name, tensor in checkpoint.items()}
    model.load_state_dict(renamed, strict=False)
    return model
    # END SOLUTION

