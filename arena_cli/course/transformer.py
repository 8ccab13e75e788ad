"""Shared scaffolding for section 1.1, "A transformer from scratch".

Three things live here:

- `Config`, the hyper-parameters of a GPT-2-style transformer, with TransformerLens's names.
- Reference components (`LayerNorm`, `Embed`, `PosEmbed`, `Attention`, `MLP`, `TransformerBlock`,
  `Unembed`, `Transformer`), the loss, and the sampling functions. Each exercise asks you to
  write one of these yourself; later exercises build on the reference versions here, so a
  mistake in an early exercise never blocks a later one. (Reading them before you have written
  your own spoils the exercises.)
- The oracle: `tl_model` builds a seeded, randomly initialised TransformerLens model of the same
  configuration, and `load_tl_weights` copies its weights into any of the modules above, or
  into yours, by parameter name. The checks then compare activations and logits.

Parameter names and shapes follow TransformerLens (`W_Q` is [n_heads, d_model, d_head], `W_U` is
[d_model, d_vocab], ...), which is what lets `load_tl_weights` work by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import einops
import torch
from jaxtyping import Float, Int
from torch import Tensor, nn

if TYPE_CHECKING:  # importing TransformerLens takes seconds; only the oracle needs it
    from transformer_lens.model_bridge import TransformerBridge


@dataclass(frozen=True)
class Config:
    """Hyper-parameters of the transformer (the activation function is always "gelu_new")."""

    d_model: int = 64  # width of the residual stream
    d_vocab: int = 30  # number of token ids
    n_ctx: int = 64  # longest sequence the model accepts (rows of W_pos)
    d_head: int = 16  # width of one attention head's queries, keys and values
    n_heads: int = 4  # attention heads per layer
    d_mlp: int = 256  # hidden width of the MLP
    n_layers: int = 2  # transformer blocks
    layer_norm_eps: float = 1e-5  # added to the variance inside the square root
    init_range: float = 0.02  # standard deviation of the initial weights


# ---------------------------------------------------------------------------------------------
# Reference components
# ---------------------------------------------------------------------------------------------


class LayerNorm(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.eps = cfg.layer_norm_eps
        self.w = nn.Parameter(torch.ones(cfg.d_model))
        self.b = nn.Parameter(torch.zeros(cfg.d_model))

    def forward(self, residual: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
        centred = residual - residual.mean(dim=-1, keepdim=True)
        scale = (centred.pow(2).mean(dim=-1, keepdim=True) + self.eps).sqrt()
        return centred / scale * self.w + self.b


class Embed(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.W_E = nn.Parameter(torch.randn(cfg.d_vocab, cfg.d_model) * cfg.init_range)

    def forward(self, tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "batch pos d_model"]:
        return self.W_E[tokens]


class PosEmbed(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.W_pos = nn.Parameter(torch.randn(cfg.n_ctx, cfg.d_model) * cfg.init_range)

    def forward(self, tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "batch pos d_model"]:
        batch, seq_len = tokens.shape
        return einops.repeat(self.W_pos[:seq_len], "pos d -> batch pos d", batch=batch)


def apply_causal_mask(
    attn_scores: Float[Tensor, "batch n_heads query_pos key_pos"],
) -> Float[Tensor, "batch n_heads query_pos key_pos"]:
    """Set every score of a key that comes after its query to -inf (a new tensor)."""
    q_len, k_len = attn_scores.shape[-2:]
    future = torch.triu(torch.ones(q_len, k_len, dtype=torch.bool, device=attn_scores.device), diagonal=1)
    return attn_scores.masked_fill(future, float("-inf"))


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        h, d, e = cfg.n_heads, cfg.d_model, cfg.d_head
        self.W_Q = nn.Parameter(torch.randn(h, d, e) * cfg.init_range)
        self.W_K = nn.Parameter(torch.randn(h, d, e) * cfg.init_range)
        self.W_V = nn.Parameter(torch.randn(h, d, e) * cfg.init_range)
        self.W_O = nn.Parameter(torch.randn(h, e, d) * cfg.init_range)
        self.b_Q = nn.Parameter(torch.zeros(h, e))
        self.b_K = nn.Parameter(torch.zeros(h, e))
        self.b_V = nn.Parameter(torch.zeros(h, e))
        self.b_O = nn.Parameter(torch.zeros(d))

    def project_qkv(self, x: Float[Tensor, "batch pos d_model"]) -> tuple[Tensor, Tensor, Tensor]:
        """Queries, keys and values, each [batch pos n_heads d_head]."""
        project = "batch pos d_model, n_heads d_model d_head -> batch pos n_heads d_head"
        q = einops.einsum(x, self.W_Q, project) + self.b_Q
        k = einops.einsum(x, self.W_K, project) + self.b_K
        v = einops.einsum(x, self.W_V, project) + self.b_V
        return q, k, v

    def attn_scores(
        self, q: Float[Tensor, "batch q_pos n_heads d_head"], k: Float[Tensor, "batch k_pos n_heads d_head"]
    ) -> Float[Tensor, "batch n_heads q_pos k_pos"]:
        scores = einops.einsum(q, k, "batch q_pos h e, batch k_pos h e -> batch h q_pos k_pos")
        return apply_causal_mask(scores / math.sqrt(self.cfg.d_head))

    def attn_pattern(
        self, scores: Float[Tensor, "batch n_heads q_pos k_pos"]
    ) -> Float[Tensor, "batch n_heads q_pos k_pos"]:
        return scores.softmax(dim=-1)

    def mix_values(
        self, pattern: Float[Tensor, "batch n_heads q_pos k_pos"], v: Float[Tensor, "batch k_pos n_heads d_head"]
    ) -> Float[Tensor, "batch q_pos n_heads d_head"]:
        return einops.einsum(pattern, v, "batch h q_pos k_pos, batch k_pos h e -> batch q_pos h e")

    def project_out(self, z: Float[Tensor, "batch pos n_heads d_head"]) -> Float[Tensor, "batch pos d_model"]:
        return einops.einsum(z, self.W_O, "batch pos h e, h e d_model -> batch pos d_model") + self.b_O

    def forward(self, x: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
        q, k, v = self.project_qkv(x)
        pattern = self.attn_pattern(self.attn_scores(q, k))
        return self.project_out(self.mix_values(pattern, v))


def gelu_new(x: Tensor) -> Tensor:
    """GPT-2's GELU, the tanh approximation (TransformerLens's act_fn "gelu_new")."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class MLP(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.W_in = nn.Parameter(torch.randn(cfg.d_model, cfg.d_mlp) * cfg.init_range)
        self.b_in = nn.Parameter(torch.zeros(cfg.d_mlp))
        self.W_out = nn.Parameter(torch.randn(cfg.d_mlp, cfg.d_model) * cfg.init_range)
        self.b_out = nn.Parameter(torch.zeros(cfg.d_model))

    def forward(self, x: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
        pre = einops.einsum(x, self.W_in, "batch pos d_model, d_model d_mlp -> batch pos d_mlp") + self.b_in
        post = gelu_new(pre)
        return einops.einsum(post, self.W_out, "batch pos d_mlp, d_mlp d_model -> batch pos d_model") + self.b_out


class TransformerBlock(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.ln1 = LayerNorm(cfg)
        self.attn = Attention(cfg)
        self.ln2 = LayerNorm(cfg)
        self.mlp = MLP(cfg)

    def forward(self, resid_pre: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
        resid_mid = resid_pre + self.attn(self.ln1(resid_pre))
        return resid_mid + self.mlp(self.ln2(resid_mid))


class Unembed(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.W_U = nn.Parameter(torch.randn(cfg.d_model, cfg.d_vocab) * cfg.init_range)
        self.b_U = nn.Parameter(torch.zeros(cfg.d_vocab))

    def forward(self, x: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_vocab"]:
        return einops.einsum(x, self.W_U, "batch pos d_model, d_model d_vocab -> batch pos d_vocab") + self.b_U


class Transformer(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.embed = Embed(cfg)
        self.pos_embed = PosEmbed(cfg)
        self.blocks = nn.ModuleList([TransformerBlock(cfg) for _ in range(cfg.n_layers)])
        self.ln_final = LayerNorm(cfg)
        self.unembed = Unembed(cfg)

    def forward(self, tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "batch pos d_vocab"]:
        residual = self.embed(tokens) + self.pos_embed(tokens)
        for block in self.blocks:
            residual = block(residual)
        return self.unembed(self.ln_final(residual))


# ---------------------------------------------------------------------------------------------
# Loss and sampling (reference versions of the later exercises)
# ---------------------------------------------------------------------------------------------


def next_token_log_probs(
    logits: Float[Tensor, "batch pos d_vocab"], tokens: Int[Tensor, "batch pos"]
) -> Float[Tensor, "batch pos_minus_1"]:
    """log P(tokens[:, i+1] | tokens[:, :i+1]) for every i."""
    log_probs = logits[:, :-1].log_softmax(dim=-1)
    return log_probs.gather(dim=-1, index=tokens[:, 1:, None])[..., 0]


def lm_cross_entropy(logits: Float[Tensor, "batch pos d_vocab"], tokens: Int[Tensor, "batch pos"]) -> Tensor:
    """The mean next-token cross-entropy (a scalar)."""
    return -next_token_log_probs(logits, tokens).mean()


def greedy(logits: Float[Tensor, "batch d_vocab"]) -> Int[Tensor, "batch"]:
    return logits.argmax(dim=-1)


def apply_temperature(logits: Float[Tensor, "batch d_vocab"], temperature: float) -> Tensor:
    return logits / temperature


def sample_from_logits(logits: Float[Tensor, "batch d_vocab"], generator: torch.Generator | None = None) -> Tensor:
    """One token id per row, drawn from softmax(logits) (rows may contain -inf)."""
    return torch.multinomial(logits.softmax(dim=-1), num_samples=1, generator=generator)[:, 0]


def top_k_filter(logits: Float[Tensor, "batch d_vocab"], k: int) -> Tensor:
    """Keep the k largest logits of each row; the others become -inf."""
    kth_largest = logits.topk(k, dim=-1).values[:, -1:]
    return logits.masked_fill(logits < kth_largest, float("-inf"))


def top_p_filter(logits: Float[Tensor, "batch d_vocab"], p: float) -> Tensor:
    """Keep the smallest set of most likely tokens whose total probability reaches p."""
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    # a token is kept when the tokens before it have not yet reached p
    drop_sorted = (cumulative - sorted_logits.softmax(dim=-1)) >= p
    drop = drop_sorted.scatter(dim=-1, index=order, src=drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def apply_frequency_penalty(
    logits: Float[Tensor, "batch d_vocab"], tokens: Int[Tensor, "batch seq"], penalty: float
) -> Tensor:
    """Subtract `penalty` times the number of times each token already occurs in its row."""
    counts = torch.zeros_like(logits).scatter_add_(
        dim=-1, index=tokens, src=torch.ones_like(tokens, dtype=logits.dtype)
    )
    return logits - penalty * counts


def sample_next_token(
    logits: Float[Tensor, "batch d_vocab"],
    tokens: Int[Tensor, "batch seq"],
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    frequency_penalty: float = 0.0,
    generator: torch.Generator | None = None,
) -> Int[Tensor, "batch"]:
    """Frequency penalty, then greedy (temperature 0) or temperature, top-k, top-p and a draw."""
    if frequency_penalty:
        logits = apply_frequency_penalty(logits, tokens, frequency_penalty)
    if temperature == 0:
        return greedy(logits)
    logits = apply_temperature(logits, temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    return sample_from_logits(logits, generator)


# ---------------------------------------------------------------------------------------------
# The oracle: a TransformerLens model of the same configuration, and a weight copier
# ---------------------------------------------------------------------------------------------


def tl_model(cfg: Config, seed: int = 0) -> "TransformerBridge":
    """A randomly initialised TransformerLens model of configuration `cfg`, reproducible by seed.

    TransformerLens initialises LayerNorm scales to 1 and every bias to 0; here each of them is
    then drawn at random as well, so that a forgotten bias or scale changes the output.
    """
    from transformer_lens.config import TransformerBridgeConfig
    from transformer_lens.model_bridge import TransformerBridge

    tl_cfg = TransformerBridgeConfig(
        n_layers=cfg.n_layers,
        d_model=cfg.d_model,
        n_ctx=cfg.n_ctx,
        d_head=cfg.d_head,
        n_heads=cfg.n_heads,
        d_mlp=cfg.d_mlp,
        d_vocab=cfg.d_vocab,
        act_fn="gelu_new",
        normalization_type="LN",
        eps=cfg.layer_norm_eps,
        seed=seed,
    )
    bridge = TransformerBridge.boot_native(tl_cfg)
    generator = torch.Generator().manual_seed(seed)
    state = bridge.state_dict()
    for name, value in state.items():
        if value.ndim != 1:
            continue
        noise = torch.randn(value.shape, generator=generator)
        is_norm_scale = name.endswith("weight")  # the only 1-D weights are LayerNorm scales
        state[name] = 1.0 + 0.3 * noise if is_norm_scale else 0.2 * noise
    bridge.load_state_dict(state)
    bridge.eval()
    return bridge


def _tl_attribute(source: Any, dotted_name: str) -> Tensor:
    value = source
    for part in dotted_name.split("."):
        value = value[int(part)] if part.isdigit() else getattr(value, part)
    return value


def load_tl_weights(target: nn.Module, source: Any) -> nn.Module:
    """Copy weights from a TransformerLens model or component into `target`, by name.

    Every parameter of `target` (e.g. `blocks.0.attn.W_Q`, or `w` for a LayerNorm) is read from
    the attribute of the same dotted name on `source` (e.g. `bridge.blocks[0].attn.W_Q`).
    Returns `target`, so `load_tl_weights(LayerNorm(cfg), bridge.ln_final)` reads well.
    """
    with torch.no_grad():
        for name, param in target.named_parameters():
            try:
                value = _tl_attribute(source, name)
            except (AttributeError, IndexError) as error:
                raise ValueError(
                    f"parameter {name!r} of your {type(target).__name__} has no TransformerLens "
                    f"counterpart ({error}); keep the parameter names the exercise gives you"
                ) from None
            if tuple(param.shape) != tuple(value.shape):
                raise ValueError(
                    f"parameter {name!r} of your {type(target).__name__} has shape "
                    f"{tuple(param.shape)}, but TransformerLens's has {tuple(value.shape)}"
                )
            param.copy_(value.detach())
    return target
