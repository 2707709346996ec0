"""Validating the effective config: the ``switcher`` section, O-Switcher's plugin options, targets.

Errors::

    ConfigError (ValueError)   one problem, with its JSON path and, when known, file:line:col

Only the first problem is reported (msgspec stops at the first). Messages never contain a
config value: they quote the path and the expected type, since a value can be an API key.

Provider check, deliberately lenient: a target may name a provider from the ``provider``
section or any provider with an entry in ``auth.json`` (OpenCode's built-ins such as
``anthropic`` work with auth alone). Only a provider unknown to both is an error; a provider
configured through environment variables alone must be given a ``provider`` entry.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Sequence
from typing import Any

import msgspec

from oswitcher.config import SwitcherConfig
from oswitcher.config_merge import ConfigLayer, deep_merge, merge_layers
from oswitcher.discovery import Discovery, discover
from oswitcher.json_locate import PathSegment, locate_line_col, parse_path

__all__ = ["ConfigError", "ConfigSnapshot", "find_plugin_options", "is_oswitcher_plugin", "validate"]


class ConfigError(ValueError):
    """An invalid config: ``path`` (``$.switcher.retry``), ``message``, and where it sits."""

    def __init__(
        self,
        path: str,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(path, message)
        self.path = path
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    def where(self) -> str | None:
        """``file:line:col`` (or as much of it as is known), or ``None``."""
        if self.file is None:
            return None
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    def __str__(self) -> str:
        where = self.where()
        head = f"{self.path}: {self.message}"
        return f"{head} ({where})" if where else head

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for ``config check --json`` and the bridge's replies."""
        return {"path": self.path, "message": self.message, "file": self.file, "line": self.line, "column": self.column}


class ConfigSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A valid effective config. ``providers`` and ``layers`` hold keys: never log them whole
    (the repr leaves them out). ``layers`` feed profile accumulation with per-file sources."""

    switcher: SwitcherConfig
    providers: dict[str, Any]
    discovery: Discovery
    sources: tuple[str, ...]
    layers: tuple[ConfigLayer, ...] = ()

    def __repr__(self) -> str:
        return (
            f"ConfigSnapshot(switcher={self.switcher!r}, providers={sorted(self.providers)!r},"
            f" discovery={self.discovery!r}, sources={self.sources!r})"
        )


class _Root(msgspec.Struct, frozen=True):
    # Only ``switcher`` is declared so that error paths keep the ``$.switcher`` prefix.
    switcher: SwitcherConfig = SwitcherConfig()


_AT = re.compile(r"^(?P<what>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.DOTALL)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<key>[^`]*)`$")
_QUOTED_VALUE = re.compile(r"'[^']*'")


def is_oswitcher_plugin(spec: str) -> bool:
    """Whether a ``plugin`` spec is O-Switcher's shim: base name ``o-switcher.js`` or ``o-switcher`` in it."""
    base = posixpath.basename(spec.rstrip("/"))
    return base == "o-switcher.js" or "o-switcher" in spec


def find_plugin_options(plugins: Any) -> tuple[int, Any] | None:
    """Index and options of the last O-Switcher ``[spec, options]`` entry in a plugin list."""
    if not isinstance(plugins, list):
        return None
    found = None
    for index, entry in enumerate(plugins):
        if isinstance(entry, list) and len(entry) >= 2 and isinstance(entry[0], str):
            if is_oswitcher_plugin(entry[0]):
                found = (index, entry[1])
    return found


def _get(data: Any, path: Sequence[PathSegment]) -> tuple[bool, Any]:
    for segment in path:
        if isinstance(segment, int):
            if not isinstance(data, list) or segment >= len(data):
                return False, None
        elif not isinstance(data, dict) or segment not in data:
            return False, None
        data = data[segment]
    return True, data


def _format_path(path: Sequence[PathSegment]) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path)


def _place(layers: Sequence[ConfigLayer], path: Sequence[PathSegment], message: str) -> ConfigError:
    """A ConfigError for ``path`` in the merged config, located where its value came from.

    O-Switcher's plugin options win over every ``switcher`` section, so a ``$.switcher…`` value
    found in the effective plugin entry (the last layer's that has one) is reported there.
    """
    if path[:1] == ["switcher"]:
        for layer in reversed(layers):
            found = find_plugin_options(layer.data.get("plugin"))
            if found is None:
                continue
            if isinstance(found[1], dict) and _get(found[1], path[1:])[0]:
                return _error_in(layer, ["plugin", found[0], 1, *path[1:]], message)
            break
    for layer in reversed(layers):
        if _get(layer.data, path)[0]:
            return _error_in(layer, list(path), message)
    return ConfigError(_format_path(path), message)


def _error_in(layer: ConfigLayer, path: list[PathSegment], message: str) -> ConfigError:
    where = locate_line_col(layer.text, path)
    line, column = where if where else (None, None)
    return ConfigError(_format_path(path), message, file=layer.source, line=line, column=column)


def _translate(exc: msgspec.ValidationError) -> tuple[list[PathSegment], str]:
    match = _AT.match(str(exc))
    what, raw_path = match.group("what"), match.group("path") or "$"
    path = parse_path(raw_path)
    if unknown := _UNKNOWN.match(what):
        return [*path, unknown.group("key")], "unknown key"
    if missing := _MISSING.match(what):
        return path, f"missing required key `{missing.group('key')}`"
    if what.startswith("Invalid enum value"):
        return path, "not one of the allowed values"
    # msgspec's own words ("Expected `int` >= 1"), lower-cased, any quoted value dropped.
    message = _QUOTED_VALUE.sub("…", what).replace("`", "")
    return path, message[:1].lower() + message[1:]


def _check_semantics(layers: Sequence[ConfigLayer], config: SwitcherConfig, known: Collection[str]) -> None:
    seen: set[str] = set()
    for index, spec in enumerate(config.targets):
        if spec.target_id in seen:
            raise _place(layers, ["switcher", "targets", index, "target_id"], f"duplicate target id {spec.target_id!r}")
        seen.add(spec.target_id)
        if spec.provider_id not in known:
            raise _place(
                layers,
                ["switcher", "targets", index, "provider_id"],
                f"unknown provider {spec.provider_id!r} (not in `provider` nor in auth.json)",
            )


def validate(layers: Sequence[ConfigLayer], *, auth_providers: Collection[str] = ()) -> ConfigSnapshot:
    """Merge ``layers`` and validate them; raises ``ConfigError`` naming the path and the file."""
    merged = merge_layers(layers)
    providers = merged.get("provider", {})
    if not isinstance(providers, dict):
        raise _place(layers, ["provider"], "expected object")
    for pid, entry in providers.items():
        if not isinstance(entry, dict):
            raise _place(layers, ["provider", pid], "expected object")
    section = merged.get("switcher", {})
    found = find_plugin_options(merged.get("plugin"))
    if found is not None:
        index, options = found
        if not isinstance(options, dict):
            for layer in reversed(layers):
                hit = find_plugin_options(layer.data.get("plugin"))
                if hit is not None:
                    raise _error_in(layer, ["plugin", hit[0], 1], "expected object (O-Switcher's options)")
            raise ConfigError(f"$.plugin[{index}][1]", "expected object (O-Switcher's options)")
        if isinstance(section, dict):
            section = deep_merge(section, options)
    try:
        root = msgspec.convert({"switcher": section}, _Root)
    except msgspec.ValidationError as exc:
        path, message = _translate(exc)
        raise _place(layers, path, message) from None
    _check_semantics(layers, root.switcher, set(providers) | set(auth_providers))
    return ConfigSnapshot(
        switcher=root.switcher,
        providers=providers,
        discovery=discover(providers, root.switcher.targets),
        sources=tuple(layer.source for layer in layers),
        layers=tuple(layers),
    )
