"""`batch`: pacing on the injected clock, a manifest written as it goes, resuming, 429 storms, bad files."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from cli_support import CountingTransport, FakeClock, Result, batch_file, image_size, manifest_records

from siliconflow_emulator import RunningEmulator
from siliconflow_images._clock import SystemClock

Cli = Callable[..., Result]
SMALL = "64x64"


def lines(count: int, **fields: Any) -> list[dict[str, Any] | str]:
    return [{"prompt": f"picture {n}", "size": SMALL, **fields} for n in range(1, count + 1)]


def _record_async(into: list[float]) -> Callable[[SystemClock, float], Awaitable[None]]:
    async def asleep(_self: SystemClock, seconds: float) -> None:
        into.append(seconds)

    return asleep


def test_thirty_lines_at_twenty_a_minute_take_over_a_minute_of_fake_time(
    cli: Cli, cwd: Path, clock: FakeClock, transport: CountingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_file(cwd / "jobs.jsonl", lines(30))
    real_waits: list[float] = []
    monkeypatch.setattr(SystemClock, "sleep", lambda _self, seconds: real_waits.append(seconds))
    monkeypatch.setattr(SystemClock, "asleep", _record_async(real_waits))

    result = cli("batch", "jobs.jsonl", "--ipm", "20", "--json")

    assert result.code == 0, result.err
    doc = result.json()
    assert doc["done"] == 30 and doc["failed"] == [] and len(doc["images"]) == 30
    # 20 images a minute is one every 3 s: the 30th goes out 29 x 3 = 87 s after the first.
    assert clock.slept >= 87 - 1e-6 and doc["paced_seconds"] >= 60
    assert real_waits == []  # the pace was kept on the fake clock, not waited for
    assert transport.generations == 30 and set(transport.prompts.values()) == {1}


def test_manifest_records_every_call_as_it_ends(cli: Cli, cwd: Path) -> None:
    batch_file(cwd / "jobs.jsonl", ["# a comment", "", *lines(2), '"a line that is only a prompt"'])

    result = cli("batch", "jobs.jsonl")

    assert result.code == 0, result.err
    records = manifest_records(cwd / "jobs.manifest.jsonl")  # next to the output: <dir>/<stem>.manifest.jsonl
    assert sorted(r["line"] for r in records) == [3, 4, 5]  # in the order they ended
    first = next(r for r in records if r["line"] == 3)
    assert first["input"] == {"prompt": "picture 1", "size": SMALL}
    assert first["request"] == {
        "model": "Kwai-Kolors/Kolors",
        "prompt": "picture 1",
        "n": 1,
        "image_size": SMALL,
    }
    assert first["error"] is None and first["trace_id"].startswith("ti_") and isinstance(first["seed"], int)
    assert [Path(p).is_file() for r in records for p in r["paths"]] == [True] * 3
    assert sorted(result.lines) == sorted(p for r in records for p in r["paths"])


def test_manifest_times_follow_the_runs_clock(cli: Cli, cwd: Path, clock: FakeClock) -> None:
    batch_file(cwd / "jobs.jsonl", lines(3))

    result = cli("batch", "jobs.jsonl", "--ipm", "20", "--concurrency", "1")

    assert result.code == 0, result.err
    times = sorted(dt.datetime.fromisoformat(r["at"]) for r in manifest_records(cwd / "jobs.manifest.jsonl"))
    # 3 s apart on the injected clock, which waited for the pace without any real time passing.
    assert [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)] == [3, 3]


def test_killed_half_way_then_resumed_pays_for_no_line_twice(cli: Cli, cwd: Path) -> None:
    batch_file(cwd / "jobs.jsonl", lines(30))
    killer = CountingTransport(kill_after=15)

    killed = cli("batch", "jobs.jsonl", "--concurrency", "1", via=killer)

    assert killed.code == 130
    assert "--resume" in killed.err
    assert killer.generations == 15
    assert len(manifest_records(cwd / "jobs.manifest.jsonl")) == 15

    again = cli("batch", "jobs.jsonl", "--concurrency", "1")
    assert again.code == 2 and "--resume" in again.err  # never starts over by accident

    resumer = CountingTransport()
    resumed = cli("batch", "jobs.jsonl", "--resume", "--json", via=resumer)

    assert resumed.code == 0, resumed.err
    assert resumer.generations == 15
    assert set(killer.prompts) | set(resumer.prompts) == {f"picture {n}" for n in range(1, 31)}
    assert not set(killer.prompts) & set(resumer.prompts)
    doc = resumed.json()
    assert doc["done"] == 30 and doc["done_before"] == 15
    assert len(list(cwd.glob("*.png"))) == 30


def test_resume_makes_a_changed_line_again(cli: Cli, cwd: Path, transport: CountingTransport) -> None:
    batch_file(cwd / "jobs.jsonl", lines(3))
    assert cli("batch", "jobs.jsonl").code == 0
    batch_file(cwd / "jobs.jsonl", [*lines(2), {"prompt": "picture 3, but blue", "size": SMALL}])

    result = cli("batch", "jobs.jsonl", "--resume")

    assert result.code == 0, result.err
    assert transport.prompts["picture 3, but blue"] == 1 and transport.generations == 4


def test_resume_after_a_line_is_inserted_pays_for_nothing_again(
    cli: Cli, cwd: Path, transport: CountingTransport
) -> None:
    batch_file(cwd / "jobs.jsonl", lines(3, model="Kwai-Kolors/Kolors", n=6))  # two calls a line: 4 + 2
    assert cli("batch", "jobs.jsonl").code == 0
    assert transport.generations == 6
    batch_file(cwd / "jobs.jsonl", ["# for the shop window", *lines(3, model="Kwai-Kolors/Kolors", n=6)])

    result = cli("batch", "jobs.jsonl", "--resume", "--json")

    assert result.code == 0, result.err
    assert transport.generations == 6  # every line moved down one, and none was sent again
    doc = result.json()
    assert doc["done"] == 3 and doc["done_before"] == 3 and doc["images"] == []


def test_identical_lines_are_each_made_and_resumed_one_for_one(
    cli: Cli, cwd: Path, transport: CountingTransport
) -> None:
    same = {"prompt": "a fox", "size": SMALL}
    batch_file(cwd / "jobs.jsonl", [same, same])
    assert cli("batch", "jobs.jsonl").code == 0
    assert transport.prompts == {"a fox": 2}
    batch_file(cwd / "jobs.jsonl", [same, {"prompt": "a hare", "size": SMALL}, same, same])

    result = cli("batch", "jobs.jsonl", "--resume", "--json")

    assert result.code == 0, result.err
    # Two foxes are on record: the file now asks for three, so one more is made, and the hare.
    assert transport.prompts == {"a fox": 3, "a hare": 1}
    assert result.json()["done_before"] == 2


def test_a_429_storm_slows_the_batch_and_loses_no_line(
    cli: Cli, cwd: Path, emulator: RunningEmulator, clock: FakeClock, transport: CountingTransport
) -> None:
    batch_file(cwd / "jobs.jsonl", lines(10))
    emulator.settings.faults.rate_limit = 30
    emulator.settings.faults.retry_after = 2

    result = cli("batch", "jobs.jsonl", "--concurrency", "4", "--json")

    assert result.code == 0, result.err
    doc = result.json()
    assert doc["done"] == 10 and doc["failed"] == [] and doc["not_attempted"] == []
    assert doc["rate_limited"] == 30 and transport.statuses[429] == 30
    assert clock.slept >= 2  # paused for Retry-After, on the fake clock
    done = {r["line"] for r in manifest_records(cwd / "jobs.manifest.jsonl") if r["error"] is None}
    assert done == set(range(1, 11))
    assert transport.statuses[200] == 10


def test_endless_429s_stop_the_batch_for_a_later_resume(
    cli: Cli, cwd: Path, emulator: RunningEmulator, transport: CountingTransport
) -> None:
    batch_file(cwd / "jobs.jsonl", lines(4))
    emulator.settings.faults.rate_limit = 10_000  # as when the day's images are spent

    stopped = cli("batch", "jobs.jsonl", "--concurrency", "1", "--json")

    assert stopped.code == 4, stopped.err  # nothing done: the failure's own code
    doc = stopped.json()
    assert doc["done"] == 0 and doc["stopped"] and "--resume" in stopped.err
    assert [f["line"] for f in doc["failed"]] == [1] and doc["not_attempted"] == [2, 3, 4]

    emulator.settings.faults.rate_limit = 0
    resumed = cli("batch", "jobs.jsonl", "--resume", "--json")
    assert resumed.code == 0 and resumed.json()["done"] == 4


def test_some_lines_failing_is_a_partial_batch(cli: Cli, cwd: Path, transport: CountingTransport) -> None:
    # A model the table does not know passes the local rules; the emulator (like the API) refuses it.
    batch_file(cwd / "jobs.jsonl", [*lines(2), {"prompt": "x", "model": "nobody/no-such-model"}])

    result = cli("batch", "jobs.jsonl", "--json")

    assert result.code == 5
    doc = result.json()
    assert doc["done"] == 2
    [failure] = doc["failed"]
    assert failure["line"] == 3 and failure["exit_code"] == 4 and "400" in failure["message"]
    assert "siliconflow-images models" in failure["message"]  # the command's verb, not the SDK's
    record = next(r for r in manifest_records(cwd / "jobs.manifest.jsonl") if r["line"] == 3)
    assert record["error_type"] == "BadRequestError" and record["paths"] == []


def test_a_bad_file_is_refused_whole_before_anything_is_sent(
    cli: Cli, cwd: Path, transport: CountingTransport
) -> None:
    batch_file(
        cwd / "jobs.jsonl",
        [
            *lines(2),
            "{not json",
            {"prompt": "x", "sise": "64x64"},
            {"prompt": "x", "steps": "many"},
            "[1, 2]",
        ],
    )

    result = cli("batch", "jobs.jsonl")

    assert result.code == 2
    for problem in ("line 3: not JSON", "line 4: unknown field `sise`", "line 5: `steps` must be", "line 6:"):
        assert problem in result.err
    assert transport.generations == 0


def test_a_line_the_models_rules_refuse_stops_the_batch_before_sending(
    cli: Cli, cwd: Path, transport: CountingTransport
) -> None:
    batch_file(cwd / "jobs.jsonl", [*lines(2), {"prompt": "x", "model": "Qwen/Qwen-Image", "guidance": 7}])

    result = cli("batch", "jobs.jsonl")

    assert result.code == 3
    assert "line 3:" in result.err and "guidance_scale" in result.err and "Nothing was billed" in result.err
    assert transport.generations == 0


def test_api_field_names_aliases_edits_and_n(cli: Cli, cwd: Path, transport: CountingTransport) -> None:
    from cli_support import png_file

    png_file(cwd / "input.png")
    batch_file(
        cwd / "jobs.jsonl",
        [
            {
                "prompt": "a",
                "model": "Qwen/Qwen-Image",
                "image_size": "64x64",
                "num_inference_steps": 3,
                "cfg": 2.5,
            },
            {
                "prompt": "b",
                "model": "Kwai-Kolors/Kolors",
                "batch_size": 6,
                "aspect_ratio": "3:4",
                "steps": 2,
            },
            {"prompt": "c", "image": "input.png"},  # relative to the batch file's folder
        ],
    )

    result = cli("batch", "jobs.jsonl", "-o", "out", "--json")

    assert result.code == 0, result.err
    doc = result.json()
    assert len(doc["images"]) == 1 + 6 + 1
    assert transport.generations == 1 + 2 + 1  # Kolors: 4 + 2
    kolors = [p for p in doc["images"] if "Kolors" in p]
    assert {image_size(p) for p in kolors} == {(960, 1280)}
    assert any("Qwen-Image-Edit-2509" in p for p in doc["images"])
    assert Path(doc["manifest"]) == cwd / "out" / "jobs.manifest.jsonl"


def test_dry_run_shows_the_plan_and_sends_nothing(cli: Cli, cwd: Path, transport: CountingTransport) -> None:
    batch_file(cwd / "jobs.jsonl", [*lines(3), {"prompt": "many", "n": 6}])

    result = cli("batch", "jobs.jsonl", "--dry-run", "--ipm", "2", "--json")

    assert result.code == 0
    doc = result.json()
    assert (doc["lines"], doc["calls"], doc["images"]) == (4, 5, 9)
    assert doc["minimum_seconds"] == (9 - 2) * 30
    assert transport.generations == 0 and not (cwd / "jobs.manifest.jsonl").exists()
