"""`batch FILE`: every line a request, all checked before anything is paid for, paced, recorded, resumable.

The whole file is read and checked first (JSON, field names and types, each model's rules, input
images), so a mistake on line 57 costs nothing rather than 56 lines' images. Then the calls run
through the same runner as `generate`, and each call's result is appended to the manifest as it
ends. The first Ctrl-C lets the calls under way finish and be recorded; a second quits at once.
"""

from __future__ import annotations

import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from ..errors import RequestRefusedError
from . import exits, manifest, messages
from .batch_file import listed, read_lines
from .commands import placeholder
from .exits import UsageError
from .image_request import Call, ImageRequest, build
from .output import Bars
from .pacing import Pacer
from .runner import Outcome, Runner
from .session import Context


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    input: dict[str, Any]
    request: ImageRequest


def plan(ctx: Context, path: Path) -> list[Line]:
    """Every line's request, checked by its model's rules; RequestRefusedError naming every refusal."""
    lines, problems = [], []
    for number, given, fields in read_lines(path):
        try:
            request = build(
                fields, site=ctx.settings.site, base_dir=path.parent.absolute(), model=ctx.args.model
            )
        except RequestRefusedError as exc:
            problems += [f"line {number}: {problem}" for problem in exc.problems]
            continue
        lines.append(Line(number, given, request))
    if problems:
        raise RequestRefusedError(messages.batch_refused(listed(problems)), model="", problems=problems)
    return lines


@dataclass
class BatchRun:
    """One run over a batch file's lines; its counts survive an interruption."""

    ctx: Context
    lines: list[Line]
    calls: list[Call]
    folder: Path
    manifest_path: Path
    done_before: int
    pending: dict[int, int] = field(default_factory=dict)
    failures: dict[int, Outcome] = field(default_factory=dict)
    saved: list[Path] = field(default_factory=list)
    finished: int = 0
    interrupted: bool = False
    pacer: Pacer | None = None
    stopped: str | None = None

    def __post_init__(self) -> None:
        for call in self.calls:
            self.pending[call.line] = self.pending.get(call.line, 0) + 1

    async def run(self) -> None:
        self.pacer = Pacer(self.ctx.clock, self.ctx.args.ipm)
        inputs = {line.number: line.input for line in self.lines}
        async with self.ctx.client(self.pacer) as client:
            with manifest.appending(self.manifest_path) as writer, self.ctx.out.bars() as bars:
                bars.overall("batch", total=len(self.lines), done=self.done_before)
                runner = Runner(client, self.folder, bars, concurrency=self.ctx.args.concurrency)

                def done(outcome: Outcome) -> None:
                    writer.append(self._record(outcome, inputs[outcome.call.line]))
                    self._count(outcome, bars)

                async with anyio.create_task_group() as group:
                    if threading.current_thread() is threading.main_thread() and sys.platform != "win32":
                        group.start_soon(self._on_ctrl_c, runner, group.cancel_scope)
                    await runner.run(self.calls, done)
                    group.cancel_scope.cancel()
                self.stopped = runner.stopped

    async def _on_ctrl_c(self, runner: Runner, scope: anyio.CancelScope) -> None:
        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            async for _ in signals:
                if self.interrupted:
                    scope.cancel()
                    return
                self.interrupted = True
                runner.stop("interrupted")
                self.ctx.out.note(messages.stopping(runner.running))

    def _record(self, outcome: Outcome, line_input: dict[str, Any]) -> dict[str, Any]:
        error = outcome.error
        return manifest.record(
            outcome.call,
            line_input,
            paths=outcome.paths,
            seed=outcome.seed,
            trace_id=outcome.trace_id,
            error=str(error) if error else None,
            error_type=type(error).__name__ if error else None,
            maybe_billed=error.maybe_billed if error else False,
            exit_code=exits.code_for(error) if error else exits.OK,
            placeholder=self.ctx.settings.offline,
            at=self.ctx.now(),
        )

    def _count(self, outcome: Outcome, bars: Bars) -> None:
        line = outcome.call.line
        self.saved += outcome.paths
        for path in outcome.paths:
            self.ctx.out.result(str(path))
        if outcome.error is not None:
            self.failures.setdefault(line, outcome)
            self.ctx.out.note(f"line {line}: {outcome.error}")
        self.pending[line] -= 1
        if not self.pending[line]:
            self.finished += line not in self.failures
            bars.advance()

    def exit_code(self) -> int:
        if self.interrupted:
            return exits.INTERRUPTED
        codes = [exits.code_for(o.error) for o in self.failures.values() if o.error is not None]
        return exits.combined(self.done_before + self.finished, codes + [exits.API] * len(self.unsent()))

    def unsent(self) -> list[int]:
        """Lines with calls never made (the run stopped first) and no failure of their own."""
        return sorted(line for line, left in self.pending.items() if left and line not in self.failures)

    def report(self) -> int:
        code = self.exit_code()
        out, total = self.ctx.out, len(self.lines)
        done = self.done_before + self.finished
        unsent = self.unsent()
        pacer = self.pacer
        if self.interrupted:
            out.note(messages.interrupted(done, total, self.manifest_path))
        elif self.stopped:
            out.note(messages.stopped_early(self.stopped))
        out.note(
            messages.batch_summary(
                done,
                total,
                self.done_before,
                len(self.saved),
                len(self.failures),
                len(unsent),
                self.manifest_path,
            )
        )
        if pacer is not None and (pacer.waited or pacer.rate_limited):
            out.note(messages.pacing_summary(pacer.waited, pacer.rate_limited, pacer.interval))
        if self.ctx.settings.offline:
            out.note(messages.PLACEHOLDER)
        if out.json_mode:
            out.document(
                {
                    "command": "batch",
                    "file": str(Path(self.ctx.args.file).absolute()),
                    "manifest": str(self.manifest_path),
                    "output_dir": str(self.folder),
                    "lines": total,
                    "done": done,
                    "done_before": self.done_before,
                    "images": [str(path) for path in self.saved],
                    "failed": [self._failure(line, o) for line, o in sorted(self.failures.items())],
                    "not_attempted": unsent,
                    "paced_seconds": round(pacer.waited, 3) if pacer else 0.0,
                    "rate_limited": pacer.rate_limited if pacer else 0,
                    "stopped": self.stopped,
                    "interrupted": self.interrupted,
                    **placeholder(self.ctx),
                    "exit_code": code,
                }
            )
        return code

    def _failure(self, line: int, outcome: Outcome) -> dict[str, Any]:
        assert outcome.error is not None
        return {
            "line": line,
            "type": type(outcome.error).__name__,
            "message": str(outcome.error),
            "exit_code": exits.code_for(outcome.error),
        }


def batch(ctx: Context) -> int:
    path = Path(ctx.args.file)
    lines = plan(ctx, path)
    folder = ctx.output_dir()
    manifest_path = (
        Path(ctx.args.manifest).absolute() if ctx.args.manifest else folder / f"{path.stem}.manifest.jsonl"
    )
    records = manifest.read(manifest_path)
    if records and not ctx.args.resume:
        raise UsageError(messages.manifest_exists(manifest_path, len(records)))
    made = manifest.Done(records)
    calls, done_before = [], 0
    for line in lines:
        left = [call for call in line.request.calls(line.number) if not made.take(call)]
        calls += left
        done_before += not left
    if ctx.args.dry_run:
        return dry_run(ctx, lines, calls, done_before, manifest_path)
    try:
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        manifest_path.open("a").close()
    except OSError as exc:
        raise UsageError(messages.manifest_unwritable(manifest_path, exc.strerror or str(exc))) from None
    run = BatchRun(ctx, lines, calls, folder, manifest_path, done_before)
    try:
        anyio.run(run.run)
    except KeyboardInterrupt:
        run.interrupted = True
    return run.report()


def dry_run(ctx: Context, lines: list[Line], calls: list[Call], done_before: int, manifest_path: Path) -> int:
    images = sum(call.count for call in calls)
    ipm = ctx.args.ipm
    # The first call goes at once; every image before the last one's waits its turn.
    seconds = sum(call.count for call in calls[:-1]) * 60 / ipm if ipm else None
    if ctx.out.json_mode:
        ctx.out.document(
            {
                "command": "batch",
                "dry_run": True,
                "lines": len(lines),
                "done_before": done_before,
                "calls": len(calls),
                "images": images,
                "minimum_seconds": seconds,
                "manifest": str(manifest_path),
                "exit_code": exits.OK,
            }
        )
    else:
        ctx.out.note(
            messages.dry_run(len(lines), done_before, len(calls), images, ipm, seconds, manifest_path)
        )
    return exits.OK
