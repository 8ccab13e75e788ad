from arena_cli.course import ioi
from arena_cli.testing import assert_close, load_exercise, show_bars
from arena_cli.zoo import ioi as zoo_ioi

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(40, seed=11)
ALL = {(l, h) for l in range(3) for h in range(4)}
F = {}


def f(heads):
    key = frozenset(heads)
    if key not in F:
        F[key] = zoo_ioi.faithfulness(model, B, set(heads))
    return F[key]


def ld(heads):
    return zoo_ioi.circuit_logit_diff(model, B, set(heads))


def test_marginal_effects():
    for circuit in (set(zoo_ioi.CIRCUIT),):
        got = ex.marginal_effects(model, B, circuit)
        assert set(got) == circuit, f"one entry per head of the circuit {sorted(circuit)}, got {sorted(got)}"
        for head in sorted(circuit):
            want = f(circuit) - f(circuit - {head})
            assert_close(got[head], want, atol=1e-3, name=f"marginal effect of L{head[0]}H{head[1]} in {sorted(circuit)}", mistakes={
                "this is F(C without h), not the drop F(C) - F(C without h)": lambda: f(circuit - {head}),
                "the sign is reversed: the marginal effect is F(C) - F(C without h)": -want,
                "raw logit differences instead of faithfulness (divide by the full model's logit difference)":
                    lambda: ld(circuit) - ld(circuit - {head}),
                "the effect of the head alone, F({h}), instead of its marginal effect": lambda: f({head}),
            })
        if circuit == set(zoo_ioi.CIRCUIT):
            show_bars([f"L{l}H{h}" for l, h in sorted(got)], [got[h] for h in sorted(got)], title="marginal effect of each circuit head")


def test_completeness_gap():
    circuit = set(zoo_ioi.CIRCUIT)
    for removed in ({(1, 0)}, {(0, 0), (1, 0)}):
        got = ex.completeness_gap(model, B, circuit, removed)
        want = abs(f(circuit - removed) - f(ALL - removed))
        assert_close(got, want, atol=1e-3, name=f"completeness gap for K = {sorted(removed)}", mistakes={
            "the gap must be an absolute value: |F(C \\ K) - F(M \\ K)|": lambda: f(circuit - removed) - f(ALL - removed),
            "K was removed from the circuit only: compare with the whole model without K, F(M \\ K)":
                lambda: abs(f(circuit - removed) - f(ALL)),
            "K was removed from the whole model only: the circuit side is F(C \\ K), without K too":
                lambda: abs(f(circuit) - f(ALL - removed)),
        })
