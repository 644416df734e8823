import pytest


@pytest.fixture
def anyio_backend() -> str:
    # The MCP SDK and the emulator run on asyncio; trio adds nothing here.
    return "asyncio"
