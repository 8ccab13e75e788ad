import dataclasses

import torch

from arena_cli.course import ioi
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_bars
from arena_cli.zoo import ioi as zoo_ioi

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(40, seed=10)
FULL = float(ioi.logit_diff(ioi.run(model, B.tokens), B).mean())
CIRCUITS = [set(zoo_ioi.CIRCUIT), {(0, 0)}, {(0, 0), (1, 2), (2, 3)}, set()]


def zero_ablated(circuit):
    def zero(z, hook, layer):
        z = z.clone()
        for head in range(4):
            if (layer, head) not in circuit:
                z[:, :, head] = 0
        return z

    hooks = [(f"blocks.{l}.attn.hook_z", lambda z, hook, l=l: zero(z, hook, l)) for l in range(3)]
    return float(ioi.logit_diff(model.run_with_hooks(B.tokens, fwd_hooks=hooks), B).mean())


def one_class(batch):
    return dataclasses.replace(batch, position_class=torch.zeros_like(batch.position_class))


def test_class_means_worked_example_and_brute_force():
    z = torch.tensor([[1.0, 2.0], [3.0, 5.0]]).reshape(2, 2, 1, 1)
    got = ex.class_means(z, torch.tensor([[0, 1], [1, 0]]), 2)
    assert_close(got, torch.tensor([3.0, 2.5]).reshape(2, 1, 1), name="class means of the worked example", mistakes={
        "the mean was taken over positions, not over the (prompt, position) pairs of each class": torch.tensor([2.0, 4.0]).reshape(2, 1, 1),
    })
    _, cache = model.run_with_cache(B.corrupted)
    z = cache["z", 1]
    before = z.clone()
    got = ex.class_means(z, B.position_class, 17)
    assert_unchanged(before, z, name="z")
    want = torch.stack([torch.stack([z[b, p] for b in range(40) for p in range(17) if B.position_class[b, p] == c]).mean(0)
                        for c in range(17)])
    assert_close(got, want, atol=1e-5, name="class means of layer-1 z over the corrupted prompts [class, head, d_head]", mistakes={
        "one mean over all positions: the mean must be taken per position class": lambda: z.mean((0, 1))[None].expand(17, 4, 12),
        "the mean was taken per position index, ignoring that IO and S1 swap places in BABA prompts": lambda: z.mean(0),
    })


def test_circuit_logit_diff_and_faithfulness():
    values = []
    for circuit in CIRCUITS:
        got = ex.circuit_logit_diff(model, B, circuit)
        assert isinstance(got, float), f"return a Python float, got {type(got).__name__}"
        want = zoo_ioi.circuit_logit_diff(model, B, circuit)
        name = "{" + ", ".join(f"L{l}H{h}" for l, h in sorted(circuit)) + "}"
        assert_close(got, want, atol=1e-3, name=f"logit diff of circuit {name}, everything else mean-ablated", mistakes={
            "the means were taken over the clean prompts: mean ablation uses the corrupted distribution":
                lambda: zoo_ioi.circuit_logit_diff(model, B, circuit, reference=B.tokens),
            "one mean over all positions: the mean must be taken per position class":
                lambda: zoo_ioi.circuit_logit_diff(model, one_class(B), circuit),
            "the heads were zero-ablated: replace them by their means": lambda: zero_ablated(circuit),
            "the circuit's heads were ablated instead of the heads outside it":
                lambda: zoo_ioi.circuit_logit_diff(model, B, {(l, h) for l in range(3) for h in range(4)} - circuit),
        })
        faith = ex.faithfulness(model, B, circuit)
        assert_close(faith, want / FULL, atol=1e-3, name=f"faithfulness of {name}", mistakes={
            "not divided by the full model's logit difference": want,
        })
        values.append(faith)
    show_bars(["documented", "{L0H0}", "{L0H0,L1H2,L2H3}", "no head"], values, title="faithfulness (mean ablation, corrupted means by class)")
