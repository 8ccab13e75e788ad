# MISTAKE: returns F(C without h) - F(C).
# NAMED: the sign is reversed
"""Completeness and minimality: is the circuit all there is, and is every head needed?

Faithfulness alone can be gamed: a circuit that holds too much is faithful, and so can be one
that misses heads whose effects cancel. Two more tests (after Wang et al., 2022), with
F(C) = the faithfulness of a set of heads C (everything outside C mean-ablated):

- Minimality: each head h of the circuit must matter. Its marginal effect is
  F(C) - F(C without h); a head whose marginal effect is about 0 can go.
- Completeness: for a set K of heads, removing K from the circuit should hurt about as much as
  removing it from the whole model: the gap |F(C \\ K) - F(M \\ K)|, with M all heads, is small
  when the circuit holds everything that matters for K.

Goal (use `faithfulness(model, batch, heads)` from `arena_cli.zoo.ioi`, the same measurement as
the previous exercise):
1. `marginal_effects(model, batch, circuit)` -> {head: F(C) - F(C without head)} for every head
   of the circuit (Python floats).
2. `completeness_gap(model, batch, circuit, removed)` -> |F(C \\ K) - F(M \\ K)| (a Python float),
   K = `removed`, M = every head of the model.

Worked example: if F(C) = 1.1 and F(C without L1H0) = 1.0, L1H0's marginal effect is 0.1.
"""


from arena_cli.zoo.ioi import IOIBatch, faithfulness


def marginal_effects(model, batch: IOIBatch, circuit: set[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """F(C) - F(C without h), for each head h of the circuit."""
    # BEGIN SOLUTION: faithfulness of the whole circuit once, then of the circuit minus each head (about 3 lines)
    whole = faithfulness(model, batch, circuit)
    return {head: faithfulness(model, batch, set(circuit) - {head}) - whole for head in circuit}
    # END SOLUTION


def completeness_gap(model, batch: IOIBatch, circuit: set[tuple[int, int]], removed: set[tuple[int, int]]) -> float:
    """|F(circuit without removed) - F(all heads without removed)|."""
    # BEGIN SOLUTION: every head of the model as M; two faithfulness calls; the absolute difference (about 3 lines)
    everything = {(layer, head) for layer in range(model.cfg.n_layers) for head in range(model.cfg.n_heads)}
    return abs(faithfulness(model, batch, set(circuit) - set(removed)) - faithfulness(model, batch, everything - set(removed)))
    # END SOLUTION
