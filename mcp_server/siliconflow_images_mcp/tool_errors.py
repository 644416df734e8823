"""The one place where the SDK's errors become `ToolError` messages a model reads, and the
server's own few sentences.

The SDK's sentences already say what happened and what to try, in this server's words (its
`Wording`); here they get what only the server knows (where the ledger is), and one more pass
of redaction, so no path through a tool can show the key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mcp.server.mcpserver.exceptions import ToolError

from siliconflow_images import DownloadError, SaveError, SiliconFlowError, Wording
from siliconflow_images.config import API_KEY_VARIABLE, KEY_SOURCES
from siliconflow_images.errors import NOTHING_SENT

if TYPE_CHECKING:
    pass

WORDING = Wording(generate="generate_image", edit="edit_image", list_models="list_models")

NO_KEY: Final = (
    f"{API_KEY_VARIABLE} is not set, so this server cannot call SiliconFlow. Ask the user to set it in the "
    f"MCP client's configuration of siliconflow-images ({KEY_SOURCES}), or to start the server with --offline."
)


def no_default_model(task: str) -> ToolError:
    return ToolError(
        f"No {task} model is documented for this site, nor offered by the account: name one in `model` "
        f"(list_models shows what the account offers). {NOTHING_SENT}"
    )


def unwritable_folder(folder: Path, problem: str) -> ToolError:
    return ToolError(
        f"The output folder {folder} cannot be written ({problem}), so the images could not be kept. "
        f"Set SILICONFLOW_OUTPUT_DIR to a writable folder. {NOTHING_SENT}"
    )


@contextmanager
def as_tool_errors(redact: Callable[[str], str], ledger: Path) -> Iterator[None]:
    try:
        yield
    except ToolError as exc:
        raise ToolError(redact(str(exc))) from None
    except (DownloadError, SaveError) as exc:
        raise ToolError(redact(f"{exc}\nThe ledger {ledger} records them too.")) from None
    except SiliconFlowError as exc:
        raise ToolError(redact(str(exc))) from None
