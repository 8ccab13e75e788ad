import functools
import itertools
import math

import pytest
import torch
from torch import nn

from arena_cli.course.transformer import Config, tl_model
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

TINY = Config(d_model=32, d_vocab=4, n_ctx=8, d_head=8, n_heads=4, d_mlp=64, n_layers=2)
PROMPT = torch.tensor([2, 0])
NEW = 4


@functools.cache
def tiny_lm():
    """A random TransformerLens model with 4 tokens. With this seed, neighbouring scores among the
    best 65 continuations differ by at least 4e-4, far more than float32 rounding (~1e-6), so
    their order is well defined."""
    return tl_model(TINY, seed=20)


@functools.cache
def brute_force():
    """Every continuation of PROMPT by NEW tokens, scored by TransformerLens: sum of log-probs."""
    model = tiny_lm()
    endings = torch.tensor(list(itertools.product(range(TINY.d_vocab), repeat=NEW)))  # [256, NEW]
    sequences = torch.cat([PROMPT.expand(len(endings), -1), endings], dim=1)
    with torch.no_grad():
        log_probs = model(sequences).log_softmax(-1)
    n = len(PROMPT)
    picked = log_probs[:, n - 1 : -1].gather(-1, sequences[:, n:, None])[..., 0]
    scores = picked.sum(-1)
    order = scores.argsort(descending=True)
    return sequences[order], scores[order]


def step_mistakes(beams, scores, log_probs, width):
    """(beams, scores) of the usual wrong beam steps."""
    n_beams, vocab = log_probs.shape

    def extend(flat_scores, beam_index, token, new_scores):
        return torch.cat([beams[beam_index], token[:, None]], dim=1), new_scores

    def own_best():
        top = (scores[:, None] + log_probs).topk(min(max(1, width // n_beams), vocab), dim=-1)
        order = top.values.flatten().argsort(descending=True)[:width]
        return extend(None, order // top.values.shape[1], top.indices.flatten()[order], top.values.flatten()[order])

    def flat(candidates, decode, reported=None):
        best_scores, best = candidates.flatten().topk(min(width, candidates.numel()))
        beam_index, token = decode(best)
        return extend(None, beam_index, token, best_scores if reported is None else reported(beam_index, best_scores))

    total = scores[:, None] + log_probs
    return {
        "each beam was extended by its own best tokens; rank all n_beams * d_vocab candidates together": own_best,
        "the beams' scores are not added: a candidate's score is scores[i] + log_probs[i, t]":
            lambda: flat(log_probs, lambda b: (b // vocab, b % vocab), lambda i, s: scores[i] + s),
        "the flat index was decoded with n_beams; beam = index // d_vocab, token = index % d_vocab":
            lambda: flat(total, lambda b: (b % n_beams, b // n_beams)),
    }


def assert_step(got, expected_beams, expected_scores, mistakes, what):
    sentences = {s: (lambda v=v: v()[0]) for s, v in mistakes.items()}
    assert_close(got[0], expected_beams, name=f"beams {what}", mistakes=sentences)
    assert_close(got[1], expected_scores, atol=1e-6, name=f"scores {what}",
                 mistakes={s: (lambda v=v: v()[1]) for s, v in mistakes.items()})


def test_worked_example():
    beams, scores = ex.beam_step(torch.tensor([[5]]), torch.zeros(1), torch.tensor([[-0.6, -0.9, -2.3]]), 2)
    assert_close(beams, torch.tensor([[5, 0], [5, 1]]), name="beams after the first step")
    assert_close(scores, torch.tensor([-0.6, -0.9]), atol=1e-6, name="scores after the first step")
    log_probs = torch.tensor([[-1.6, -1.6, -0.7], [-3.0, -0.1, -3.0]])
    mistakes = step_mistakes(beams, scores, log_probs, 2)
    got = ex.beam_step(beams, scores, log_probs, 2)
    assert_step(got, torch.tensor([[5, 1, 1], [5, 0, 2]]), torch.tensor([-1.0, -1.3]), mistakes, "after the second step")


@pytest.mark.parametrize("n_beams,vocab,width", [(1, 5, 3), (3, 4, 5), (4, 6, 24), (2, 3, 10)],
                         ids=["one_beam", "three_beams", "keep_every_candidate", "fewer_candidates_than_width"])
def test_beam_step_keeps_the_best_candidates(n_beams, vocab, width):
    generator = torch.Generator().manual_seed(n_beams * vocab)
    beams = torch.randint(0, vocab, (n_beams, 3), generator=generator)
    scores = -torch.rand(n_beams, generator=generator) * 3
    log_probs = torch.randn(n_beams, vocab, generator=generator).log_softmax(-1)
    # enumerate every candidate, sort, keep the best
    candidates = [(scores[i] + log_probs[i, t], i, t) for i in range(n_beams) for t in range(vocab)]
    candidates.sort(key=lambda c: -float(c[0]))
    kept = candidates[: min(width, len(candidates))]
    expected_beams = torch.stack([torch.cat([beams[i], torch.tensor([t])]) for _, i, t in kept])
    expected_scores = torch.stack([s for s, _, _ in kept])
    before = (beams.clone(), scores.clone(), log_probs.clone())
    got = ex.beam_step(beams, scores, log_probs, width)
    for name, b, a in zip(["beams", "scores", "log_probs"], before, (beams, scores, log_probs)):
        assert_unchanged(b, a, name=name)
    assert_step(got, expected_beams, expected_scores, step_mistakes(beams, scores, log_probs, width),
                f"kept out of {n_beams * vocab} candidates (best first)")


def test_wide_beam_finds_the_exact_top_continuations():
    # width 4 ** 3 keeps every prefix until the last step, so the result is the exact top 64
    sequences, scores = brute_force()
    before = PROMPT.clone()
    beams, beam_scores = ex.beam_search(tiny_lm(), PROMPT, NEW, width=64)
    assert_unchanged(before, PROMPT, name="prompt")
    assert_close(beam_scores, scores[:64], atol=1e-5, rtol=1e-5, name="scores of the 64 best continuations (vs brute force)",
                 mistakes={"the scores add raw logits; add log-probabilities (log_softmax of the logits)": lambda: raw_logit_scores(beams)})
    assert_close(beams, sequences[:64], name="the 64 best continuations (vs brute force over all 256)")


def raw_logit_scores(beams):
    with torch.no_grad():
        logits = tiny_lm()(beams)
    n = len(PROMPT)
    return logits[:, n - 1 : -1].gather(-1, beams[:, n:, None])[..., 0].sum(-1)


def test_width_one_is_greedy_decoding():
    model = tiny_lm()
    tokens = PROMPT[None]
    with torch.no_grad():
        for _ in range(NEW):
            tokens = torch.cat([tokens, model(tokens)[:, -1].argmax(-1, keepdim=True)], dim=1)
    beams, _ = ex.beam_search(model, PROMPT, NEW, width=1)
    assert_close(beams, tokens, name="beam search with width 1 vs greedy decoding")


@pytest.mark.parametrize("width", [2, 5])
def test_scores_are_the_log_probabilities_of_the_returned_beams(width):
    sequences, scores = brute_force()
    score_of = {tuple(s.tolist()): float(v) for s, v in zip(sequences, scores)}
    beams, beam_scores = ex.beam_search(tiny_lm(), PROMPT, NEW, width=width)
    assert beams.shape == (width, len(PROMPT) + NEW), f"expected {width} beams of length {len(PROMPT) + NEW}, got {tuple(beams.shape)}"
    expected = torch.tensor([score_of[tuple(b.tolist())] for b in beams])
    assert_close(beam_scores, expected, atol=1e-5, rtol=1e-5, name="returned scores vs the beams' total log-probabilities")
    assert torch.all(beam_scores[:-1] >= beam_scores[1:]), f"beams are not sorted best first: {beam_scores.tolist()}"


class MarkovLM(nn.Module):
    """Next-token log-probabilities that depend only on the last token (a lookup table)."""

    def __init__(self, table):
        super().__init__()
        self.table = torch.tensor(table).log()

    def forward(self, tokens):
        return self.table[tokens]


def test_beam_of_two_beats_greedy_where_greedy_is_short_sighted():
    # after 0: token 1 (0.55) beats token 2 (0.44); but after 1 everything is uncertain, while after
    # 2 token 0 is almost sure. Best pair: 2 then 0 (0.44 * 0.9); greedy takes 1 then 0 (0.55 * 0.34)
    model = MarkovLM([[0.01, 0.55, 0.44], [0.34, 0.33, 0.33], [0.9, 0.05, 0.05]])
    beams, scores = ex.beam_search(model, torch.tensor([0]), 2, width=2)
    assert_close(beams[0], torch.tensor([0, 2, 0]), name="the best beam of width 2")
    assert_close(scores[0], torch.tensor(math.log(0.44 * 0.9)), atol=1e-5, name="its score")
    greedy, _ = ex.beam_search(model, torch.tensor([0]), 2, width=1)
    assert_close(greedy[0], torch.tensor([0, 1, 0]), name="the beam of width 1 (greedy)")
