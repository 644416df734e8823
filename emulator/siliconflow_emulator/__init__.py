"""A local stand-in for SiliconFlow's image API, honouring `openapi/siliconflow.yaml`.

    from siliconflow_emulator import EmulatorSettings, Faults, run_in_thread

    with run_in_thread(EmulatorSettings(site="com", faults=Faults(rate_limit=2))) as emulator:
        ...  # point a client at emulator.base_url ("http://127.0.0.1:PORT/v1")
        emulator.settings.faults.pixel_bomb = 1  # applies to the next download
        emulator.reset()  # every setting back as it started

`create_app(settings)` gives the bare ASGI app; `main()` is the `siliconflow-emulator` command.
"""

from .app import create_app
from .cli import main
from .running import RunningEmulator, run_in_thread
from .settings import EmulatorSettings, Faults

__all__ = ["EmulatorSettings", "Faults", "RunningEmulator", "create_app", "main", "run_in_thread"]
