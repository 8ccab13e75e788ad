"""Zoo model `othello`: a transformer trained on random legal games of 6x6 Othello.

The board is 6 x 6 (squares A1 … F6: column letter, row number); the game starts with the
four centre squares taken (C3 and D4 white, D3 and C4 black) and black to move. A move must
flip at least one enemy line; a player with no legal move passes (a pass is not written
down); the game ends when neither can move. A game is the list of its moves, at most 32.

The model reads `<bos> m1 m2 …` and predicts each next move; it is trained with the
next-token loss on games whose moves are drawn uniformly among the legal ones, so it can
only do well by tracking which moves are legal — and that needs the board. The board is
then linearly readable from the residual stream: a probe per square classifies it as
empty / the next player's ("mine") / the other player's ("theirs") far above a baseline.

The game engine here is vectorised over a batch of games (torch), so generating data costs
little next to training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

NAME = "othello"
SIZE = 6
N_SQUARES = SIZE * SIZE
CENTRE = (14, 15, 20, 21)  # C3 D3 / C4 D4 (row-major: index = row * 6 + column)
PLAYABLE = tuple(s for s in range(N_SQUARES) if s not in CENTRE)  # the 32 squares a move can take
MAX_MOVES = len(PLAYABLE)


def square_name(square: int) -> str:
    return "ABCDEF"[square % SIZE] + str(square // SIZE + 1)


SPECIALS = ("<bos>", "<pad>")
VOCAB: tuple[str, ...] = SPECIALS + tuple(square_name(s) for s in PLAYABLE)
BOS, PAD = 0, 1
SQUARE_TO_TOKEN = torch.full((N_SQUARES,), -1, dtype=torch.long)
SQUARE_TO_TOKEN[list(PLAYABLE)] = torch.arange(len(SPECIALS), len(VOCAB))
TOKEN_TO_SQUARE = torch.full((len(VOCAB),), -1, dtype=torch.long)
TOKEN_TO_SQUARE[len(SPECIALS) :] = torch.tensor(PLAYABLE)

EMPTY, BLACK, WHITE = 0, 1, -1

CONFIG: dict[str, Any] = dict(
    n_layers=4, d_model=96, n_heads=4, d_head=24, d_mlp=384, n_ctx=1 + MAX_MOVES,
    d_vocab=len(VOCAB), attn_only=False, normalization_type="LN", act_fn="gelu",
)

# Training recipe of the shipped checkpoint.
SEED = 0
STEPS = 3000
BATCH = 64
LR = 1e-3
WEIGHT_DECAY = 0.01
WARMUP = 100

# Properties the shipped checkpoint must have (tests/runner/test_zoo.py).
# Measured on the shipped checkpoint: legal-move accuracy 0.939; probe 0.857 at layer 3 (0.834
# at layer 2, 0.776 at layer 1, 0.641 on the embeddings) against a baseline of 0.607.
LEGAL_MOVE_ACCURACY_MIN = 0.9
PROBE_ACCURACY_MIN = 0.8  # the probe of the board (empty / mine / theirs), every square, held-out games
PROBE_MARGIN_MIN = 0.15  # ... at least this far above the baseline (each square's most common state)
PROBE_LAYER = 3  # the probe reads the residual stream entering this block (blocks.{PROBE_LAYER}.hook_resid_pre)


def tokenizer():
    from arena_cli.zoo._common import build_tokenizer

    return build_tokenizer(list(VOCAB), bos="<bos>", pad="<pad>", unk=None, name=NAME)


# ---------------------------------------------------------------------------------------------
# The game engine


def _rays() -> torch.Tensor:
    """[square, direction, step] -> the square `step+1` steps away, or -1 off the board."""
    directions = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
    rays = torch.full((N_SQUARES, 8, SIZE - 1), -1, dtype=torch.long)
    for square in range(N_SQUARES):
        row, col = divmod(square, SIZE)
        for d, (dr, dc) in enumerate(directions):
            for step in range(SIZE - 1):
                r, c = row + dr * (step + 1), col + dc * (step + 1)
                if 0 <= r < SIZE and 0 <= c < SIZE:
                    rays[square, d, step] = r * SIZE + c
    return rays


RAYS = _rays()


def start_boards(batch: int) -> torch.Tensor:
    board = torch.zeros(batch, N_SQUARES, dtype=torch.long)
    board[:, [14, 21]] = WHITE
    board[:, [15, 20]] = BLACK
    return board


def _run_flips(along: torch.Tensor, player: torch.Tensor) -> torch.Tensor:
    """Stones flipped along rays: `along` [batch, ..., direction, step] holds the squares' values."""
    shape = (-1,) + (1,) * (along.dim() - 1)
    theirs = along == -player.view(shape)
    mine = along == player.view(shape)
    run = torch.zeros(along.shape[:-1], dtype=torch.long)
    closed = torch.zeros(along.shape[:-1], dtype=torch.bool)
    still = torch.ones(along.shape[:-1], dtype=torch.bool)
    for step in range(SIZE - 1):
        closed |= still & mine[..., step] & (run > 0)  # own stone right after a run of theirs
        still = still & theirs[..., step]
        run += still
    return torch.where(closed, run, torch.zeros_like(run))


def flips(board: torch.Tensor, player: torch.Tensor) -> torch.Tensor:
    """How many stones a move on each square would flip in each direction: [batch, square, direction].

    A square is a legal move for `player` ([batch], +1 black / -1 white) when it is empty and
    flips something.
    """
    padded = torch.cat([board, torch.zeros_like(board[:, :1])], dim=1)  # index -1 -> an empty square
    counts = _run_flips(padded[:, RAYS], player)  # [batch, square, direction]
    return counts * (board == EMPTY)[:, :, None]


def legal_moves(board: torch.Tensor, player: torch.Tensor) -> torch.Tensor:
    """[batch, square] bool: the legal moves of `player`."""
    return flips(board, player).sum(-1) > 0


def play(board: torch.Tensor, player: torch.Tensor, square: torch.Tensor) -> torch.Tensor:
    """The boards after `player` plays `square` ([batch]; -1 = no move, board unchanged)."""
    board = board.clone()
    moving = square >= 0
    rows = moving.nonzero().flatten()
    if len(rows) == 0:
        return board
    sq, who = square[rows], player[rows]
    sub = board[rows]
    padded = torch.cat([sub, torch.zeros_like(sub[:, :1])], dim=1)
    counts = _run_flips(padded.gather(1, RAYS[sq].flatten(1) % (N_SQUARES + 1)).view(-1, 8, SIZE - 1), who)
    steps = torch.arange(SIZE - 1)
    flip = (steps[None, None, :] < counts[:, :, None]) & (RAYS[sq] >= 0)  # [n, direction, step]
    n, d, k = flip.nonzero(as_tuple=True)
    sub[n, RAYS[sq[n], d, k]] = who[n]
    sub[torch.arange(len(rows)), sq] = who
    board[rows] = sub
    return board


@dataclass(frozen=True)
class Games:
    """A batch of random legal games, padded to MAX_MOVES moves."""

    moves: torch.Tensor  # [batch, MAX_MOVES] squares played (0 … 35), -1 after the end
    boards: torch.Tensor  # [batch, MAX_MOVES, 36] the board after each move (+1 black, -1 white, 0 empty)
    next_player: torch.Tensor  # [batch, MAX_MOVES] who moves after each move (+1 / -1; 0 at the end)
    legal_next: torch.Tensor  # [batch, MAX_MOVES, 36] the legal moves after each move
    legal_first: torch.Tensor  # [36] the legal moves at the start (black's)
    length: torch.Tensor  # [batch] number of moves

    def tokens(self) -> torch.Tensor:
        """Model input `<bos> m1 … m_n` padded: [batch, 1 + MAX_MOVES] (the last move is a target only)."""
        moves = SQUARE_TO_TOKEN[self.moves.clamp(min=0)].masked_fill(self.moves < 0, PAD)
        bos = torch.full((len(moves), 1), BOS, dtype=torch.long)
        return torch.cat([bos, moves], dim=1)


def random_games(batch: int, g: torch.Generator) -> Games:
    """Games whose every move is uniform among the legal ones (passes when there is none)."""
    board = start_boards(batch)
    player = torch.full((batch,), BLACK, dtype=torch.long)
    legal_first = legal_moves(board[:1], player[:1])[0]
    moves = torch.full((batch, MAX_MOVES), -1, dtype=torch.long)
    boards = torch.zeros(batch, MAX_MOVES, N_SQUARES, dtype=torch.long)
    next_player = torch.zeros(batch, MAX_MOVES, dtype=torch.long)
    legal_next = torch.zeros(batch, MAX_MOVES, N_SQUARES, dtype=torch.bool)
    legal = legal_moves(board, player)
    for t in range(MAX_MOVES):
        alive = legal.any(-1)
        if not alive.any():
            break
        weights = legal.float() + (~alive).float()[:, None]  # finished games draw anything, ignored
        choice = torch.multinomial(weights, 1, generator=g).squeeze(-1)
        choice = torch.where(alive, choice, torch.full_like(choice, -1))
        board = play(board, player, choice)
        moves[:, t] = choice
        # the opponent moves next, unless they must pass
        player = torch.where(alive, -player, player)
        legal = legal_moves(board, player)
        must_pass = alive & ~legal.any(-1)
        if must_pass.any():
            player = torch.where(must_pass, -player, player)
            legal = torch.where(must_pass[:, None], legal_moves(board, player), legal)
        over = ~legal.any(-1)
        boards[:, t] = board
        next_player[:, t] = torch.where(alive & ~over, player, torch.zeros_like(player))
        legal_next[:, t] = legal & alive[:, None]
    length = (moves >= 0).sum(-1)
    return Games(moves, boards, next_player, legal_next, legal_first, length)


def relative_board(games: Games) -> torch.Tensor:
    """[batch, MAX_MOVES, 36] each square after each move as 0 empty, 1 mine, 2 theirs, where
    "mine" belongs to the player who moves next (the one the model predicts a move for)."""
    relative = games.boards * games.next_player[:, :, None]  # +1 mine, -1 theirs
    return torch.where(relative == 0, 0, torch.where(relative > 0, 1, 2))


# ---------------------------------------------------------------------------------------------
# Measurements


@torch.no_grad()
def legal_move_accuracy(model, games: Games) -> float:
    """How often the model's top-1 next move is legal, over every position of every game that
    has a next move (after `<bos>`: black's first move; after move t: the next player's)."""
    tokens = games.tokens()[:, :-1]  # [batch, MAX_MOVES]: <bos> m1 … m_{MAX-1}
    device = next(model.parameters()).device
    logits = model(tokens.to(device)).float().cpu()
    squares = TOKEN_TO_SQUARE[logits.argmax(-1)]  # -1 for a special token
    legal = torch.cat([games.legal_first.expand(len(tokens), 1, -1), games.legal_next[:, :-1]], dim=1)
    has_move = legal.any(-1)
    ok = legal.gather(-1, squares.clamp(min=0).unsqueeze(-1)).squeeze(-1) & (squares >= 0)
    return float(ok[has_move].float().mean())


@torch.no_grad()
def residual_after_moves(model, games: Games, layer: int = PROBE_LAYER) -> torch.Tensor:
    """The residual stream entering block `layer` at each move's position: [batch, MAX_MOVES, d_model]
    (position t+1 holds move t's token, and what the model knows after it)."""
    tokens = games.tokens()[:, 1:]  # m1 … m_MAX (with <bos> in front below)
    tokens = torch.cat([torch.full((len(tokens), 1), BOS), tokens[:, :-1]], dim=1)
    device = next(model.parameters()).device
    if hasattr(model, "run_with_cache"):
        name = f"blocks.{layer}.hook_resid_pre"
        _, cache = model.run_with_cache(tokens.to(device), names_filter=lambda n: n == name)
        acts = cache[name]
    else:
        captured = []
        hook = model.layers[layer].register_forward_pre_hook(lambda _m, args: captured.append(args[0]))
        try:
            model(tokens.to(device))
        finally:
            hook.remove()
        acts = captured[0]
    return acts[:, 1:].float().cpu()  # positions 1 … MAX_MOVES-1 = after moves 1 … MAX_MOVES-1


def fit_probe(acts: torch.Tensor, states: torch.Tensor, ridge: float = 1e-2) -> torch.Tensor:
    """A linear probe by ridge least squares: weights [d_model + 1, square, 3] mapping the residual
    (plus a bias) to scores of empty / mine / theirs for every square at once."""
    x = torch.cat([acts, torch.ones(len(acts), 1)], dim=1).double()
    y = F.one_hot(states, 3).flatten(1).double()  # [n, square * 3]
    gram = x.T @ x + ridge * len(x) * torch.eye(x.shape[1], dtype=torch.float64)
    weights = torch.linalg.solve(gram, x.T @ y)
    return weights.float().view(x.shape[1], N_SQUARES, 3)


def apply_probe(weights: torch.Tensor, acts: torch.Tensor) -> torch.Tensor:
    """Predicted state of every square: [n, square] in {0 empty, 1 mine, 2 theirs}."""
    x = torch.cat([acts, torch.ones(len(acts), 1)], dim=1)
    return torch.einsum("nd,dsc->nsc", x, weights).argmax(-1)


def probe_accuracy(model, *, layer: int = PROBE_LAYER, n_games: int = 600, seed: int = 11) -> dict[str, float]:
    """Accuracy of a linear probe (`fit_probe`) reading every square as empty / mine / theirs
    from the residual stream entering block `layer`, fitted on half the games and scored on the
    other half; and the baseline of guessing each square's most common state at that move number."""
    games = random_games(n_games, torch.Generator().manual_seed(seed))
    acts = residual_after_moves(model, games, layer)  # [game, t, d] after moves 1 … MAX-1
    steps = acts.shape[1]
    states = relative_board(games)[:, :steps]  # [game, t, square]
    live = games.next_player[:, :steps] != 0  # someone moves after this move
    fit, score = live.clone(), live.clone()
    fit[n_games // 2 :] = False
    score[: n_games // 2] = False
    weights = fit_probe(acts[fit], states[fit])
    probe = float((apply_probe(weights, acts[score]) == states[score]).float().mean())
    # baseline: each square's most common state at each move number, counted on the fit half
    move = torch.arange(steps).expand(n_games, steps)
    counts = torch.zeros(steps, N_SQUARES, 3)
    fit_states = states[fit]  # [n, square]
    counts.index_put_(
        (move[fit][:, None].expand_as(fit_states), torch.arange(N_SQUARES).expand_as(fit_states), fit_states),
        torch.ones(fit_states.shape),
        accumulate=True,
    )
    guess = counts.argmax(-1)[move[score]]  # [n, square]
    baseline = float((guess == states[score]).float().mean())
    return dict(probe=probe, baseline=baseline)


def measure(model, *, n_games: int = 500, seed: int = 3) -> dict[str, Any]:
    games = random_games(n_games, torch.Generator().manual_seed(seed))
    return dict(legal_move_accuracy=legal_move_accuracy(model, games), **probe_accuracy(model))


# ---------------------------------------------------------------------------------------------
# Training


def train(
    *, device: str = "cpu", out: Path | None = None, seed: int | None = None,
    steps: int = STEPS, log_every: int = 250, verbose: bool = True,
) -> dict[str, Any]:
    """Train from scratch (seeded, deterministic) and write the checkpoint to `out` if given."""
    from arena_cli.zoo import _common, _training

    seed = SEED if seed is None else seed
    device = _common.resolve_device(device)
    clock = _common.Clock()
    check_games = random_games(200, torch.Generator().manual_seed(seed + 10_000))
    history: list[dict[str, Any]] = []
    should_log = _training.logging_every(log_every, steps)

    def loss(model, tokens: torch.Tensor) -> torch.Tensor:
        logits = model(tokens[:, :-1])
        targets = tokens[:, 1:].masked_fill(tokens[:, 1:] == PAD, -100)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)

    def observe(step: int, model, loss) -> None:
        if not should_log(step):
            return
        model.eval()
        accuracy = legal_move_accuracy(model, check_games)
        model.train()
        history.append(dict(step=step, seconds=round(clock(), 1), loss=loss.item(), legal_move_accuracy=accuracy))
        if verbose:
            print(f"[{NAME}] step {step:5d}  {clock():6.1f}s  loss {loss.item():.3f}  "
                  f"legal-move accuracy {accuracy:.3f}", flush=True)

    model, final = _training.fit(
        NAME, seed=seed, device=device, steps=steps, lr=LR, weight_decay=WEIGHT_DECAY,
        lr_factor=_training.warmup_cosine(WARMUP, steps),
        batch=lambda data: random_games(BATCH, data).tokens().to(device),
        loss=loss, final=measure, observe=observe,
    )
    result = dict(_training.summary(NAME, seed=seed, steps=steps, device=device, clock=clock, model=model), **final, history=history)
    _training.save(out, NAME, model, result, dict(seed=seed, steps=steps, batch=BATCH, lr=LR, weight_decay=WEIGHT_DECAY))
    return result
