"""The one place where the SDK's errors become `ToolError` messages a model reads.

The SDK's sentences already say what happened and what to try, in this server's words (its
`Wording`); here they get what only the server knows (where the ledger is), and one more pass
of redaction, so no path through a tool can show the key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError

from siliconflow_images import DownloadError, ImageFailure, SaveError, SiliconFlowError, Wording
from siliconflow_images._messages import images_lost

if TYPE_CHECKING:
    from siliconflow_images import AsyncGeneration

WORDING = Wording(generate="generate_image", edit="edit_image", list_models="list_models")


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


def unsaved(generation: AsyncGeneration, reason: str) -> DownloadError | SaveError:
    """The failure of a save cut short: every image not on disk, with its URL and expiry."""
    failures = [
        ImageFailure(image.index, image.url, reason) for image in generation.images if image.path is None
    ]
    saved = [image.path for image in generation.images if image.path is not None]
    text = images_lost(
        "they could not be saved in time", failures, saved, generation.expires_at, len(generation.images)
    )
    kind = DownloadError if any(image.data is None for image in generation.images) else SaveError
    return kind(text, failures=failures, saved=saved, expires_at=generation.expires_at)
