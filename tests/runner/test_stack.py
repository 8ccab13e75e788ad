"""The TransformerLens / SAELens version check: one line that says what is installed, what is
needed and how to fix it, for doctor and the start of watch."""

from arena_cli import doctor, stack


def test_the_pinned_versions_pass():
    assert stack.problems({"transformer_lens": "3.9.0", "sae-lens": "6.54.12"}) == []


def test_transformer_lens_4_is_named_with_the_fix():
    found = stack.problems({"transformer_lens": "4.3.0", "sae-lens": "6.54.12"})
    assert [p.package for p in found] == ["transformer_lens"]
    line = str(found[0])
    assert "transformer_lens 4.3.0 is installed" in line and ">=3.9,<4" in line
    assert 'pip install "transformer_lens>=3.9,<4"' in line and "\n" not in line


def test_too_old_and_missing_packages_are_problems():
    found = stack.problems({"transformer_lens": "3.8.9", "sae-lens": None})
    assert [(p.package, p.installed) for p in found] == [("transformer_lens", "3.8.9"), ("sae-lens", None)]
    assert "sae-lens is not installed" in str(found[1])


def test_pre_release_suffixes_end_the_version_number():
    assert stack.version_tuple("3.9.0rc1") == (3, 9, 0)
    assert stack.version_tuple("6.54.12") == (6, 54, 12)
    assert stack.problems({"transformer_lens": "4.0.0rc1", "sae-lens": "6.54.0"})[0].package == "transformer_lens"


def test_doctor_reports_both_libraries(monkeypatch):
    versions = {"transformer_lens": "4.3.0", "sae-lens": "6.54.12"}
    monkeypatch.setattr(stack, "installed_version", versions.get)
    checks = {c.name: c for c in doctor._stack_checks()}
    assert checks["sae-lens"].ok and checks["sae-lens"].detail == "6.54.12"
    assert not checks["transformer_lens"].ok and "4.3.0 is installed" in checks["transformer_lens"].detail
