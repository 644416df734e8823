"""`make bench`: the speed and size budgets in the README's Benchmarks section, measured against the emulator.

Each module measures one budget against its yardstick: `client_cost` (the SDK per call against
raw httpx and the openai SDK), `mcp_roundtrip` (`generate_image` over stdio against a direct SDK
call + save + preview, the floor in `direct`), `concurrency` (16 calls against one),
`cold_start` (start to `tools/list` against a one-tool `MCPServer`), `tools_list` (the listing's
bytes against 6 KB), `memory` (peak RSS of a batch and of hostile answers against 200 and 400 MB),
`inline_previews` (base64 per preview against 100 KB) and `preview_lag` (a streaming preview
against one made after the download, on a throttled link).

Run `python -m bench` (or `make bench`): the table goes to the terminal, `bench/results.md` and
`bench/results.png`. `--quick` does fewer rounds and writes into a temporary folder; `--only`
writes nothing. Nothing here is a test: timings are never asserted.
"""
