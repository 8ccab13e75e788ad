import copy

import pytest

from arena_cli.errors import ManifestError
from arena_cli.manifest import DEFAULT_TIMEOUT, load_manifest, parse_manifest

VALID = {
    "format_version": 1,
    "welcome_message": "hi",
    "final_message": "bye",
    "sections": [{"id": "s1", "title": "0.0 One", "reading": "exercises/s1/README.md"}],
    "exercises": [
        {"name": "alpha", "section": "s1", "difficulty": 1, "minutes": 5},
        {"name": "beta", "section": "s1", "difficulty": 5, "minutes": 60, "timeout": 120, "requires": ["zoo:induction"]},
    ],
}


def broken(**changes):
    data = copy.deepcopy(VALID)
    for path, value in changes.items():
        table, index, key = path.split("__")
        data[table][int(index)][key] = value
    return data


def test_valid_manifest_parses_in_order_with_defaults():
    manifest = parse_manifest(copy.deepcopy(VALID))
    assert manifest.names == ("alpha", "beta")
    assert manifest.get("alpha").timeout == DEFAULT_TIMEOUT
    assert manifest.get("beta").requires == ("zoo:induction",)
    assert str(manifest.get("beta").test_path) == "tests/s1/test_beta.py"


@pytest.mark.parametrize(
    "data, expected",
    [
        (broken(exercises__0__dificulty=2), 'exercise #1 ("alpha"): unknown key "dificulty"; did you mean "difficulty"?'),
        (broken(exercises__1__name="alpha"), 'exercise #2 ("alpha"): duplicate name, already used by exercise #1'),
        (broken(exercises__0__difficulty=7), '"difficulty" = 7 is out of range; use 1 to 5'),
        (broken(exercises__0__minutes="ten"), '"minutes" must be a int'),
        (broken(exercises__0__section="s2"), 'unknown section "s2"'),
        (broken(exercises__0__name="Alpha Beta"), "name must be lowercase"),
        (broken(exercises__1__requires="zoo"), '"requires" must be a list of strings'),
        (broken(sections__0__titel="x"), 'section #1 ("s1"): unknown key "titel"; did you mean "title"?'),
    ],
    ids=["unknown-key", "duplicate", "out-of-range", "wrong-type", "unknown-section", "bad-name", "bad-requires", "section-key"],
)
def test_bad_entries_name_the_entry_and_the_fix(data, expected):
    with pytest.raises(ManifestError) as error:
        parse_manifest(data)
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_key_and_wrong_version():
    data = copy.deepcopy(VALID)
    del data["exercises"][0]["minutes"]
    with pytest.raises(ManifestError, match='missing required key "minutes"'):
        parse_manifest(data)
    data = copy.deepcopy(VALID)
    data["format_version"] = 9
    with pytest.raises(ManifestError, match="format_version 9 is not supported"):
        parse_manifest(data)


def test_invalid_toml_and_missing_files(course):
    (course / "hints" / "basics" / "add.md").unlink()
    with pytest.raises(ManifestError, match=r'exercise "add": its hint file hints/basics/add.md does not exist'):
        load_manifest(course)
    (course / "exercises.toml").write_text("format_version = 1\n[[sections]\nid='x'\n")
    with pytest.raises(ManifestError, match="not valid TOML"):
        load_manifest(course)


def test_learner_file_may_be_missing(course):
    (course / "exercises" / "basics" / "add.py").unlink()
    assert load_manifest(course).get("add") is not None
