# MISTAKE: calls L0H0 a name mover and L1H0 the subject head.
# NAMED: is a 'subject' head
"""Your reading of the circuit, written down as data.

You have measured this model from several sides: logit attribution (which heads write IO - S),
activation patching (which heads, at which positions, and through which of their inputs carry
the difference between clean and corrupted), path patching (which head feeds which), attention
patterns (where each head looks) and mean ablation (which set of heads suffices). Put it
together: which heads form the circuit, and what role does each play?

Goal: `circuit()` returns a dict {(layer, head): role} naming every head of the circuit and
nothing else, with a role from `ROLES`:
    "subject"      at the end, attends to the second mention of the subject and brings who the
                   subject is to the end (so that the rest of the circuit can avoid it);
    "name_mover"   at the end, attends to the indirect object and copies it to the logits.
The checks compare your reading with the circuit documented in `arena_cli/zoo/ioi.py` and
measure your circuit's faithfulness (it must be at least 0.8).

Rules: decide from your own measurements (the earlier exercises' figures); do not import the
documented circuit.
"""

ROLES = ("subject", "name_mover")


def circuit() -> dict[tuple[int, int], str]:
    """{(layer, head): role} for every head of the circuit."""
    # BEGIN SOLUTION: three heads: the one that attends from the end to S2, and the two that attend from the end to IO (about 1 line)
    return {(0, 0): "name_mover", (1, 0): "subject", (1, 2): "name_mover"}
    # END SOLUTION
