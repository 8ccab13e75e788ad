import contextlib
import io

import pytest
import torch
from sae_lens.saes.standard_sae import StandardTrainingSAE, StandardTrainingSAEConfig
from sae_lens.synthetic.evals import eval_sae_on_synthetic_data
from sae_lens.synthetic.feature_dictionary import FeatureDictionary

from arena_cli.course.superposition import generate_batch, train_with_saelens, trained_toys
from arena_cli.testing import assert_close, load_exercise, mistake, show_bars

ex = load_exercise(__file__)

SOURCE = trained_toys()["sae_source"]
W, SPARSITY = SOURCE["W"][0], float(SOURCE["sparsity"][0])  # [4, 12]: 12 planted features in 4 dimensions
STEPS, BATCH, LR = 40, 128, 3e-3


def fresh_sae(seed=0, l1=0.1):
    torch.manual_seed(seed)
    return StandardTrainingSAE(StandardTrainingSAEConfig(d_in=4, d_sae=24, l1_coefficient=l1))


def test_data_provider_replays_generate_batch():
    data = ex.ToyActivations(W, SPARSITY, 16, torch.Generator().manual_seed(0))
    assert iter(data) is data, "ToyActivations.__iter__ returns the iterator itself"
    batches = [next(data), next(data)]
    if torch.equal(batches[0], batches[1]):
        raise mistake("every batch is the same: draw each one from the generator you were given, not a fresh one")
    g = torch.Generator().manual_seed(0)
    for i, got in enumerate(batches):
        values, draws = torch.rand(16, 1, 12, generator=g), torch.rand(16, 1, 12, generator=g)
        expected = (values * (draws >= SPARSITY))[:, 0] @ W.T
        assert_close(got, expected, atol=1e-6, name=f"batch {i + 1} of ToyActivations (features @ W.T)", mistakes={
            "the sparsity is read as the probability of being non-zero: use generate_batch": (values * (draws < SPARSITY))[:, 0] @ W.T,
            "the features are returned, not the hidden activations h = features Wᵀ": lambda: (values * (draws >= SPARSITY))[:, 0],
        })


def test_config_is_offline_and_constant():
    cfg = ex.trainer_config(25, 64, 1e-3)
    if cfg.total_training_samples == 25:
        raise mistake("total_training_samples counts samples, not steps: steps × batch_size")
    assert cfg.total_training_samples == 25 * 64 and cfg.train_batch_size_samples == 64, "samples = steps × batch size"
    assert cfg.total_training_steps == 25, f"the config gives {cfg.total_training_steps} steps, expected 25"
    assert cfg.lr == 1e-3 and cfg.lr_end == 1e-3, f"a constant learning rate: lr = lr_end = 1e-3 (got {cfg.lr}, {cfg.lr_end})"
    assert not cfg.logger.log_to_wandb, "log_to_wandb must be False: nothing may leave the machine"


def test_training_matches_a_reference_saelens_run():
    sae, twin = fresh_sae(1), fresh_sae(1)
    with contextlib.redirect_stderr(io.StringIO()):  # SAELens' progress bar
        trainer = ex.train(sae, W, SPARSITY, STEPS, BATCH, LR, torch.Generator().manual_seed(2))
    assert trainer.n_training_steps == STEPS, f"the trainer took {trainer.n_training_steps} steps, expected {STEPS}"
    train_with_saelens(twin, W, SPARSITY, steps=STEPS, batch_size=BATCH, lr=LR, generator=torch.Generator().manual_seed(2))
    for name, p in sae.named_parameters():
        assert_close(p, getattr(twin, name), atol=1e-5, name=f"{name} after {STEPS} steps of SAETrainer (vs the reference run)")


@pytest.mark.parametrize("shift", [0.0, 0.5], ids=["toy_W", "shifted_W"])
def test_evaluation_matches_saelens_own_numbers(shift):
    # the toy W's columns nearly cancel (mean activation ≈ 0), so a shifted copy checks the centring
    W_eval = W + shift
    sae = fresh_sae(3)
    with torch.no_grad():  # a trained SAE from the shipped set, so that every number is informative
        sae.load_state_dict(trained_toys()["saes"]["relu_l1_0.1"])
        sae.W_dec[5] = 0.0  # and two latents that can never fire
        sae.b_enc[[5, 9]] = -100.0
    features = generate_batch(3000, torch.tensor([SPARSITY]), 12, torch.Generator().manual_seed(4))[:, 0]

    class Replay:  # SAELens' evaluator draws features from this: give it ours
        def sample(self, n):
            assert n == features.shape[0]
            return features

    dictionary = FeatureDictionary(12, 4, initializer=None)
    with torch.no_grad():
        dictionary.feature_vectors.copy_(W_eval.T)  # the toy model's hidden layer IS a feature dictionary: h = x Wᵀ
    want = eval_sae_on_synthetic_data(sae, dictionary, Replay(), num_samples=features.shape[0])
    got = ex.evaluate(sae, W_eval, features)
    show_bars(list(got), [float(v) for v in got.values()], title=f"your evaluation of the L1 0.1 SAE (W shifted by {shift})")
    assert_close(got["l0"], want.sae_l0, atol=1e-4, name="l0 vs SAELens eval_sae_on_synthetic_data")
    h = features @ W_eval.T
    with torch.no_grad():
        residual = ((sae.decode(sae.encode(h)) - h) ** 2).sum(-1).mean()
    assert_close(got["explained_variance"], want.explained_variance, atol=1e-4, name="explained_variance vs SAELens", mistakes={
        "the variance is not centred: subtract the mean activation": float(1 - residual / (h**2).sum(-1).mean()),
    })
    with torch.no_grad():
        z = sae.encode(h)
    if got["dead_latents"] != want.dead_latents and got["dead_latents"] == int((~(z != 0).all(dim=0)).sum()):
        raise mistake("a latent that is zero on SOME input is counted as dead: dead means zero on EVERY input")
    assert got["dead_latents"] == want.dead_latents, f"dead_latents: got {got['dead_latents']}, SAELens says {want.dead_latents}"
    assert_close(got["shrinkage"], want.shrinkage, atol=1e-4, name="shrinkage (mean ‖ĥ‖/‖h‖) vs SAELens")
