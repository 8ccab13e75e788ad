import pytest

from arena_cli.stubs import MarkerError, make_stub

SOLUTION = '''def f(x):
    """Doc."""
    y = x
    # BEGIN SOLUTION: double it (1 line)
    return 2 * y
    # END SOLUTION


def g():
    if True:
        # BEGIN SOLUTION
        return 1
        # END SOLUTION
'''


def test_each_block_becomes_one_raise_at_its_indentation():
    stub = make_stub(SOLUTION)
    assert stub.blocks == 2
    assert '    raise NotImplementedError(\'double it (1 line)\')\n' in stub.text
    assert "        raise NotImplementedError('write this part')\n" in stub.text
    assert "2 * y" not in stub.text and "return 1" not in stub.text
    assert '"""Doc."""' in stub.text and "y = x" in stub.text


def test_stub_is_valid_python_and_raises():
    namespace: dict = {}
    exec(make_stub(SOLUTION).text, namespace)
    with pytest.raises(NotImplementedError, match="double it"):
        namespace["f"](3)


def test_instruction_quotes_are_escaped():
    text = "def f():\n    # BEGIN SOLUTION: use 'a' and \"b\"\n    pass\n    # END SOLUTION\n"
    namespace: dict = {}
    exec(make_stub(text).text, namespace)
    with pytest.raises(NotImplementedError) as error:
        namespace["f"]()
    assert str(error.value) == "use 'a' and \"b\""


@pytest.mark.parametrize(
    "text, problem",
    [
        ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n# END SOLUTION\n", "without a BEGIN"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "inside the block opened at line 1"),
    ],
    ids=["unclosed", "stray-end", "nested"],
)
def test_unbalanced_markers_name_the_line(text, problem):
    with pytest.raises(MarkerError, match=problem) as error:
        make_stub(text, source="solutions/s/x.py")
    assert "solutions/s/x.py:" in str(error.value)
