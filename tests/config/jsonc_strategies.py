"""Hypothesis strategies for JSONC: JSON values, and renderings with comments, whitespace and
trailing commas at every legal place (shared by the JSONC and locator tests)."""

import msgspec
from hypothesis import strategies as st

_TRICKY = st.sampled_from(["//", "/*", "*/", '"', "\\", ",", "]", "}", "\n", "é", "\u2028", "{env:X}"])
_TEXT = st.lists(st.one_of(_TRICKY, st.text(max_size=5)), max_size=6).map("".join)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_TEXT, children, max_size=4),
    max_leaves=20,
)

_COMMENT_BODY = st.text(alphabet=st.characters(blacklist_characters="\n\r"), max_size=8)


@st.composite
def gap(draw):
    """Whitespace and comments, legal between any two tokens."""
    parts = []
    for kind in draw(st.lists(st.sampled_from(["space", "line", "block", "none"]), max_size=3)):
        if kind == "space":
            parts.append(draw(st.sampled_from([" ", "\n", "\t", "\r\n"])))
        elif kind == "line":
            parts.append("//" + draw(_COMMENT_BODY) + "\n")
        elif kind == "block":
            body = draw(st.text(max_size=8)).replace("*/", "* /")
            parts.append("/*" + body + "*/")
    return "".join(parts)


def render(draw, value) -> str:
    if isinstance(value, list):
        items = [draw(gap()) + render(draw, v) + draw(gap()) for v in value]
        trailing = "," + draw(gap()) if items and draw(st.booleans()) else ""
        return "[" + draw(gap()) + ",".join(items) + trailing + "]"
    if isinstance(value, dict):
        items = [
            draw(gap()) + msgspec.json.encode(k).decode() + draw(gap()) + ":" + draw(gap()) + render(draw, v)
            + draw(gap())
            for k, v in value.items()
        ]
        trailing = "," + draw(gap()) if items and draw(st.booleans()) else ""
        return "{" + draw(gap()) + ",".join(items) + trailing + "}"
    return msgspec.json.encode(value).decode()
