"""`generate`, `edit` and `models`: one request (in as many calls as it takes), or the model list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from siliconflow_models import MODELS
from siliconflow_models.capabilities import IMAGE_FIELDS

from ..catalog import default_model
from ..config import API_KEY_VARIABLE
from ..types import Model
from . import exits, messages
from .exits import UsageError
from .image_request import ImageRequest, build, per_call
from .output import is_terminal
from .pacing import Pacer
from .parser import request_fields
from .runner import Outcome, Runner
from .session import Context


def read_prompt(ctx: Context, given: str | None) -> str:
    """PROMPT as given, or stdin's when it is `-` (or missing, with stdin piped in)."""
    if given is not None and given != "-":
        return given
    if given is None and ctx.stdin.isatty():
        # Waiting on a terminal's stdin looks like a hang: say what is missing instead.
        raise UsageError(messages.NO_PROMPT)
    return ctx.stdin.read().strip()


async def generate(ctx: Context) -> int:
    fields = {**request_fields(ctx.args), "prompt": read_prompt(ctx, ctx.args.prompt)}
    return await make(ctx, build(fields, site=ctx.settings.site, base_dir=Path.cwd()))


async def edit(ctx: Context) -> int:
    *images, prompt = ctx.args.inputs
    if not 1 <= len(images) <= 3:
        raise UsageError(messages.EDIT_ARGUMENTS)
    fields = {
        **request_fields(ctx.args),
        **dict(zip(IMAGE_FIELDS, images, strict=False)),
        "prompt": read_prompt(ctx, prompt),
    }
    return await make(ctx, build(fields, site=ctx.settings.site, base_dir=Path.cwd()))


async def make(ctx: Context, request: ImageRequest) -> int:
    """Make every call of `request` at once (bounded and paced), then report what was saved."""
    folder = ctx.output_dir()
    calls = request.calls()
    outcomes: list[Outcome] = []
    async with ctx.client(Pacer(ctx.clock, ctx.args.ipm)) as client:
        with ctx.out.bars() as bars:
            runner = Runner(client, folder, bars, concurrency=ctx.args.concurrency)
            await runner.run(calls, outcomes.append)
    outcomes.sort(key=lambda outcome: outcome.call.index)
    return report(ctx, request, outcomes, not_attempted=len(calls) - len(outcomes))


def report(ctx: Context, request: ImageRequest, outcomes: list[Outcome], *, not_attempted: int) -> int:
    failed = [outcome for outcome in outcomes if outcome.error is not None]
    codes = [exits.code_for(outcome.error) for outcome in failed if outcome.error is not None]
    code = exits.combined(len(outcomes) - len(failed), codes + [exits.API] * not_attempted)
    images = [
        {
            "path": str(path),
            "seed": outcome.seed,
            "trace_id": outcome.trace_id,
            "call": outcome.call.index + 1,
        }
        for outcome in outcomes
        for path in outcome.paths
    ]
    errors = [_error(ctx, outcome) for outcome in failed]
    for image in images:
        ctx.out.result(str(image["path"]))
    for message in dict.fromkeys(error["message"] for error in errors):
        ctx.out.note(message)
    if not_attempted:
        ctx.out.note(messages.calls_not_sent(not_attempted, len(outcomes) + not_attempted))
    if ctx.settings.offline:
        ctx.out.note(messages.PLACEHOLDER)
    if ctx.out.json_mode:
        ctx.out.document(
            {
                "command": ctx.args.command,
                "model": request.model,
                "prompt": request.prompt,
                "images": images,
                "errors": errors,
                "not_attempted": not_attempted,
                **placeholder(ctx),
                "exit_code": code,
            }
        )
    return code


def _error(ctx: Context, outcome: Outcome) -> dict[str, Any]:
    assert outcome.error is not None
    return {
        "call": outcome.call.index + 1,
        "type": type(outcome.error).__name__,
        "message": str(outcome.error),
        "maybe_billed": outcome.error.maybe_billed,
        "exit_code": exits.code_for(outcome.error),
    }


def placeholder(ctx: Context) -> dict[str, Any]:
    """What every JSON document says of where the images came from."""
    offline = ctx.settings.offline
    return {"offline": offline, "placeholder": offline, "note": messages.PLACEHOLDER if offline else None}


async def models(ctx: Context) -> int:
    live: list[Model] | None = None
    if ctx.settings.api_key is not None:
        async with ctx.client(Pacer(ctx.clock)) as client:
            live = await client.models.list()
    elif ctx.settings.key_unusable:
        raise UsageError(ctx.settings.missing_key or "")
    else:
        ctx.out.note(messages.no_key_for_models(API_KEY_VARIABLE))
    rows = model_rows(ctx, live)
    if ctx.out.json_mode:
        ctx.out.document(
            {
                "command": "models",
                "live": live is not None,
                "site": ctx.settings.site.name if ctx.settings.site else None,
                "models": rows,
                **placeholder(ctx),
                "exit_code": exits.OK,
            }
        )
    else:
        _table(ctx, rows, live is not None)
    return exits.OK


def model_rows(ctx: Context, live: list[Model] | None) -> list[dict[str, Any]]:
    """The spec's table in its order, then models only the account offers, each with what is known."""
    site = ctx.settings.site
    offered = {model.id for model in live} if live is not None else None
    defaults = {default_model(task, site) for task in ("text-to-image", "edit")}
    rows = []
    for name in [*MODELS, *sorted((offered or set()) - set(MODELS))]:
        caps = MODELS.get(name)
        rows.append(
            {
                "id": name,
                "task": caps.task if caps else None,
                "sites": list(caps.sites) if caps else [],
                "default": name in defaults,
                "in_table": caps is not None,
                "offered": None if offered is None else name in offered,
                "per_call": per_call(name),
                "fields": list(caps.fields) if caps else [],
                "sizes": [s.size for s in caps.recommended_image_sizes] if caps else [],
                "default_size": caps.default_image_size if caps else None,
            }
        )
    return rows


def _table(ctx: Context, rows: list[dict[str, Any]], live: bool) -> None:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("model", "task", "site", "account" if live else "", "per call", "sizes"):
        if column:
            table.add_column(column.upper())
    for row in rows:
        sizes = row["default_size"] or "as input"
        if len(row["sizes"]) > 1:
            sizes += f" (+{len(row['sizes']) - 1} more)"
        cells = [
            row["id"] + (" *" if row["default"] else ""),
            row["task"] or "?",
            ",".join(row["sites"]) or "?",
            *(["offered" if row["offered"] else "-"] if live else []),
            str(row["per_call"]),
            sizes if row["in_table"] else "?",
        ]
        table.add_row(*cells)
    # A pipe gets the whole table on long lines; a terminal, its own width.
    console = Console(
        file=ctx.out.stdout, width=None if is_terminal(ctx.out.stdout) else 160, highlight=False
    )
    console.print(table)
    console.print("* the default for its task here", highlight=False)
