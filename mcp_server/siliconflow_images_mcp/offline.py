"""`--offline`: the local emulator in this process, on a free loopback port, instead of SiliconFlow.

It serves the catalogue of the site the configured base URL names, and fetches nothing: an
agent's URL must not make this machine send requests (or map what listens on it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from siliconflow_models import Site

# The emulator accepts any key; this one only keeps the Authorization header well formed.
OFFLINE_KEY: Final = "offline-emulator-key"


@contextmanager
def emulator(site: Site | None) -> Iterator[str]:
    """Run the emulator in a background thread; yields its base URL (http://127.0.0.1:PORT/v1)."""
    from siliconflow_emulator import EmulatorSettings, run_in_thread

    # The emulator's defaults are the API's: any key passes, URLs live an hour, no faults.
    settings = EmulatorSettings() if site is None else EmulatorSettings(site=site.name)
    with run_in_thread(settings, host="127.0.0.1", port=0) as running:
        yield str(running.base_url)
