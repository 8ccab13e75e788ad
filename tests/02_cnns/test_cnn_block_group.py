import pytest
import torch

from arena_cli.course.cnn import ResidualBlock, block_group_oracle, randomise_batch_norm
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)


def make_group(n_blocks, in_feats, out_feats, stride, seed=0):
    torch.manual_seed(seed)
    group = ex.BlockGroup(n_blocks, in_feats, out_feats, stride)
    randomise_batch_norm(group, torch.Generator().manual_seed(seed + 1))
    return group


ALL_STRIDED = ("every block was given first_stride; only the first block downsamples, the later ones "
               "use stride 1")


@pytest.mark.parametrize(
    "n_blocks, in_feats, out_feats, stride",
    [(1, 4, 8, 2), (3, 4, 8, 2), (2, 6, 6, 1)],
    ids=["one_block", "three_blocks_downsampling", "two_blocks_same_shape"],
)
def test_blocks_and_their_shapes(n_blocks, in_feats, out_feats, stride):
    group = ex.BlockGroup(n_blocks, in_feats, out_feats, stride)
    blocks = list(group.blocks)
    assert len(blocks) == n_blocks, f"expected {n_blocks} blocks in self.blocks, got {len(blocks)}"
    assert all(isinstance(b, ResidualBlock) for b in blocks), "self.blocks must hold ResidualBlocks from arena_cli.course.cnn"
    state = group.state_dict()
    first = state["blocks.0.left.0.weight"]
    assert first.shape == (out_feats, in_feats, 3, 3), f"block 0's first conv: expected {(out_feats, in_feats, 3, 3)}, got {tuple(first.shape)}"
    has_projection = stride != 1 or in_feats != out_feats
    assert ("blocks.0.right.0.weight" in state) == has_projection, "block 0 projects its shortcut exactly when the shape changes"
    for index in range(1, n_blocks):
        if stride != 1 and tuple(blocks[index].left[0].stride) == (stride, stride):
            raise mistake(ALL_STRIDED, f"block {index}'s first conv has stride {tuple(blocks[index].left[0].stride)}")
        weight = state[f"blocks.{index}.left.0.weight"]
        assert weight.shape == (out_feats, out_feats, 3, 3), f"block {index}'s first conv: expected {(out_feats, out_feats, 3, 3)}, got {tuple(weight.shape)}"
        assert f"blocks.{index}.right.0.weight" not in state, f"block {index} keeps the shape: its shortcut is the identity"


@pytest.mark.parametrize("training", [True, False], ids=["train_mode", "eval_mode"])
@pytest.mark.parametrize(
    "n_blocks, in_feats, out_feats, stride",
    [(1, 4, 8, 2), (3, 4, 8, 2), (2, 6, 6, 1)],
    ids=["one_block", "three_blocks_downsampling", "two_blocks_same_shape"],
)
def test_forward_matches_functional_oracle(n_blocks, in_feats, out_feats, stride, training):
    group = make_group(n_blocks, in_feats, out_feats, stride, seed=n_blocks).train(training)
    x = torch.randn(2, in_feats, 6, 6, generator=torch.Generator().manual_seed(n_blocks))
    expected = block_group_oracle(x, group.state_dict(), n_blocks, stride, training)
    out = group(x)
    every_block_strided = x.shape[-1]
    for _ in range(n_blocks):
        every_block_strided = (every_block_strided - 1) // stride + 1  # a 3x3 conv, padding 1
    if out.shape != expected.shape and stride != 1 and tuple(out.shape[-2:]) == (every_block_strided,) * 2:
        raise mistake(ALL_STRIDED, f"output shape: expected {tuple(expected.shape)}, got {tuple(out.shape)}")
    assert out.shape == expected.shape, f"output shape: expected {tuple(expected.shape)}, got {tuple(out.shape)}"
    assert_close(out, expected, atol=1e-4, name=f"BlockGroup({n_blocks}, {in_feats}, {out_feats}, {stride}) in {'train' if training else 'eval'} mode")


def test_blocks_are_distinct_modules():
    group = ex.BlockGroup(3, 4, 6, 2)
    blocks = list(group.blocks)
    ids = [id(b) for b in blocks]
    if len(set(ids)) < len(ids):
        raise mistake(
            "one ResidualBlock instance is used several times (e.g. `[block] * n`): the blocks share their "
            "weights; build a new ResidualBlock for every position",
            f"{len(ids)} blocks but only {len(set(ids))} distinct modules",
        )
    n_params = sum(p.numel() for p in group.parameters())
    want = sum(p.numel() for p in ResidualBlock(4, 6, 2).parameters()) + 2 * sum(p.numel() for p in ResidualBlock(6, 6, 1).parameters())
    assert n_params == want, f"BlockGroup(3, 4, 6, 2) has {n_params} parameters; three separate blocks have {want}"


def test_gradient_reaches_every_block():
    group = ex.BlockGroup(3, 4, 6, 2).train()
    group(torch.randn(2, 4, 6, 6, generator=torch.Generator().manual_seed(0))).square().sum().backward()
    missing = [name for name, p in group.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"no gradient reaches {missing[:4]}: every block must be on the path from input to output"
