import numpy as np
import pytest
import torch

from arena_cli.testing import assert_close, exercise_path_for


def message_of(actual, expected, **kwargs) -> str:
    with pytest.raises(AssertionError) as error:
        assert_close(actual, expected, **kwargs)
    return str(error.value)


def test_equal_within_tolerance_passes():
    assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
    assert_close(np.array([np.nan, np.inf]), np.array([np.nan, np.inf]))
    assert_close(3, 3.0)


def test_shape_mismatch_is_named():
    assert "shape mismatch: got (3, 4), expected (4, 3)" in message_of(torch.zeros(3, 4), torch.zeros(4, 3), name="x")


def test_dtype_mismatch_only_when_asked():
    assert_close(torch.zeros(2, dtype=torch.float64), torch.zeros(2))
    assert "dtype mismatch: got float64, expected float32" in message_of(
        torch.zeros(2, dtype=torch.float64), torch.zeros(2), check_dtype=True
    )


def test_value_mismatch_reports_index_values_differences_and_tolerance():
    expected = torch.zeros(2, 3)
    actual = expected.clone()
    actual[0, 2] = 0.5
    actual[1, 1] = 2.0
    text = message_of(actual, expected, atol=1e-3, rtol=1e-4, name="softmax")
    assert "softmax: 2 of 6 elements differ (tolerance atol=0.001, rtol=0.0001)" in text
    assert "first difference at index (0, 2): got 0.5, expected 0" in text
    assert "max abs diff 2 at index (1, 1)" in text


def test_nan_where_a_number_is_expected_fails():
    text = message_of(torch.tensor([float("nan"), 1.0]), torch.tensor([0.0, 1.0]))
    assert "first difference at index (0,): got nan, expected 0" in text


def test_integers_must_match_exactly_and_none_is_explained():
    assert "exact match required" in message_of(torch.tensor([1, 2]), torch.tensor([1, 3]))
    assert "did you forget a `return`" in message_of(None, torch.tensor([1]))


def test_exercise_path_follows_the_check_path(tmp_path, monkeypatch):
    monkeypatch.delenv("ARENA_EXERCISE_ROOT", raising=False)
    check = tmp_path / "tests" / "sec" / "test_thing.py"
    assert exercise_path_for(check) == tmp_path / "exercises" / "sec" / "thing.py"
    monkeypatch.setenv("ARENA_EXERCISE_ROOT", str(tmp_path / "solutions"))
    assert exercise_path_for(check) == tmp_path / "solutions" / "sec" / "thing.py"


def test_torch_on_one_thread_restores_threads_and_autograd_even_after_an_error():
    from arena_cli.testing import torch_on_one_thread

    original = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with pytest.raises(RuntimeError):
            with torch_on_one_thread(grad=False):
                assert torch.get_num_threads() == 1 and not torch.is_grad_enabled()
                raise RuntimeError("a failing check")
        assert torch.get_num_threads() == 2 and torch.is_grad_enabled()
        with torch_on_one_thread():
            assert torch.is_grad_enabled()
    finally:
        torch.set_num_threads(original)
