"""Every answer the emulator gives that is not a success, in the API's own shapes and media types.

| status | body | media type | when |
| --- | --- | --- | --- |
| 400 | `{code: 20015, message, data}` | application/json | bad JSON, a missing, mistyped or out-of-range field (the model's own range included), a size a fixed-size model does not serve, a size or batch beyond what the emulator draws, an option the model does not take, an input image that is unreadable or neither a data URI nor the emulator's own URL |
| 400 | `{code: 20012, message, data}` | application/json | a model the spec's table does not list for the emulator's site |
| 400 | `{code: 20015, message, data: "Host"}` | application/json | on loopback, a Host header that names anything else |
| 401 | `"Invalid token"` | application/json | no bearer token, or one not in `--api-key` |
| 404 | `404 page not found` | text/plain | unknown path, or an image URL past its TTL (or with the wrong suffix) |
| 405 | `405 method not allowed` + `Allow` | text/plain | a known path with another method |
| 429 | `{message, data}` + `Retry-After` | application/json | `rate_limit` fault |
| 500 | `{code: 50500, message, data}` | application/json | a bug in the emulator |
| 503 | `{code: 50505, message, data}` + `Retry-After` | application/json | `overload` fault |
| 504 | `504 Gateway Timeout` | text/plain | `gateway_timeout` fault |
"""

from __future__ import annotations

import math

from starlette.responses import JSONResponse, PlainTextResponse

from siliconflow_models import RESPONSE_EXAMPLES


def _code(name: str) -> int:
    code = RESPONSE_EXAMPLES[name].code
    assert code is not None, f"the spec's {name} example has no code"
    return code


# The spec's own example bodies (the page's words), through the generated module: written once.
RATE_LIMIT_MESSAGE = RESPONSE_EXAMPLES["RateLimited"].message
OVERLOADED_MESSAGE = RESPONSE_EXAMPLES["Overloaded"].message
OVERLOADED = _code("Overloaded")
UNKNOWN_ERROR_MESSAGE = RESPONSE_EXAMPLES["InternalError"].message
UNKNOWN_ERROR = _code("InternalError")
INVALID_TOKEN = RESPONSE_EXAMPLES["Unauthorized"].message
NOT_FOUND = RESPONSE_EXAMPLES["NotFound"].message

INVALID_PARAMETER = 20015
"""SiliconFlow's code for a parameter it refuses ("The parameter is invalid. Please check again.")."""
MODEL_NOT_FOUND = 20012
# Not in the spec, whose 400 example's message is the page's placeholder "string".
MODEL_NOT_FOUND_MESSAGE = "Model does not exist. Please check it carefully."


class ApiError(Exception):
    """A refusal in the API's `{code, message, data}` shape; handlers turn it into a response."""

    def __init__(self, message: str, *, code: int = INVALID_PARAMETER, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def response(self) -> JSONResponse:
        return error_body(400, self.code, self.message, self.data)


def error_body(status: int, code: int, message: str, data: str | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": data}, status_code=status)


def untrusted_host() -> JSONResponse:
    return error_body(
        400,
        INVALID_PARAMETER,
        "The Host header must name a loopback address (localhost, 127.0.0.1, [::1]): this emulator "
        "listens on loopback only.",
        "Host",
    )


def invalid_token() -> JSONResponse:
    # A bare JSON string, as the real gateway answers; never echo the token back.
    return JSONResponse(INVALID_TOKEN, status_code=401)


def not_found() -> PlainTextResponse:
    return PlainTextResponse(NOT_FOUND, status_code=404)


def method_not_allowed(allow: str) -> PlainTextResponse:
    return PlainTextResponse("405 method not allowed", status_code=405, headers={"Allow": allow})


def rate_limited(retry_after: float, detail: str) -> JSONResponse:
    return JSONResponse(
        {"message": RATE_LIMIT_MESSAGE, "data": detail},
        status_code=429,
        headers={"Retry-After": _whole_seconds(retry_after)},
    )


def overloaded(retry_after: float, detail: str) -> JSONResponse:
    response = error_body(503, OVERLOADED, OVERLOADED_MESSAGE, detail)
    response.headers["Retry-After"] = _whole_seconds(retry_after)
    return response


def gateway_timeout() -> PlainTextResponse:
    return PlainTextResponse("504 Gateway Timeout", status_code=504)


def internal_error() -> JSONResponse:
    return error_body(500, UNKNOWN_ERROR, UNKNOWN_ERROR_MESSAGE)


def _whole_seconds(seconds: float) -> str:
    # HTTP's Retry-After takes whole seconds (and the spec says integer); round up so a
    # client that obeys it never comes back early.
    return str(max(0, math.ceil(seconds)))
