"""What the command prints: results on stdout, progress and notes on stderr, or one JSON document.

Progress bars show only when both stdout and stderr are a terminal: a script reading stdout, or
a log file collecting stderr, gets clean lines and no control codes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from .._clock import Clock
from .image_request import Call


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


_CONTROLS: Final = {
    code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0)) if code not in (0x09, 0x0A)
}


def printable(text: str) -> str:
    """`text` with control characters written out (`\\x1b`): a sentence may quote a batch file, a
    path or a server's answer, and an escape sequence in one must not reach the terminal as one."""
    return text.translate(_CONTROLS)


class Output:
    """Where each kind of text goes, decided once per run."""

    def __init__(self, *, json_mode: bool, clock: Clock) -> None:
        self.stdout: TextIO = sys.stdout
        self.stderr: TextIO = sys.stderr
        self.json_mode = json_mode
        self.interactive = is_terminal(self.stdout) and is_terminal(self.stderr)
        self.console = Console(file=self.stderr, highlight=False)
        self._clock = clock
        self._live: Progress | None = None

    def result(self, text: str) -> None:
        """A line of the result (a saved path); not printed in --json mode, which has its document."""
        if self.json_mode:
            return
        if self._live is not None:
            # Both streams are the terminal here; printing through the live display keeps the bars whole.
            self._live.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(text, file=self.stdout, flush=True)

    def note(self, text: str) -> None:
        """A sentence for the person watching: stderr, always, with no control character but newlines."""
        text = printable(text)
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(text, file=self.stderr, flush=True)

    def document(self, doc: dict[str, Any]) -> None:
        """The one JSON document of a --json run."""
        print(json.dumps(doc, ensure_ascii=False, indent=2, default=str), file=self.stdout, flush=True)

    @contextmanager
    def bars(self) -> Iterator[Bars]:
        if not self.interactive:
            yield Bars(None)
            return
        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            get_time=self._clock.monotonic,
        )
        with progress:
            self._live = progress
            try:
                yield Bars(progress)
            finally:
                self._live = None


class Bars:
    """Progress of calls (and of a whole batch); every method does nothing when bars are off."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._overall: TaskID | None = None
        self._bytes: dict[TaskID, int] = {}

    def overall(self, description: str, total: int, done: int = 0) -> None:
        if self._progress is not None:
            self._overall = self._progress.add_task(
                description, total=total, completed=done, status=f"{done}/{total}"
            )

    def advance(self) -> None:
        if self._progress is not None and self._overall is not None:
            self._progress.advance(self._overall)
            task = self._progress.tasks[self._overall]
            self._progress.update(self._overall, status=f"{task.completed:g}/{task.total:g}")

    def start(self, call: Call) -> TaskID | None:
        if self._progress is None:
            return None
        name = f"line {call.line}" if call.line else "request"
        part = f" ({call.index + 1}/{call.of})" if call.of > 1 else ""
        images = f", {call.count} images" if call.count > 1 else ""
        return self._progress.add_task(f"{name}{part}{images}", total=None, status="starting")

    def pacing(self, task: TaskID | None, seconds: float) -> None:
        self._status(task, f"waiting {seconds:.0f} s for the pace")

    def sending(self, task: TaskID | None) -> None:
        self._status(task, "waiting for SiliconFlow")

    def downloaded(self, task: TaskID | None, size: int) -> None:
        if task is not None:
            self._bytes[task] = self._bytes.get(task, 0) + size
            self._status(task, f"downloading {self._bytes[task] / 1e6:.1f} MB")

    def finish(self, task: TaskID | None) -> None:
        if self._progress is not None and task is not None:
            self._progress.remove_task(task)
            self._bytes.pop(task, None)

    def _status(self, task: TaskID | None, status: str) -> None:
        if self._progress is not None and task is not None:
            self._progress.update(task, status=status)
