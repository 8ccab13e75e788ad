"""What every zoo model shares: booting, tokenizers, checkpoints, fast training, determinism.

A checkpoint is one `torch.save` file holding plain data only (loadable with
`weights_only=True`): the format version, the model name, its config and vocabulary, the
state dict under TransformerLens names (`embed.weight`, `blocks.0.attn.q.weight`, ...), a
SHA-256 digest of every tensor (so silent damage is caught, not just a truncated file), the
metrics measured when it was trained and the training arguments.

Training steps the bare `NativeModel` (the torch module the bridge wraps) rather than the
bridge: the same parameters and the same maths without hooks; the trained weights are then
copied into a freshly booted bridge by name.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import time
from pathlib import Path
from typing import Any, Iterator

import torch

from arena_cli.zoo import ZooError, _spec, checkpoint_path, model_module

FORMAT_VERSION = 1
_INTERNAL = "._original_component"  # how the bridge names the wrapped module's parameters


def rebuild_hint(name: str) -> str:
    return f"run `arena dev zoo train {name}` (or `python -m arena_cli.zoo.train {name}`) to rebuild it"


# ---------------------------------------------------------------------------------------------
# Tokenizers: a word-level Hugging Face tokenizer built in memory (no files, no network), so
# `to_tokens`, `to_str_tokens`, `to_single_token`, padding and `head_detector` all work.


def build_tokenizer(
    vocab: list[str], *, bos: str | None, pad: str, unk: str | None, name: str, isolate: str | None = None
):
    """A word-level tokenizer over `vocab`: input is whitespace-separated tokens.

    With `bos`, encoding prepends it (as TransformerLens expects of a BOS-trained model).
    Without `unk`, an unknown word is an error rather than a token. `isolate` is a regular
    expression whose matches become tokens of their own even without spaces around them
    (e.g. "[()]" so that "(())" is four tokens).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    ids = {word: i for i, word in enumerate(vocab)}
    if len(ids) != len(vocab):
        raise ValueError("vocabulary has duplicate tokens")
    backend = Tokenizer(models.WordLevel(vocab=ids, unk_token=unk))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    if isolate is not None:
        from tokenizers import Regex

        backend.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex(isolate), behavior="isolated")]
        )
    backend.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins tokens with spaces
    kwargs: dict[str, Any] = {}
    if bos is not None:
        backend.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, ids[bos])]
        )
        kwargs = dict(bos_token=bos, add_bos_token=True)
    if unk is not None:
        kwargs["unk_token"] = unk
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        name_or_path=f"arena-zoo-{name}",
        pad_token=pad,
        eos_token=pad,  # no model here has an end token; `generate` stops on padding
        padding_side="right",
        **kwargs,
    )


# ---------------------------------------------------------------------------------------------
# Models


def bridge_config(config: dict[str, Any], seed: int = 0):
    from transformer_lens.config import TransformerBridgeConfig

    return TransformerBridgeConfig(**config, seed=seed)


def boot(name: str, *, device: str = "cpu", seed: int = 0):
    """A freshly initialised bridge of zoo model `name`, with its tokenizer."""
    from transformer_lens.model_bridge import TransformerBridge

    module = model_module(name)
    tokenizer = module.tokenizer()
    bridge = TransformerBridge.boot_native(bridge_config(module.CONFIG, seed=seed), device=device)
    # Attached after booting: handing it to boot_native would let TransformerLens probe it with
    # words outside the vocabulary and register an extra '<|endoftext|>' token. The flags say
    # what the tokenizer does: prepend BOS (when the model has one), never append EOS.
    bridge.tokenizer = tokenizer
    has_bos = tokenizer.bos_token is not None
    bridge.cfg.tokenizer_prepends_bos = has_bos
    bridge.cfg.default_prepend_bos = has_bos
    bridge.cfg.tokenizer_appends_eos = False
    _unembed_bias_as_buffer(bridge)
    return bridge


def _unembed_bias_as_buffer(bridge) -> None:
    """Make the unembedding bias a zero buffer, as the native model (and TransformerLens 4.x) has it.

    TransformerLens 3.9's bridge adds a trainable zero `unembed.bias` that the wrapped
    `NativeModel` does not have: it would be counted as a parameter, trained by an optimiser over
    `bridge.parameters()`, and missing from the native weights copied back. Kept in the state
    dict (checkpoints hold `unembed.bias`), just no longer a parameter. The one place the zoo
    handles this difference between TransformerLens versions."""
    head = bridge.unembed._original_component
    bias = head._parameters.get("bias")
    if isinstance(bias, torch.nn.Parameter):
        del head._parameters["bias"]
        head.register_buffer("bias", bias.detach().clone())


def native_model(config: dict[str, Any], *, seed: int, device: str = "cpu"):
    """The bare torch module a bridge of this config wraps, initialised as boot_native does."""
    from transformer_lens.model_bridge.sources.native.init import initialize_native_model
    from transformer_lens.model_bridge.sources.native.model import NativeModel

    cfg = copy.deepcopy(bridge_config(config, seed=seed))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = NativeModel(cfg)
        initialize_native_model(model, cfg)
    return model.to(device)


def bridge_state_dict(name: str, native: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The trained native weights under TransformerLens names (the bridge's state dict)."""
    bridge = boot(name)
    weights = dict(native.named_parameters())
    with torch.no_grad():
        for internal, param in bridge.named_parameters():
            param.copy_(weights[internal.replace(_INTERNAL, "")].detach().cpu())
    return {k: v.detach().clone().cpu() for k, v in bridge.state_dict().items()}


def native_from_bridge(name: str, bridge) -> torch.nn.Module:
    """A bare NativeModel holding a bridge's weights (for the fast training-time forwards)."""
    module = model_module(name)
    native = native_model(module.CONFIG, seed=0, device=str(next(bridge.parameters()).device))
    weights = {k.replace(_INTERNAL, ""): v for k, v in bridge.named_parameters()}
    with torch.no_grad():
        for key, param in native.named_parameters():
            param.copy_(weights[key])
    return native.eval()


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------------------------------------
# Checkpoints


def tensor_digest(tensors: dict[str, Any]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of every tensor (nested dicts/lists too)."""
    digest = hashlib.sha256()

    def visit(prefix: str, value: Any) -> None:
        if isinstance(value, torch.Tensor):
            t = value.detach().cpu().contiguous()
            digest.update(f"{prefix}|{t.dtype}|{tuple(t.shape)}".encode())
            digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
        elif isinstance(value, dict):
            for key in sorted(value):
                visit(f"{prefix}/{key}", value[key])
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                visit(f"{prefix}/{i}", item)

    visit("", tensors)
    return digest.hexdigest()


def save_checkpoint(path: Path, payload: dict[str, Any]) -> int:
    """Write a checkpoint atomically (temp file + rename); returns its size in bytes.

    `payload` must hold "name" and "tensors" (a dict, possibly nested, of tensors); the format
    version and the digest are added here.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = dict(payload, format=FORMAT_VERSION, digest=tensor_digest(payload["tensors"]))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(data, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path.stat().st_size


def write_model_checkpoint(
    out: Path, name: str, config: dict[str, Any], vocab: tuple[str, ...] | list[str],
    tensors: dict[str, Any], result: dict[str, Any], train_args: dict[str, Any],
) -> None:
    """Save a trained model's checkpoint at `out`: its tensors, its vocabulary, the training
    recipe and the measured `result` (less the per-step log). Records the file and its size in
    `result`, which every model's `train` returns."""
    result["checkpoint"] = str(out)
    result["size_bytes"] = save_checkpoint(
        Path(out),
        dict(
            name=name, config=config, vocab=list(vocab), tensors=tensors,
            metrics={k: v for k, v in result.items() if k not in ("history", "checkpoint", "size_bytes")},
            train_args=train_args,
        ),
    )


def read_checkpoint(path: Path, name: str, kind: str = "model") -> dict[str, Any]:
    """Read and verify a checkpoint file; any problem becomes a ZooError saying how to fix it.

    `kind` tells a model's checkpoint ("model") from other files it ships (e.g. "history").
    """
    path = Path(path)
    what = "checkpoint" if kind == "model" else f"{kind} file"
    if not path.is_file():
        raise ZooError(f"the {what} of zoo model {name!r} is missing ({path}); {rebuild_hint(name)}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or overwritten file: zip, pickle or storage errors
        raise ZooError(
            f"the {what} of zoo model {name!r} ({path}) is damaged and cannot be read "
            f"({type(exc).__name__}); {rebuild_hint(name)}"
        ) from exc
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT_VERSION
        or data.get("name") != name
        or data.get("kind", "model") != kind
    ):
        raise ZooError(
            f"{path} is not a format-{FORMAT_VERSION} {what} of zoo model {name!r}; {rebuild_hint(name)}"
        )
    if tensor_digest(data.get("tensors", {})) != data.get("digest"):
        raise ZooError(
            f"the {what} of zoo model {name!r} ({path}) is damaged: its weights do not match "
            f"the digest stored with them; {rebuild_hint(name)}"
        )
    return data


def load_model(name: str, *, device: str = "cpu", path: Path | None = None):
    """The trained bridge of zoo model `name` (eval mode) from its checkpoint."""
    spec = _spec(name)
    path = checkpoint_path(name) if path is None else Path(path)
    data = read_checkpoint(path, name)
    module = model_module(name)
    if data.get("config") != module.CONFIG or data.get("vocab") != list(module.VOCAB):
        raise ZooError(
            f"the checkpoint {path} was trained for another definition of {name!r} (config or "
            f"vocabulary differ from arena_cli/zoo/{spec.module}.py); {rebuild_hint(name)}"
        )
    bridge = boot(name, device=device)
    try:
        bridge.load_state_dict(data["tensors"]["model"], strict=True)
    except (RuntimeError, KeyError) as exc:
        raise ZooError(f"the weights in {path} do not fit the model {name!r}; {rebuild_hint(name)}") from exc
    bridge.eval()
    return bridge


# ---------------------------------------------------------------------------------------------
# Training helpers


def resolve_device(device: str) -> str:
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ZooError(f"device {device!r} was asked for but torch sees no CUDA GPU; use --device cpu")
    return device


@contextlib.contextmanager
def training_context(seed: int, device: str) -> Iterator[None]:
    """Seeded, deterministic, and on a CPU one thread.

    One thread makes CPU results independent of the machine's core count, and on a shared
    machine it is also much faster than two contended threads (measured: 0.1 s vs 1.3 s a step).
    """
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    if device == "cpu":
        torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if device.startswith("cuda"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


class Clock:
    """Wall-clock seconds since creation (training time reports); `cpu()` the CPU seconds this
    process used meanwhile, which on a shared machine says more about the cost than the wall clock."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()

    def __call__(self) -> float:
        return time.perf_counter() - self.start

    def cpu(self) -> float:
        return time.process_time() - self.cpu_start
