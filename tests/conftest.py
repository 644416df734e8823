import os

import pytest


@pytest.fixture
def anyio_backend() -> str:
    # The MCP SDK and the emulator run on asyncio; trio adds nothing here.
    return "asyncio"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The developer's own settings must never reach (or steer) a test: SILICONFLOW_SITE=com,
    # for one, moves every refusal to the other site's models. Any variable added later counts too.
    for name in [name for name in os.environ if name.startswith("SILICONFLOW_")]:
        monkeypatch.delenv(name, raising=False)
