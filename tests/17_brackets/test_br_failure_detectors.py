import pytest
import torch

from arena_cli.course.brackets import COMPONENTS, failure_class_of, tl_attributions
from arena_cli.testing import assert_close, load_exercise, mistake, show_heatmap

ex = load_exercise(__file__)
CLASSES = ["balanced", "elevation", "negative_prefix"]


@pytest.fixture(scope="module")
def measured(model, run, held_out):
    tokens, mask, logits, cache = run
    attributions = tl_attributions(cache, model)
    classes = [failure_class_of(s) for s in held_out]
    labels = torch.tensor([CLASSES.index(c) for c in classes])
    means = torch.stack([attributions[labels == i].mean(0) for i in range(3)])
    return attributions, classes, means


def test_class_means(measured):
    attributions, classes, means = measured
    labels = torch.tensor([CLASSES.index(c) for c in classes])
    medians = torch.stack([attributions[labels == i].median(0).values for i in range(3)])
    assert_close(ex.class_means(attributions, classes), means, atol=1e-5, name="class means [3, 12] (rows balanced, elevation, negative_prefix)",
                 mistakes={"that is the median, not the mean": medians,
                           "the rows are in another order: balanced, elevation, negative_prefix": means[[0, 2, 1]]})
    # a batch with no negative-prefix string among the first ones: the means must still be per class
    few = [0, 1, 2, 3, 50, 51, 90, 91, 92]
    sub_labels = labels[few]
    want = torch.stack([attributions[few][sub_labels == i].mean(0) for i in range(3)])
    assert_close(ex.class_means(attributions[few], [classes[i] for i in few]), want, atol=1e-5, name="class means of 9 strings")


def test_contrast_and_the_worked_example(measured):
    _, _, means = measured
    assert_close(ex.contrast(means), means[1:] - means[:1], atol=1e-6, name="contrast [2, 12]",
                 mistakes={"the sign is reversed: failure class minus balanced": means[:1] - means[1:]})
    small = torch.tensor([[0.0, 0.0], [4.0, 1.0], [1.0, 5.0]])
    assert_close(ex.contrast(small), torch.tensor([[4.0, 1.0], [1.0, 5.0]]), name="contrast of the worked example")
    assert ex.detectors(torch.tensor([[4.0, 1.0], [1.0, 5.0]]), ["A", "B"]) == {"elevation": "A", "negative_prefix": "B"}


def test_detectors_of_the_model(measured):
    _, _, means = measured
    con = means[1:] - means[:1]
    specific = con - con.flip(0)
    want = {cls: COMPONENTS[int(specific[i].argmax())] for i, cls in enumerate(CLASSES[1:])}
    got = ex.detectors(con, COMPONENTS)
    show_heatmap(torch.cat([con, specific]), ["contrast: elevation", "contrast: negative prefix", "specific: elevation", "specific: negative prefix"],
                 COMPONENTS, title="which component detects which failure (attribution to 'unbalanced', vs balanced strings)",
                 vmin=None, vmax=None, scale="diverging")
    if got != want:
        largest = {cls: COMPONENTS[int(con[i].argmax())] for i, cls in enumerate(CLASSES[1:])}
        raw = {cls: COMPONENTS[int(means[i + 1].argmax())] for i, cls in enumerate(CLASSES[1:])}
        if got == largest:
            raise mistake("you took the largest contrast; a detector is *specific*: compare its contrast on this class with the other failure class",
                          f"got {got}, expected {want}")
        if got == raw:
            raise mistake("you took the largest raw mean; compare with balanced strings and with the other failure class", f"got {got}, expected {want}")
        raise AssertionError(f"detectors: got {got}, expected {want}")
    assert want == {"elevation": "MLP1", "negative_prefix": "L2H0"}, want
