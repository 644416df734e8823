"""Every sentence the command line says of its own; the SDK's sentences (`_messages`) it reuses.

Refusals and API errors are the SDK's words, with the command line's verbs (`WORDING`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from .. import _messages
from ..config import API_KEY_VARIABLE, KEY_SOURCES
from ..redaction import clip

PROG: Final = "siliconflow-images"

WORDING: Final = _messages.Wording(
    generate=f"{PROG} generate",
    edit=f"{PROG} edit",
    list_models=f"{PROG} models",
)

PLACEHOLDER: Final = (
    "Offline: these are placeholder images drawn by the built-in emulator, not made by SiliconFlow. "
    "Nothing was sent to SiliconFlow and nothing was billed."
)


def bad_usage(prog: str, problem: str) -> str:
    return f"{prog}: {problem.rstrip('.')} ({prog} --help shows the options)."


def no_command() -> str:
    return f"Give a command: {PROG} generate, edit, models or batch ({PROG} --help shows them all)."


def _given(text: str) -> str:
    return clip(repr(text), 40)


def not_a_size(text: str) -> str:
    return f"takes WIDTHxHEIGHT in pixels, e.g. 1024x1024, not {_given(text)}"


def not_a_whole_number(text: str, low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        allowed = f"a whole number from {low} to {high}"
    elif low is not None:
        allowed = f"a whole number, {low} or more"
    else:
        allowed = "a whole number"
    return f"takes {allowed}, not {_given(text)}"


def not_a_number(text: str, *, positive: bool = False) -> str:
    return f"takes a {'number above 0' if positive else 'number'}, not {_given(text)}"


IMAGE_FIRST: Final = "`image2` and `image3` come with `image`, the image to edit: give it first."


NO_PROMPT: Final = f"Give a PROMPT: {PROG} generate 'a lighthouse at dusk'."
EDIT_ARGUMENTS: Final = (
    f"Give one to three images, then the prompt: {PROG} edit photo.png 'make the sky stormy'."
)
PROMPT_MISSING: Final = "`prompt` is missing"
NOT_AN_OBJECT: Final = 'a request is a JSON object, e.g. {"prompt": "a red fox"}'
_JSON_TYPES: Final = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


def shown_name(name: str) -> str:
    """A name from a file, escaped (no control character reaches the terminal) and clipped."""
    return clip(repr(name)[1:-1], 40)


def unknown_field(name: str) -> str:
    return f"unknown field `{shown_name(name)}`"


def field_repeated(name: str) -> str:
    return f"`{shown_name(name)}` is given more than once: give it once, with the value meant"


def field_and_alias(name: str) -> str:
    return f"`{name}` is given twice (by its name and an alias)"


def wrong_type(name: str, kind: type, value: object) -> str:
    shown = clip(json.dumps(value, default=str), 40)
    return f"`{shown_name(name)}` must be {_JSON_TYPES.get(kind, kind.__name__)}, not {shown}"


def too_many_images(n: int, most: int) -> str:
    return f"`n` must be 1 to {most}, not {n}"


def not_json(reason: str) -> str:
    return f"not JSON ({reason})"


def batch_unreadable(path: Path, reason: str) -> str:
    return f"Cannot read the batch file {path}: {reason}."


def batch_empty(path: Path) -> str:
    return f"{path} holds no request: write one JSON object per line."


def batch_file_problems(path: Path, problems: str, known: Sequence[str] | None) -> str:
    fields = f"\nThe fields (API name or short name): {', '.join(known)}." if known else ""
    return f"{path} has problems; nothing was sent:\n{problems}{fields}"


def batch_refused(problems: str) -> str:
    return f"The batch was refused before sending anything:\n{problems}\nNothing was billed."


def no_default_model(task: str) -> str:
    return f"no model is documented for {task} on this site: name one with -m ({WORDING.list_models})."


INTERRUPTED: Final = "Interrupted."


def bad_timeout(variable: str, raw: str) -> str:
    return f"{variable}={_given(raw)} is not a positive number of seconds."


def no_key() -> str:
    return f"No API key: set {API_KEY_VARIABLE} ({KEY_SOURCES}), or add --offline to try it with placeholder images."


def no_key_for_models(variable: str) -> str:
    return (
        f"No {variable}: showing the spec's model table only, not what your account offers. "
        f"Set {variable} (or add --offline) to see the account's live list."
    )


def output_dir_unusable(folder: Path, reason: str) -> str:
    return f"The output folder {folder} cannot be used ({reason}): give another with -o DIR."


def manifest_exists(manifest: Path, records: int) -> str:
    return (
        f"{manifest} already records {records} result{'s' if records != 1 else ''} of this batch. "
        "Add --resume to continue it without paying again for what is done, or give another --manifest "
        "to start over."
    )


def manifest_unwritable(manifest: Path, reason: str) -> str:
    return f"The manifest {manifest} cannot be written ({reason}): give another with --manifest PATH."


def interrupted(done: int, total: int, manifest: Path) -> str:
    return (
        f"Interrupted: {done} of {total} line{'s' if total != 1 else ''} done, recorded in {manifest}. "
        "Run the same command with --resume to continue where it stopped."
    )


def stopping(running: int) -> str:
    return (
        f"Stopping: finishing the {running} call{'s' if running != 1 else ''} under way so what is paid "
        "for is saved (Ctrl-C again to quit at once)."
    )


def calls_not_sent(unsent: int, calls: int) -> str:
    return f"{unsent} of {calls} calls were not sent."


def rate_limited_out(attempts: int) -> str:
    return (
        f"SiliconFlow kept rate limiting after {attempts} rounds of waiting: the account may have reached "
        "its images-per-day limit. Lines not done are left for --resume."
    )


def stopped_early(error: str) -> str:
    return f"Stopped the batch: every other line would fail the same way. {error}"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def batch_summary(
    done: int, total: int, before: int, images: int, failed: int, unsent: int, manifest: Path
) -> str:
    parts = [f"{done} of {total} line{'s' if total != 1 else ''} done"]
    if before:
        parts.append(f"{before} of them before this run")
    parts.append(f"{images} image{'s' if images != 1 else ''} saved now")
    if failed:
        parts.append(f"{failed} failed")
    if unsent:
        parts.append(f"{unsent} not attempted")
    again = " Run it again with --resume to retry what is not done." if failed or unsent else ""
    return f"Batch: {', '.join(parts)}. Manifest: {manifest}.{again}"


def pacing_summary(waited: float, rate_limited: int, interval: float) -> str:
    text = f"Paced: waited {_duration(waited)} in all for turns."
    if rate_limited:
        rate = 60 / interval if interval else 0
        pace = f"{rate:.3g} image{'s' if rate != 1 else ''} a minute" if rate else "unpaced"
        text += f" SiliconFlow answered 429 {rate_limited} time{'s' if rate_limited != 1 else ''}; the pace ended at {pace}."
    return text


def dry_run(
    lines: int, before: int, calls: int, images: int, ipm: float | None, seconds: float | None, manifest: Path
) -> str:
    done = f" ({before} already done)" if before else ""
    pace = (
        f" At {ipm:g} images a minute that takes at least {_duration(seconds)}."
        if ipm and seconds is not None
        else ""
    )
    return (
        f"{lines} line{'s' if lines != 1 else ''}{done}: {calls} call{'s' if calls != 1 else ''} to make, "
        f"{images} image{'s' if images != 1 else ''}.{pace} Manifest: {manifest}. Nothing was sent (--dry-run)."
    )
