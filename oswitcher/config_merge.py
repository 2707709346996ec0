"""Merging OpenCode's config layers, in OpenCode's way.

OpenCode (``config.ts``) merges each layer over the previous with remeda's ``mergeDeep``:
objects merge key by key, anything else (arrays included) is replaced by the later layer.
Two arrays are exceptions: ``plugin`` and ``instructions`` are concatenated and de-duplicated
(exact entries, first position kept). At the very end plugins are de-duplicated *by name*,
the last occurrence winning (so the same plugin listed twice loads once, with the last options).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

__all__ = ["ConfigLayer", "deep_merge", "dedupe_plugins", "merge_layers", "plugin_name"]

_CONCATENATED = ("plugin", "instructions")


class ConfigLayer(msgspec.Struct, frozen=True, kw_only=True):
    """One config source after substitution and parsing.

    ``source`` is the file path (or ``OPENCODE_CONFIG_CONTENT``), ``text`` the substituted text
    that was parsed (kept to point errors at a line), ``data`` the decoded top-level object.
    """

    source: str
    text: str
    data: dict[str, Any]

    def __repr__(self) -> str:
        # The text and data hold API keys; a repr ends up in logs and tracebacks.
        return f"ConfigLayer(source={self.source!r}, keys={sorted(self.data)!r})"


def deep_merge(base: Any, over: Any) -> Any:
    """remeda ``mergeDeep``: plain objects merge recursively, anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return over


def _freeze(value: Any) -> Any:
    # A hashable stand-in for JSON values, to de-duplicate like JavaScript's Set would for
    # strings (objects and arrays are distinct there unless identical: serialised form is close).
    return msgspec.json.encode(value)


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: set[bytes] = set()
    out = []
    for item in items:
        key = _freeze(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _merge_config(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = deep_merge(dict(base), dict(over))
    for key in _CONCATENATED:
        if isinstance(base.get(key), list) and isinstance(over.get(key), list):
            merged[key] = _unique([*base[key], *over[key]])
    return merged


def plugin_name(spec: str) -> str:
    """The name OpenCode de-duplicates plugins by: a file's base name, or an npm name sans version."""
    if spec.startswith("file://") or spec.startswith((".", "/", "~")):
        base = posixpath.basename(spec.rstrip("/"))
        root, ext = posixpath.splitext(base)
        return root if ext else base
    if spec.startswith("@"):
        scope, _, rest = spec.partition("/")
        return f"{scope}/{rest.split('@', 1)[0]}"
    return spec.split("@", 1)[0]


def _spec_of(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, list) and entry and isinstance(entry[0], str):
        return entry[0]
    return None


def dedupe_plugins(plugins: Iterable[Any]) -> list[Any]:
    """Keep one entry per plugin name, the last one, at the position of that last one."""
    kept: list[Any] = []
    seen: set[str] = set()
    for entry in reversed(list(plugins)):
        spec = _spec_of(entry)
        name = plugin_name(spec) if spec is not None else None
        if name is not None and name in seen:
            continue
        if name is not None:
            seen.add(name)
        kept.append(entry)
    kept.reverse()
    return kept


def merge_layers(layers: Iterable[ConfigLayer]) -> dict[str, Any]:
    """The effective config: every layer merged in order (later wins), plugins de-duplicated."""
    result: dict[str, Any] = {}
    for layer in layers:
        result = _merge_config(result, layer.data)
    if isinstance(result.get("plugin"), list):
        result["plugin"] = dedupe_plugins(result["plugin"])
    return result
