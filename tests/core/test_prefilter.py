from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import oswitcher.classifier as classifier
from oswitcher.evidence import gather_evidence
from oswitcher.prefilter import literal_triggers, text_predicate

from .corpus_input import to_error_input

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "errors.jsonl"
PATTERNS = [
    getattr(classifier, name).__closure__[0].cell_contents.__closure__[0].cell_contents.pattern
    for name in dir(classifier)
    if name.startswith("_") and name.endswith("_TEXT")
]


def test_literal_triggers():
    assert literal_triggers(r"overloaded|over capacity|at capacity") == ("overloaded", "over capacity", "at capacity")
    assert literal_triggers(r"rate[ _-]?limit|usage limits?\b") == ("rate", "usage limit")
    assert literal_triggers(r"\brpm\b|exceeds? the") == ("rpm", "exceed")
    assert literal_triggers(r"(?:a|b)c") is None
    assert literal_triggers(r"x(?:y|z)|[ab]c") is None


def test_every_classifier_pattern_has_a_prefilter():
    assert len(PATTERNS) >= 10
    for pattern in PATTERNS:
        assert literal_triggers(pattern) is not None, pattern


def test_prefilter_agrees_with_the_regex_on_the_corpus():
    texts = [
        gather_evidence(to_error_input(json.loads(line)["input"])).text for line in CORPUS.read_text().splitlines()
    ]
    for pattern in PATTERNS:
        predicate = text_predicate(pattern)
        for text in texts:
            assert predicate(text) == (re.search(pattern, text) is not None), (pattern, text)


fragments = st.sampled_from(
    [
        "rate limit",
        "exceeded",
        "overloaded",
        " ",
        "model ",
        "not found",
        "quota",
        "api key",
        "revoked",
        "x",
        "429",
        "\n",
    ]
)


@given(st.lists(fragments, max_size=12).map("".join))
def test_prefilter_agrees_with_the_regex_on_generated_text(text):
    for pattern in PATTERNS:
        assert text_predicate(pattern)(text) == (re.search(pattern, text) is not None)
