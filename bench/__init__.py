"""`make bench`: the speed and size budgets of DESIGN.md, measured against the emulator on loopback.

Run `python -m bench` (or `make bench`); `--quick` does fewer rounds. Results go to the terminal,
`bench/results.md` and `bench/results.png`. Nothing here is a test: timings are never asserted.
"""
