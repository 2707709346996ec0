"""``{env:VAR}`` and ``{file:path}`` in config text, substituted before parsing, as OpenCode does.

Behaviour copied from OpenCode's config loader (``config.ts``, ``load``):

- ``{env:VAR}`` everywhere (comments included) becomes the variable's value, or ``""`` when it
  is unset or empty. The value is inserted as raw text, not JSON-escaped.
- ``{file:path}``: ``~/`` is the home directory, a relative path is relative to the config
  file's directory. The file's content is trimmed and JSON-escaped (without the quotes), so it
  can sit inside a JSON string. A reference is skipped when the first line that contains it
  starts (after spaces) with ``//``. Each occurrence found replaces the first remaining one.
- A missing file is an error naming the reference (the path is not secret, the content may be).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping

import msgspec

__all__ = ["SubstitutionError", "substitute"]

_ENV = re.compile(r"\{env:([^}]+)\}")
_FILE = re.compile(r"\{file:[^}]+\}")


class SubstitutionError(ValueError):
    """A ``{file:}`` reference that could not be read; names the reference and resolved path."""

    def __init__(self, message: str, *, reference: str, resolved: str) -> None:
        super().__init__(message)
        self.reference = reference
        self.resolved = resolved


def substitute(
    text: str,
    *,
    env: Mapping[str, str],
    read_file: Callable[[str], str],
    config_dir: str,
    home: str,
) -> str:
    """Return ``text`` with ``{env:}`` and ``{file:}`` references replaced.

    ``read_file(path)`` returns a file's text and raises ``OSError`` when it cannot; it is the
    only I/O, injected so this function stays pure.
    """
    text = _ENV.sub(lambda m: env.get(m.group(1)) or "", text)
    references = _FILE.findall(text)
    if not references:
        return text
    lines = text.split("\n")
    for reference in references:
        line = next((ln for ln in lines if reference in ln), None)
        if line is not None and line.strip().startswith("//"):
            continue
        path = reference[len("{file:") : -1]
        if path.startswith("~/"):
            path = posixpath.join(home, path[2:])
        resolved = path if posixpath.isabs(path) else posixpath.normpath(posixpath.join(config_dir, path))
        try:
            content = read_file(resolved)
        except FileNotFoundError:
            raise SubstitutionError(
                f'bad file reference "{reference}": {resolved} does not exist',
                reference=reference,
                resolved=resolved,
            ) from None
        except OSError as exc:
            raise SubstitutionError(
                f'bad file reference "{reference}": {resolved} cannot be read ({exc.strerror})',
                reference=reference,
                resolved=resolved,
            ) from None
        escaped = msgspec.json.encode(content.strip()).decode("utf-8")[1:-1]
        text = text.replace(reference, escaped, 1)
    return text
