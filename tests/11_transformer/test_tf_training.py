import copy

import pytest
import torch
import torch.nn.functional as F

from arena_cli.course.corpus import load_token_windows
from arena_cli.course.transformer import Config, Transformer
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)

TINY = Config(d_model=32, d_vocab=30, n_ctx=32, d_head=8, n_heads=4, d_mlp=128, n_layers=1)


def reference_loss(model, batch):
    logits = model(batch)
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))


def tiny_model(seed: int = 0) -> Transformer:
    torch.manual_seed(seed)
    return Transformer(TINY)


def test_train_step_matches_a_reference_adamw_loop():
    # two steps, so a forgotten zero_grad (gradients piling up) shows in the second one
    model = tiny_model()
    reference = copy.deepcopy(model)
    train_windows, _ = load_token_windows(seq_len=TINY.n_ctx)
    batches = [train_windows[:8], train_windows[8:16]]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    reference_optimizer = torch.optim.AdamW(reference.parameters(), lr=1e-2)
    # the mistake twin: gradients never cleared, so step 2 uses the sum of both steps' gradients
    piled = copy.deepcopy(model)
    piled_optimizer = torch.optim.AdamW(piled.parameters(), lr=1e-2)
    for batch in batches:
        reference_loss(piled, batch).backward()
        piled_optimizer.step()
    piled_params = [q.detach().clone() for q in piled.parameters()]
    for i, batch in enumerate(batches):
        loss = ex.train_step(model, optimizer, batch)
        expected = reference_loss(reference, batch)
        expected.backward()
        reference_optimizer.step()
        reference_optimizer.zero_grad()
        assert isinstance(loss, float), f"train_step should return loss.item(), a float; got {type(loss).__name__}"
        assert_close(loss, expected.item(), atol=1e-5, rtol=1e-5, name=f"loss returned by train_step {i + 1}")
        for (name, p), q, r in zip(model.named_parameters(), reference.parameters(), piled_params):
            assert_close(p, q, atol=1e-6, rtol=1e-5, name=f"{name} after train_step {i + 1}", mistakes={
                "the gradients are not cleared after the step (optimizer.zero_grad()): they pile up from step to step": r,
            } if i == 1 else None)


@pytest.mark.parametrize("n_windows,batch_size", [(8, 4), (10, 4), (3, 64)], ids=["even_chunks", "smaller_last_chunk", "one_chunk"])
def test_evaluate_is_the_mean_over_all_predicted_tokens(n_windows, batch_size):
    model = tiny_model(seed=1)
    _, val_windows = load_token_windows(seq_len=TINY.n_ctx)
    windows = val_windows[:n_windows]
    with torch.no_grad():
        expected = reference_loss(model, windows).item()
    sizes = []
    handle = model.register_forward_hook(lambda _m, inputs, _out: sizes.append(inputs[0].shape[0]))
    try:
        got = ex.evaluate(model, windows, batch_size=batch_size)
    finally:
        handle.remove()
    assert isinstance(got, float), f"evaluate should return a float; got {type(got).__name__}"
    with torch.no_grad():
        chunk_means = [reference_loss(model, windows[i : i + batch_size]).item() for i in range(0, n_windows, batch_size)]
    assert_close(got, expected, atol=1e-5, rtol=1e-5, name=f"evaluate on {n_windows} windows in chunks of {batch_size}",
                 mistakes={"this is the plain mean of the chunk means; weight each chunk by its number of windows":
                           sum(chunk_means) / len(chunk_means)})
    wanted = [min(batch_size, n_windows - i) for i in range(0, n_windows, batch_size)]
    if sizes != wanted:
        raise mistake(f"evaluate ran the model on chunks of {sizes} windows; with batch_size={batch_size} they are {wanted}")


def test_evaluate_builds_no_autograd_graph():
    model = tiny_model(seed=2)
    grad_modes = []
    model.register_forward_hook(lambda *_: grad_modes.append(torch.is_grad_enabled()))
    _, val_windows = load_token_windows(seq_len=TINY.n_ctx)
    ex.evaluate(model, val_windows[:6], batch_size=4)
    assert grad_modes, "evaluate never called the model"
    assert not any(grad_modes), "evaluate ran the model with gradients enabled: wrap it in torch.no_grad()"


def test_a_few_seconds_of_training_learn_more_than_letter_pairs():
    # 150 steps (a few seconds). Knowing only which letter follows which gives 1.79 nats; a loop
    # that does not update, does not clear gradients or predicts the wrong position stays far above 1.6
    model = tiny_model(seed=0)
    train_windows, val_windows = load_token_windows(seq_len=TINY.n_ctx)
    args = ex.TrainingArgs(batch_size=16, max_steps=150, lr=1e-2, eval_every=50, seed=0)
    history = ex.train(model, train_windows, val_windows[:128], args)
    assert len(history.train_losses) == 150, f"expected one loss per step (150), got {len(history.train_losses)}"
    steps = [step for step, _ in history.val_losses]
    assert steps == [50, 100, 150], f"expected validation losses after steps [50, 100, 150], got {steps}"
    with torch.no_grad():
        final = reference_loss(model, val_windows[:128]).item()
    assert_close(history.val_losses[-1][1], final, atol=1e-4, name="the last recorded validation loss")
    assert final < 1.6, f"validation loss after 150 steps is {final:.3f}; a working loop reaches about 1.2 (< 1.6)"


def test_train_shuffles_with_the_seed():
    # the same seed must give the same run; a different seed a different order of batches
    train_windows, val_windows = load_token_windows(seq_len=TINY.n_ctx)
    args = ex.TrainingArgs(batch_size=4, max_steps=3, lr=1e-3, eval_every=100, seed=5)
    first = ex.train(tiny_model(seed=3), train_windows[:40], val_windows[:4], args).train_losses
    again = ex.train(tiny_model(seed=3), train_windows[:40], val_windows[:4], args).train_losses
    args.seed = 6
    other = ex.train(tiny_model(seed=3), train_windows[:40], val_windows[:4], args).train_losses
    assert_close(again, first, name="losses of two runs with the same seed")
    assert first != other, "two different seeds gave the same losses: shuffle with torch.randperm(n, generator=...)"


def reference_train(model, train_windows, val_windows, args, bug=None):
    """The loop the docstring describes, or the same loop with one known mistake (`bug`)."""
    decay = 0.01 if bug == "no_weight_decay" else args.weight_decay  # 0.01: AdamW's own default
    if bug == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=decay)
    generator = torch.Generator().manual_seed(args.seed)
    losses, val_losses = [], []
    n = len(train_windows)
    while len(losses) < args.max_steps:
        if bug == "reseeded_every_epoch":
            generator = torch.Generator().manual_seed(args.seed)
        order = torch.arange(n) if bug == "no_shuffle" else torch.randperm(n, generator=generator)
        starts = range(0, n, args.batch_size) if bug == "keeps_partial_batch" else range(0, n - args.batch_size + 1, args.batch_size)
        for start in starts:
            batch = train_windows[order[start : start + args.batch_size]]
            loss = reference_loss(model, batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            if len(losses) % args.eval_every == 0:
                with torch.no_grad():
                    val_losses.append((len(losses), reference_loss(model, val_windows).item()))
            if len(losses) == args.max_steps:
                break
        if bug == "one_epoch":
            break
    return losses, val_losses, model


TRAIN_BUGS = {
    "reseeded_every_epoch": "the generator is re-seeded every epoch, so every epoch has the same order; seed it once, before the loop",
    "keeps_partial_batch": "the last incomplete batch of an epoch is kept; drop it",
    "no_shuffle": "the training windows are not shuffled: draw torch.randperm(n, generator=...) every epoch",
    "no_weight_decay": "args.weight_decay is not passed to AdamW (it used its default, 0.01)",
    "adam": "this is Adam with an L2 penalty; use torch.optim.AdamW (decoupled weight decay)",
    "one_epoch": "training stops after one epoch; go on, epoch after epoch, until args.max_steps steps are done",
}


def test_train_matches_a_reference_twin_step_by_step():
    # 22 windows in batches of 4: 5 full batches and 2 left over per epoch; 13 steps reach a third
    # epoch; every argument has a value other than its default
    train_windows, val_windows = load_token_windows(seq_len=TINY.n_ctx)
    train_windows, val_windows = train_windows[:22], val_windows[:6]
    args = ex.TrainingArgs(batch_size=4, max_steps=13, lr=5e-3, weight_decay=0.3, eval_every=4, seed=9)
    twin = tiny_model(seed=4)
    model = copy.deepcopy(twin)
    state = torch.get_rng_state()
    history = ex.train(model, train_windows, val_windows, args)
    if not torch.equal(state, torch.get_rng_state()):
        raise mistake("train used torch's global random generator: shuffle with torch.randperm(n, generator=...) "
                      "and a torch.Generator seeded with args.seed")
    expected_losses, expected_val, twin = reference_train(twin, train_windows, val_windows, args)
    assert_close(history.train_losses, expected_losses, atol=1e-5, rtol=1e-4,
                 name="loss of every step vs a reference loop with the same generator", mistakes={
        sentence: (lambda bug=bug: reference_train(tiny_model(seed=4), train_windows, val_windows, args, bug)[0])
        for bug, sentence in TRAIN_BUGS.items()
    })
    assert [step for step, _ in history.val_losses] == [step for step, _ in expected_val], (
        f"validation losses recorded after steps {[step for step, _ in history.val_losses]}, expected "
        f"{[step for step, _ in expected_val]} (every eval_every = 4 steps)"
    )
    assert_close([loss for _, loss in history.val_losses], [loss for _, loss in expected_val], atol=1e-5, rtol=1e-4,
                 name="validation losses vs the reference loop")
    for (name, p), q in zip(model.named_parameters(), twin.parameters()):
        assert_close(p, q, atol=1e-5, rtol=1e-4, name=f"{name} after training vs the reference loop")
