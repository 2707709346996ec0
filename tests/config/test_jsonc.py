"""JSONC: comments and trailing commas stripped in place, strings untouched, errors at line:col."""

import math

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jsonc_strategies import gap, json_values, render

from oswitcher.jsonc import JsoncError, line_col, loads, strip_jsonc

def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=250, deadline=None)
@given(value=json_values, data=st.data())
def test_round_trip_with_comments_and_trailing_commas(value, data):
    text = data.draw(gap()) + render(data.draw, value) + data.draw(gap())
    stripped = strip_jsonc(text)
    assert len(stripped) == len(text)
    assert stripped.count("\n") == text.count("\n")
    assert _same(loads(text), value)


@given(value=json_values)
def test_plain_json_is_unchanged_by_stripping(value):
    text = msgspec.json.encode(value).decode()
    assert strip_jsonc(text) == text


def test_comment_markers_and_escaped_quotes_inside_strings_survive():
    text = r'{"url": "http://x//y/*z*/", "q": "a\"//b", /* c */ "n": [1, 2,], // tail' + '\n}'
    assert loads(text) == {"url": "http://x//y/*z*/", "q": 'a"//b', "n": [1, 2]}


def test_error_points_to_original_line_and_column_after_comments():
    text = '{\n  /* a\n  comment */\n  "a": 1\n  "b": 2\n}'
    with pytest.raises(JsoncError) as info:
        loads(text)
    assert (info.value.line, info.value.column) == (5, 3)


def test_error_message_never_contains_the_text():
    text = '{"apiKey": "sk-test-secret" oops}'
    with pytest.raises(JsoncError) as info:
        loads(text)
    assert "sk-test" not in str(info.value)


def test_truncated_input_points_to_the_end():
    with pytest.raises(JsoncError) as info:
        loads('{\n "a": [1,\n')
    assert info.value.line == 2


def test_unterminated_block_comment_is_an_error():
    with pytest.raises(JsoncError):
        loads('{"a": 1} /* never closed')


def test_line_col_counts_from_one():
    assert line_col("ab\ncd", 0) == (1, 1)
    assert line_col("ab\ncd", 4) == (2, 2)
