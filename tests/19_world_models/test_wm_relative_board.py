import torch

from arena_cli.course import world_models as wm
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)
GAMES = wm.games(80, seed=1)


def spec(boards: torch.Tensor, next_player: torch.Tensor) -> torch.Tensor:
    """The definition, square by square, in plain Python."""
    out = torch.empty_like(boards)
    for g in range(boards.shape[0]):
        for t in range(boards.shape[1]):
            player = int(next_player[g, t])
            for s in range(boards.shape[2]):
                stone = int(boards[g, t, s])
                out[g, t, s] = -1 if player == 0 else 0 if stone == 0 else 1 if stone == player else 2
    return out


def absolute(boards, next_player):  # black = 1 "mine" always
    return torch.where(boards > 0, 1, torch.where(boards < 0, 2, 0)).masked_fill((next_player == 0)[..., None], -1)


def by_parity(boards, next_player):  # the player to move guessed from the move number: wrong after a pass
    t = torch.arange(boards.shape[1])
    guess = torch.where(t % 2 == 0, -1, 1).expand_as(next_player)  # black plays move 0, so white is next
    return spec(boards, torch.where(next_player == 0, 0, guess))


MISTAKES = {
    "this is the board by colour (black = mine): the labels must be relative to the player who moves next": lambda: absolute(GAMES.boards, GAMES.next_player),
    "mine and theirs are swapped: 'mine' is the next player's (the one the model predicts a move for), not the one who just moved": lambda: spec(GAMES.boards, -GAMES.next_player).masked_fill((GAMES.next_player == 0)[..., None], -1),
    "the player to move is guessed from the move number; after a pass the same player moves twice — use next_player": lambda: by_parity(GAMES.boards, GAMES.next_player),
    "positions after the last move are labelled as boards; nobody moves next there, so every square must be -1": lambda: spec(GAMES.boards, torch.where(GAMES.next_player == 0, 1, GAMES.next_player)),
}


def test_worked_example():
    boards = torch.tensor([[[1, -1, 0], [1, -1, 0]]])
    got = ex.relative_states(boards, torch.tensor([[-1, 0]]))
    assert_close(got, torch.tensor([[[2, 1, 0], [-1, -1, -1]]]), name="the docstring's example", mistakes={
        "positions after the last move are labelled as boards; nobody moves next there, so every square must be -1": torch.tensor([[[2, 1, 0], [0, 0, 0]]]),
        "this is the board by colour (black = mine): the labels must be relative to the player who moves next": torch.tensor([[[1, 2, 0], [-1, -1, -1]]]),
    })


def test_matches_the_definition_on_games_with_passes():
    pass_games = ((GAMES.next_player[:, 1:] == GAMES.next_player[:, :-1]) & (GAMES.next_player[:, 1:] != 0)).any(-1)
    assert int(pass_games.sum()) > 10  # the test games include passes, where parity is wrong
    boards, players = GAMES.boards.clone(), GAMES.next_player.clone()
    got = ex.relative_states(GAMES.boards, GAMES.next_player)
    assert_unchanged(boards, GAMES.boards, name="boards")
    assert_unchanged(players, GAMES.next_player, name="next_player")
    assert_close(got, spec(GAMES.boards, GAMES.next_player), name="relative board states [game, move, square]", mistakes=MISTAKES)


def test_any_leading_shape_and_dtype():
    boards = GAMES.boards[0]  # [move, square]: no game axis
    got = ex.relative_states(boards, GAMES.next_player[0])
    assert_close(got, spec(boards[None], GAMES.next_player[0][None])[0], name="one game, no batch axis")
    assert got.dtype == torch.long, f"return integer labels (torch.long), got {got.dtype}"
