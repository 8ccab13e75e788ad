import torch

from arena_cli.course import ioi
from arena_cli.testing import assert_close, load_exercise, mistake, show_head_scores

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(24, seed=9)
_, CACHE = ioi.run_with_cache(model, B.tokens)
ROWS = torch.arange(24)


def score(query, key):
    return torch.stack([CACHE["pattern", layer][ROWS, :, query, key].mean(dim=0) for layer in range(3)])  # [layer, head]


def test_scores():
    got = ex.role_scores(CACHE, B.io_pos, B.s1_pos, B.s2_pos, B.end)
    fixed = {id(B.io_pos): torch.full_like(B.io_pos, 4), id(B.s1_pos): torch.full_like(B.io_pos, 6)}
    swapped = {id(B.io_pos): B.s1_pos, id(B.s1_pos): B.io_pos}
    expected = {"end_to_io": (B.end, B.io_pos), "end_to_s1": (B.end, B.s1_pos), "end_to_s2": (B.end, B.s2_pos),
                "s2_to_s1": (B.s2_pos, B.s1_pos)}
    assert set(got) == set(expected), f"expected the keys {sorted(expected)}, got {sorted(got)}"
    for name, (query, key) in expected.items():
        want = score(query, key)
        if name.startswith("end"):
            show_head_scores(want, title=f"attention {name.replace('_to_', ' -> ')} (mean over prompts)")
        assert_close(got[name], want, atol=1e-5, name=f"{name} [layer, head]", mistakes={
            "query and key positions are swapped: the pattern is [batch, head, query_pos, key_pos]": lambda: score(key, query),
            "IO and S1 were taken at fixed positions (4 and 6): in BABA prompts they swap, use io_pos and s1_pos":
                lambda: score(fixed.get(id(query), query), fixed.get(id(key), key)),
            "IO and S1 are swapped": lambda: score(swapped.get(id(query), query), swapped.get(id(key), key)),
            "the attention was summed over prompts instead of averaged": lambda: score(query, key) * 24,
        })


def test_name_movers_and_subject_heads():
    scores = ex.role_scores(CACHE, B.io_pos, B.s1_pos, B.s2_pos, B.end)
    io, s1, s2 = scores["end_to_io"], scores["end_to_s1"], scores["end_to_s2"]

    def movers(m, r):
        return sorted((l, h) for l in range(3) for h in range(4) if io[l, h] > m and io[l, h] > r * s1[l, h])

    for m, r in ((0.5, 3.0), (0.2, 1.0), (0.75, 3.0), (0.1, 3.0)):
        got = [tuple(x) for x in ex.name_movers(scores, min_attention=m, ratio=r)]
        if got != movers(m, r) and got == movers(m, 0.0):
            raise mistake("the ratio was ignored: a name mover also needs end_to_io > ratio * end_to_s1",
                          f"name_movers(min_attention={m}, ratio={r}): expected {movers(m, r)}, got {got}")
        assert [tuple(x) for x in got] == movers(m, r), f"name_movers(min_attention={m}, ratio={r}): expected {movers(m, r)}, got {got}"
    assert [tuple(x) for x in ex.name_movers(scores)] == [(1, 0), (1, 2)], "with the defaults: L1H0 and L1H2"
    for m in (0.8, 0.99, 0.01):
        want = sorted((l, h) for l in range(3) for h in range(4) if s2[l, h] > m)
        got = [tuple(x) for x in ex.subject_heads(scores, min_attention=m)]
        if got != want and got == sorted((l, h) for l in range(3) for h in range(4) if s2[l, h] > 0.8):
            raise mistake("min_attention was ignored: the threshold is the argument, not 0.8",
                          f"subject_heads(min_attention={m}): expected {want}, got {got}")
        assert [tuple(x) for x in got] == want, f"subject_heads(min_attention={m}): expected {want}, got {got}"
