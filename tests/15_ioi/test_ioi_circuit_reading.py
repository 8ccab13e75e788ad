from arena_cli.course import ioi
from arena_cli.testing import load_exercise, mistake, show_head_scores
from arena_cli.zoo import ioi as zoo_ioi

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(40, seed=12)
_, CACHE = ioi.run_with_cache(model, B.tokens)


def evidence(layer, head):
    at_end = CACHE["pattern", layer][:, head, -1]  # [batch, key]
    rows = range(len(B.io))
    to_io = float(sum(at_end[r, B.io_pos[r]] for r in rows) / len(B.io))
    to_s2 = float(at_end[:, 12].mean())
    return f"L{layer}H{head} attends from the end to IO {to_io:.2f} and to S2 {to_s2:.2f}"


def reading():
    got = ex.circuit()
    assert isinstance(got, dict), f"circuit() must return a dict {{(layer, head): role}}, got {type(got).__name__}"
    return {tuple(k): v for k, v in got.items()}


def test_roles_are_known():
    got = reading()
    bad = {k: v for k, v in got.items() if v not in zoo_ioi.ROLES}
    assert not bad, f"roles must be one of {zoo_ioi.ROLES}; got {bad}"


def test_the_heads_are_the_documented_circuit():
    got = reading()
    documented = zoo_ioi.CIRCUIT
    missing = sorted(set(documented) - set(got))
    extra = sorted(set(got) - set(documented))
    if missing:
        head = missing[0]
        raise mistake(f"a head of the circuit is missing: L{head[0]}H{head[1]} (role {documented[head]!r})",
                      evidence(*head) + f"; your circuit's faithfulness is {zoo_ioi.faithfulness(model, B, set(got)):.2f}")
    if extra:
        head = extra[0]
        without = zoo_ioi.faithfulness(model, B, set(got) - {head})
        raise mistake(f"L{head[0]}H{head[1]} is not part of the circuit: removing it changes faithfulness by "
                      f"{zoo_ioi.faithfulness(model, B, set(got)) - without:+.3f}", evidence(*head))


def test_each_head_has_its_role():
    got = reading()
    for head, role in zoo_ioi.CIRCUIT.items():
        if head in got and got[head] != role:
            raise mistake(f"L{head[0]}H{head[1]} is a {role!r} head, not {got[head]!r}", evidence(*head))


def test_the_circuit_is_faithful():
    got = reading()
    faith = zoo_ioi.faithfulness(model, B, set(got))
    grid = [[(1.0 if got.get((l, h)) == "name_mover" else 0.5 if got.get((l, h)) == "subject" else 0.0) for h in range(4)] for l in range(3)]
    show_head_scores(grid, title="your circuit (1 = name mover, 0.5 = subject head)")
    assert faith >= 0.8, f"your circuit's faithfulness is {faith:.2f}; it must be at least 0.8"
