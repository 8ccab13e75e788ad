import pytest
import torch

from arena_cli.course import sae_interp as si
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake
from arena_cli.zoo import load
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)
model = load("othello")
TOKENS = si.model_input(si.games(12, seed=9))


def reference(sae, latent, alpha, pos, *, hook_name=None, every=False, direction=None):
    d = alpha * (sae.W_dec[latent] if direction is None else direction)

    def hook(x, hook):
        x = x.clone()
        if every:
            x += d
        else:
            x[:, pos] += d
        return x

    return model.run_with_hooks(TOKENS, fwd_hooks=[(hook_name or sae.cfg.metadata.hook_name, hook)])


@pytest.mark.parametrize("name, latent, alpha, pos", [("resid2", 17, 6.0, 9), ("resid3", 101, -3.0, 20)],
                         ids=["resid2-latent17", "resid3-latent101-negative"])
def test_steering_adds_the_decoder_direction_at_one_position(name, latent, alpha, pos):
    sae = load_sae(name)
    layer = int(sae.cfg.metadata.hook_name.split(".")[1])
    before = TOKENS.clone()
    got = ex.steer(model, sae, TOKENS, latent, alpha, pos)
    assert_unchanged(before, TOKENS, name="tokens")
    left = [n for n, hp in model.hook_dict.items() if hp.fwd_hooks]
    if left:
        raise mistake("hooks are left on the model after the call; use run_with_hooks", f"still hooked: {left}")
    w_dec = sae.W_dec[latent]
    assert_close(got, reference(sae, latent, alpha, pos), atol=1e-4, name=f"steered logits ({name}, latent {latent})", mistakes={
        "the direction is added at every position; steer at position `pos` only": lambda: reference(sae, latent, alpha, pos, every=True),
        f"the edit is made on the stream leaving block {layer} (hook_resid_post); the SAE reads the stream entering it": lambda: reference(
            sae, latent, alpha, pos, hook_name=f"blocks.{layer}.hook_resid_post"),
        "the encoder column W_enc[:, latent] is used; what a latent writes is its decoder row W_dec[latent]": lambda: reference(
            sae, latent, alpha, pos, direction=sae.W_enc[:, latent]),
        "the decoder row is normalised; add alpha * W_dec[latent] as it is": lambda: reference(sae, latent, alpha, pos, direction=w_dec / w_dec.norm()),
        "the edit is at position pos + 1": lambda: reference(sae, latent, alpha, pos + 1),
    })
