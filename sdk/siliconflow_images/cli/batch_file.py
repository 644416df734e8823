"""Reading a batch file: JSON lines, their field names and JSON types, before any model's rules.

The file is the user's, but may come from anywhere (a script, a download, a colleague): what it
holds is shown escaped and clipped, so a control character cannot reach the terminal and one
huge key cannot flood it. The model's rules (ranges, which fields a model takes) are the SDK's,
applied afterwards to each line's request; here are only what the SDK cannot know: the short
names, the names that are no field at all, a key given twice, and the command line's own `n`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args, get_origin

from . import messages
from .exits import UsageError
from .image_request import FIELDS, MAX_IMAGES
from .parser import ALIASES

SHOWN: Final = 20
"""Problems listed at most when a file is refused; the rest are counted."""


@dataclass(slots=True)
class Normalized:
    """One line's fields under their API names, and what is wrong with them."""

    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unknown: bool = False
    """Whether a name is no field at all (the known names are then listed, once for the file)."""


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    # json.loads keeps the last of a repeated key silently; the user meant one of them.
    made = _Object(pairs)
    if len(made) < len(pairs):
        seen: set[str] = set()
        repeated: dict[str, None] = {}
        for key, _ in pairs:
            if key in seen:
                repeated[key] = None
            seen.add(key)
        made.repeated = tuple(repeated)
    return made


def _json_type(kind: Any) -> type:
    """The Python type a JSON value must have for a field of this type (a fixed list: its members')."""
    if get_origin(kind) is Literal:
        return type(get_args(kind)[0])
    return kind if isinstance(kind, type) else object


def _fits(kind: type, value: object) -> bool:
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


def normalize(raw: dict[str, Any]) -> Normalized:
    """`raw` under the API's field names, and every problem with it. A null value counts as not given."""
    line = Normalized()
    for name in getattr(raw, "repeated", ()):
        line.problems.append(messages.field_repeated(name))
    for given, value in raw.items():
        name = ALIASES.get(given, given)
        if name not in FIELDS:
            line.unknown = True
            line.problems.append(messages.unknown_field(given))
        elif name in line.fields:
            line.problems.append(messages.field_and_alias(name))
        elif value is not None and not _fits(_json_type(FIELDS[name]), value):
            line.problems.append(messages.wrong_type(given, _json_type(FIELDS[name]), value))
        elif value is not None:
            line.fields[name] = value
    if "prompt" not in line.fields:
        line.problems.append(messages.PROMPT_MISSING)
    n = line.fields.get("n", 1)
    if not 1 <= n <= MAX_IMAGES:
        line.problems.append(messages.too_many_images(n, MAX_IMAGES))
    return line


def listed(problems: list[str]) -> str:
    more = f"\n... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return "\n".join(problems[:SHOWN]) + more


def read_lines(path: Path) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """(line number, the object as written, its fields by API name); UsageError naming every bad line.

    Blank lines and lines starting with # are skipped; a line that is a JSON string is a prompt.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            messages.batch_unreadable(path, getattr(exc, "strerror", None) or str(exc))
        ) from None
    lines, problems, unknown = [], [], False
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            given = json.loads(stripped, object_pairs_hook=_object)
        except ValueError as exc:
            problems.append(f"line {number}: {messages.not_json(getattr(exc, 'msg', str(exc)))}")
            continue
        given = {"prompt": given} if isinstance(given, str) else given
        if not isinstance(given, dict):
            problems.append(f"line {number}: {messages.NOT_AN_OBJECT}")
            continue
        line = normalize(given)
        unknown = unknown or line.unknown
        problems += [f"line {number}: {problem}" for problem in line.problems]
        lines.append((number, given, line.fields))
    if problems:
        known = [*FIELDS, *ALIASES] if unknown else None
        raise UsageError(messages.batch_file_problems(path, listed(problems), known))
    if not lines:
        raise UsageError(messages.batch_empty(path))
    return lines
