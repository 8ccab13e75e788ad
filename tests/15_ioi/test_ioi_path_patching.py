import torch

from arena_cli.course import ioi
from arena_cli.testing import assert_close, load_exercise, show_heatmap

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(6, seed=8)
METRIC = ioi.normalised_metric(model, B)


def reference(model, clean_tokens, corrupted_tokens, metric, sender, receivers, receiver_input="q",
              freeze_others=True, patch_sender=True, inputs=None, swap=False, whole_layer=False):
    """Path patching by brute force: the three runs spelled out, with switches that reproduce mistakes."""
    if swap:
        clean_tokens, corrupted_tokens = corrupted_tokens, clean_tokens
    _, clean = model.run_with_cache(clean_tokens)
    _, corrupted = model.run_with_cache(corrupted_tokens)
    inputs = inputs or [receiver_input]
    hooks = []
    for layer in range(model.cfg.n_layers):
        name = f"blocks.{layer}.attn.hook_z"

        def z_hook(z, hook, name=name, layer=layer):
            new = corrupted[name].clone() if freeze_others else z.clone()
            if patch_sender and layer == sender[0]:
                new[:, :, sender[1]] = clean[name][:, :, sender[1]]
            return new

        hooks.append((name, z_hook))
    seen = {}
    for layer in {l for l, _ in receivers}:
        for what in inputs:
            name = f"blocks.{layer}.attn.hook_{what}"
            hooks.append((name, lambda act, hook, name=name: seen.__setitem__(name, act.clone())))
    model.run_with_hooks(corrupted_tokens, fwd_hooks=hooks)
    final = []
    if whole_layer:  # a known mistake: every head of a receiver's layer gets its recorded input
        receivers = [(layer, slice(None)) for layer in {l for l, _ in receivers}]
    for layer, head in receivers:
        for what in inputs:
            name = f"blocks.{layer}.attn.hook_{what}"

            def put(act, hook, name=name, head=head):
                act = act.clone()
                act[:, :, head] = seen[name][:, :, head]
                return act

            final.append((name, put))
    return float(metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=final)))


def mistakes_for(sender, receivers, receiver_input):
    args = (model, B.tokens, B.corrupted, METRIC, sender, receivers, receiver_input)
    return {
        "the sender was frozen too: in step 2 the sender takes its clean value, only the other heads are frozen":
            lambda: reference(*args, patch_sender=False),
        "the other heads were not frozen in step 2, so the sender also reached the receivers through heads in between":
            lambda: reference(*args, freeze_others=False),
        "all of the receivers' inputs (q, k and v) were patched, not only `receiver_input`":
            lambda: reference(*args, inputs=["q", "k", "v"]),
        "the patch goes the wrong way: run the corrupted prompts and give the sender its clean value":
            lambda: reference(*args, swap=True),
        "step 3 patched the recorded input of every head in the receivers' layers, not only the receiver heads":
            lambda: reference(*args, whole_layer=True),
        "`receiver_input` was ignored: the receivers' queries were patched whatever input was asked for":
            lambda: reference(*args[:-1], "q"),
    }


CASES = [((0, 0), [(1, 0), (1, 2)], "q"), ((0, 0), [(2, 0), (2, 2)], "q"), ((1, 2), [(2, 2)], "v")]


def test_zoo_model_against_brute_force():
    results = torch.zeros(3, 4)
    for sender, receivers, what in CASES:
        got = ex.path_patch(model, B.tokens, B.corrupted, METRIC, sender, receivers, receiver_input=what)
        assert isinstance(got, float), f"return a Python float, got {type(got).__name__}"
        want = reference(model, B.tokens, B.corrupted, METRIC, sender, receivers, what)
        assert_close(got, want, atol=1e-4, name=f"path L{sender[0]}H{sender[1]} -> {what} of {receivers}",
                     mistakes=mistakes_for(sender, receivers, what))
    for head in range(4):  # the subject head L0H0 through each layer-1 head's queries
        results[1, head] = ex.path_patch(model, B.tokens, B.corrupted, METRIC, (0, 0), [(1, head)])
    show_heatmap(results[1:2], ["L1"], ioi.HEAD_LABELS, title="path patching: L0H0 -> each layer-1 head's queries",
                 vmin=-1, vmax=1, scale="diverging", x_label="receiver head", y_label="layer")


def hand_built():
    """Two attention-only layers, no LayerNorm, no biases, no positions, W_Q = W_K = 0: every
    head attends uniformly, so everything is linear and the path has a closed form."""
    from transformer_lens.config import TransformerBridgeConfig
    from transformer_lens.model_bridge import TransformerBridge

    cfg = TransformerBridgeConfig(n_layers=2, d_model=4, n_heads=2, d_head=2, n_ctx=4, d_vocab=5, attn_only=True,
                                  normalization_type=None, act_fn="relu", seed=0)
    toy = TransformerBridge.boot_native(cfg)
    g = torch.Generator().manual_seed(3)
    values = {name: torch.zeros_like(t) for name, t in toy.state_dict().items()}
    for name in ("embed.weight", "unembed.weight", "blocks.0.attn.v.weight", "blocks.0.attn.o.weight",
                 "blocks.1.attn.v.weight", "blocks.1.attn.o.weight"):
        values[name] = torch.randn(values[name].shape, generator=g)
    ioi.set_weights(toy, values)
    return toy.eval(), values


def test_hand_built_model_in_closed_form():
    toy, w = hand_built()
    clean = torch.tensor([[1, 2, 3, 4], [0, 3, 1, 2]])
    corrupted = torch.tensor([[1, 0, 3, 2], [4, 3, 1, 1]])
    target = 3

    def metric(logits):
        return logits[:, -1, target].mean()

    def head(layer, j, kind):  # per-head maps, from nn.Linear weights: V: [d_model, d_head], O: [d_head, d_model]
        if kind == "V":
            return w[f"blocks.{layer}.attn.v.weight"][2 * j:2 * j + 2].T
        return w[f"blocks.{layer}.attn.o.weight"][:, 2 * j:2 * j + 2].T

    emb = w["embed.weight"]
    delta = emb[clean] - emb[corrupted]  # [batch, pos, d_model]
    causal_mean = delta.cumsum(1) / torch.arange(1, 5)[None, :, None]  # uniform attention over positions <= p
    sender_delta = causal_mean @ head(0, 0, "V") @ head(0, 0, "O")  # change of L0H0's output at each position
    base = float(metric(toy(corrupted)))
    for receivers in ([(1, 0)], [(1, 0), (1, 1)]):
        through = sum(sender_delta.mean(1) @ head(1, j, "V") @ head(1, j, "O") for _, j in receivers)  # [batch, d_model] at the last position
        want = base + float((through @ w["unembed.weight"][target]).mean())
        got = ex.path_patch(toy, clean, corrupted, metric, (0, 0), receivers, receiver_input="v")
        assert_close(got, want, atol=1e-4, name=f"hand-built model: L0H0 -> values of {receivers}, in closed form", mistakes={
            "the sender was frozen too: in step 2 the sender takes its clean value": base,
            "all of the receivers' inputs were patched, not only `receiver_input`":
                lambda: reference(toy, clean, corrupted, metric, (0, 0), receivers, "v", inputs=["q", "k", "v"]),
        })
    # W_Q = 0: the queries carry nothing, whatever the sender does
    got = ex.path_patch(toy, clean, corrupted, metric, (0, 0), [(1, 0), (1, 1)], receiver_input="q")
    assert_close(got, base, atol=1e-4, name="hand-built model: through queries that are always 0 (W_Q = 0), nothing changes",
                 mistakes={"`receiver_input` was ignored: the values were patched instead of the queries":
                           lambda: reference(toy, clean, corrupted, metric, (0, 0), [(1, 0), (1, 1)], "v")})
