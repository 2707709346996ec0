"""The value locator: where in the JSONC text a path's value starts."""

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from jsonc_strategies import gap, json_values, render
from oswitcher.json_locate import locate, locate_line_col, parse_path
from oswitcher.jsonc import strip_jsonc


def _paths(value, prefix=()):
    yield prefix, value
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))


@settings(max_examples=150, deadline=None)
@given(value=json_values, data=st.data())
def test_every_path_locates_the_start_of_its_value(value, data):
    text = data.draw(gap()) + render(data.draw, value) + data.draw(gap())
    stripped = strip_jsonc(text)
    for path, item in _paths(value):
        offset = locate(text, list(path))
        if isinstance(item, list):
            assert stripped[offset] == "["
        elif isinstance(item, dict):
            assert stripped[offset] == "{"
        else:
            assert stripped.startswith(msgspec.json.encode(item).decode(), offset)


def test_parse_path():
    assert parse_path("$.switcher.targets[2].target_id") == ["switcher", "targets", 2, "target_id"]
    assert parse_path("$") == []


def test_last_duplicate_key_wins_like_decoding():
    assert locate_line_col('{"a": 1,\n "a": 2}', ["a"]) == (2, 7)


def test_escaped_keys_compare_unescaped():
    assert locate_line_col('{"r\\u0065try": 5}', ["retry"]) == (1, 16)


def test_a_missing_path_gives_the_deepest_existing_value():
    text = '{\n  "switcher": {"retry": 1}\n}'
    assert locate_line_col(text, ["switcher", "nope", "deeper"]) == (2, 15)
    assert locate_line_col(text, ["switcher", 0]) == (2, 15)
    assert locate("", ["a"]) is None
