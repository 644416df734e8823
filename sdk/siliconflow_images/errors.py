"""Every error the SDK raises, one class per case, named as openai-python users expect.

    SiliconFlowError
    ├── APIConnectionError          no answer (APITimeoutError: none in time)
    ├── APIStatusError              an answer that is not a success, by status:
    │   ├── BadRequestError 400, AuthenticationError 401, PermissionDeniedError 403,
    │   ├── NotFoundError 404, RateLimitError 429,
    │   └── InternalServerError 500/503/other 5xx  (GatewayTimeoutError 504)
    ├── RequestRefusedError         refused before sending by the model table (cost nothing)
    ├── MalformedResponseError      an answer that breaks the spec
    ├── DownloadError               an image that could not be fetched
    └── SaveError                   an image that could not be written

`str(error)` is the sentence a person or a model needs (see `_messages`); it never holds the
API key. Errors after the API answered say whether the call may have been billed, and those
raised after images were made carry their URLs and when the URLs expire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

NOTHING_SENT: Final = "Nothing was sent to SiliconFlow, so nothing was billed."
"""How every refusal made before sending ends, whichever front end words the rest."""


class SiliconFlowError(Exception):
    """The base of every error this SDK raises."""

    maybe_billed: bool = False
    """Whether SiliconFlow may have made (and charged for) images although the call failed."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__


class APIConnectionError(SiliconFlowError):
    """No answer came: the connection failed, or broke after the request was sent."""

    def __init__(self, explanation: str, *, maybe_billed: bool = False) -> None:
        super().__init__(explanation)
        self.maybe_billed = maybe_billed


class APITimeoutError(APIConnectionError):
    """No answer came in time."""


class APIStatusError(SiliconFlowError):
    """SiliconFlow answered with a status that is not a success."""

    status_code: int
    code: int | None
    """SiliconFlow's own error code, e.g. 20012 (no such model) or 50505 (overloaded)."""
    message: str | None
    """What SiliconFlow said, on one line, cut short and with any trace of the key removed."""
    trace_id: str | None
    """`x-siliconcloud-trace-id`, for SiliconFlow's support."""
    retries: int
    """How many times the request was retried before this answer."""

    def __init__(
        self,
        explanation: str,
        *,
        status_code: int,
        code: int | None = None,
        message: str | None = None,
        trace_id: str | None = None,
        retries: int = 0,
    ) -> None:
        super().__init__(explanation)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.trace_id = trace_id
        self.retries = retries


class BadRequestError(APIStatusError):
    """400: the API refused the request (a field, or a model that does not exist: code 20012)."""


class AuthenticationError(APIStatusError):
    """401: the key was not accepted (keys of api.siliconflow.cn and .com are not interchangeable)."""


class PermissionDeniedError(APIStatusError):
    """403: the account may not use this model now (access, balance, identity verification)."""


class NotFoundError(APIStatusError):
    """404: no such path; the base URL is probably wrong."""


class RateLimitError(APIStatusError):
    """429 after the retries: the account's images-per-minute or per-day limit."""

    retry_after: float | None
    """Seconds the API asked to wait, when it said."""

    def __init__(self, explanation: str, *, retry_after: float | None = None, **fields: object) -> None:
        super().__init__(explanation, **fields)  # type: ignore[arg-type]
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: a failure on SiliconFlow's side (503: the model service is overloaded)."""


class GatewayTimeoutError(InternalServerError):
    """504: the gateway gave up waiting for the model, which may still have run and been billed."""

    maybe_billed = True


class RequestRefusedError(SiliconFlowError, ValueError):
    """Refused before sending, by the spec's model table or the SDK's limits: nothing was billed."""

    def __init__(self, explanation: str, *, model: str, problems: Sequence[str]) -> None:
        super().__init__(explanation)
        self.model = model
        self.problems = tuple(problems)


class MalformedResponseError(SiliconFlowError):
    """SiliconFlow answered, but not in the spec's shape; the call may have been billed."""

    maybe_billed = True

    def __init__(self, explanation: str, *, status_code: int, trace_id: str | None = None) -> None:
        super().__init__(explanation)
        self.status_code = status_code
        self.trace_id = trace_id


@dataclass(frozen=True, slots=True)
class ImageFailure:
    """One image that did not reach the disk, and how long its URL stays valid."""

    index: int
    url: str
    reason: str


class _AfterGeneration(SiliconFlowError):
    """A failure after the images were made (and billed): says where they can still be fetched."""

    maybe_billed = True

    def __init__(
        self,
        explanation: str,
        *,
        failures: Sequence[ImageFailure],
        saved: Sequence[Path] = (),
        expires_at: float | None = None,
    ) -> None:
        super().__init__(explanation)
        self.failures = tuple(failures)
        self.saved = tuple(saved)
        self.expires_at = expires_at
        """Unix time at which the image URLs stop working."""


class DownloadError(_AfterGeneration):
    """An image could not be fetched, or what came was not an acceptable image."""


class SaveError(_AfterGeneration):
    """An image arrived but could not be written to the folder."""


__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "DownloadError",
    "GatewayTimeoutError",
    "ImageFailure",
    "InternalServerError",
    "MalformedResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestRefusedError",
    "SaveError",
    "SiliconFlowError",
]
