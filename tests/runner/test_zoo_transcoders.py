"""The transcoders shipped with the zoo (arena_cli/zoo/othello_transcoders.py): SAELens format,
the size budget, and a real imitation of each of othello's MLPs — measured here on the shipped
weights and fresh games, never read from metrics.json.

Measured (200 held-out games, seed 2024; next-move cross-entropy over positions whose target is
a move; "zero" = that MLP's output zeroed; clean loss 1.931):
mlp0 FVE 0.936, L0 29.1, loss with it 1.994, zero 3.403, recovered 0.957;
mlp1 FVE 0.871, L0 20.3, 1.951 / 2.090, recovered 0.875;
mlp2 FVE 0.867, L0 21.5, 1.950 / 2.049, recovered 0.834;
mlp3 FVE 0.896, L0 29.3, 1.950 / 2.057, recovered 0.845.
Also: 3-step runs of both training scripts, which must write loadable checkpoints and be
deterministic.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from arena_cli import zoo
from arena_cli.testing import torch_on_one_thread

MAX_BYTES = 2 * 1024 * 1024
MIN_FVE = {"mlp0": 0.92, "mlp1": 0.85, "mlp2": 0.85, "mlp3": 0.88}
MIN_LOSS_RECOVERED = {"mlp0": 0.93, "mlp1": 0.84, "mlp2": 0.80, "mlp3": 0.81}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with torch_on_one_thread(grad=False):
        yield


@pytest.fixture(scope="module")
def data():
    from arena_cli.course import sae_interp as si
    from arena_cli.zoo import load

    model = load("othello")
    g = si.games(200, seed=2024)
    return model, si.model_input(g), g.tokens()[:, 1:]


def test_catalogue_lists_the_transcoders_and_their_files():
    from arena_cli.zoo import othello_transcoders

    (entry,) = [e for e in zoo.sae_catalogue() if e.name == "othello_transcoders"]
    assert entry.saes == tuple(othello_transcoders.TRANSCODERS) and entry.kind == "transcoders"
    files = [f for f in othello_transcoders.DIR.rglob("*") if f.is_file()]
    assert entry.size_bytes == sum(f.stat().st_size for f in files) > 0
    for name in entry.saes:
        weights = othello_transcoders.DIR / name / "sae_weights.safetensors"
        assert 0 < weights.stat().st_size <= MAX_BYTES, name


def _loss(logits, targets):
    from arena_cli.zoo import othello

    keep = targets != othello.PAD
    return float(F.cross_entropy(logits[keep], targets[keep]))


@pytest.mark.parametrize("name", list(MIN_FVE))
def test_transcoder_imitates_its_mlp(name, data):
    from arena_cli.zoo import othello_transcoders as ot

    model, tokens, targets = data
    tc = ot.load_transcoder(name)
    layer = ot.TRANSCODERS[name]["layer"]
    hook_in, hook_out = ot.hooks(layer)
    assert (tc.cfg.metadata.hook_name, tc.cfg.metadata.hook_name_out) == (hook_in, hook_out)
    x, y = ot.mlp_activations(model, tokens, layer)
    fve = ot.fraction_of_variance_explained(tc, x, y)
    assert fve >= MIN_FVE[name], f"{name}: fraction of variance explained {fve:.3f}"
    saved = {}

    def read(act, hook):
        saved["x"] = act
        return act

    def replace(act, hook, error=False):
        recon = tc.decode(tc.encode(saved["x"]))
        return recon + (act - recon) if error else recon

    clean = _loss(model(tokens), targets)
    spliced = _loss(model.run_with_hooks(tokens, fwd_hooks=[(hook_in, read), (hook_out, replace)]), targets)
    zero = _loss(model.run_with_hooks(tokens, fwd_hooks=[(hook_out, lambda act, hook: torch.zeros_like(act))]), targets)
    recovered = (zero - spliced) / (zero - clean)
    assert recovered >= MIN_LOSS_RECOVERED[name], f"{name}: loss recovered {recovered:.3f} (clean {clean:.3f}, transcoder {spliced:.3f}, zero {zero:.3f})"
    # with its error term added back, the spliced model is the model (the attribution graph relies on it)
    with_error = model.run_with_hooks(tokens[:4], fwd_hooks=[(hook_in, read), (hook_out, lambda a, hook: replace(a, hook, error=True))])
    torch.testing.assert_close(with_error, model(tokens[:4]), atol=1e-4, rtol=0)


def test_training_scripts_run_deterministically_and_write_loadable_files(tmp_path, monkeypatch):
    from arena_cli.zoo import othello_saes, othello_transcoders as ot

    monkeypatch.setattr(ot, "DATA_GAMES", 60)
    monkeypatch.setattr(othello_saes, "DATA_GAMES", 60)
    monkeypatch.setattr(ot, "DIR", tmp_path / "tc")
    monkeypatch.setattr(othello_saes, "DIR", tmp_path / "sae")
    with torch.enable_grad():
        ot.train(steps=3)
        first = {k: v.clone() for k, v in ot.load_transcoder("mlp1").state_dict().items()}
        ot.train(steps=3)
        othello_saes.train(steps=3)
    again = ot.load_transcoder("mlp1").state_dict()
    assert all(torch.equal(first[k], again[k]) for k in first)
    for name in othello_saes.SAES:
        sae = othello_saes.load_sae(name)
        assert sae.cfg.metadata.hook_name == othello_saes.SAES[name]["hook"] and sae.cfg.d_sae == othello_saes.SAES[name]["d_sae"]
