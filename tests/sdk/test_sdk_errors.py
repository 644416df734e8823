"""Typed errors: one class per status with the API's facts on it, no trace of the key in any text,
and malformed answers that become MalformedResponseError, never a crash."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from sdk_support import IMAGE_URL, KEY, FakeApi, answer, leaks, png_bytes

from siliconflow_images import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncSiliconFlow,
    AuthenticationError,
    BadRequestError,
    GatewayTimeoutError,
    InternalServerError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SiliconFlow,
    SiliconFlowError,
)
from siliconflow_models import ImageGenerationRequest

QWEN = "Qwen/Qwen-Image"
TRACE = {"x-siliconcloud-trace-id": "ti_abc123"}

STATUSES: list[tuple[httpx.Response, type[APIStatusError], int | None, str | None]] = [
    # (answer, error class, code, message) as the API really answers (see the spec)
    (
        httpx.Response(
            400, json={"code": 20012, "message": "Model does not exist.", "data": None}, headers=TRACE
        ),
        BadRequestError,
        20012,
        "Model does not exist.",
    ),
    (httpx.Response(401, json="Invalid token", headers=TRACE), AuthenticationError, None, "Invalid token"),
    (httpx.Response(403, json="Forbidden", headers=TRACE), PermissionDeniedError, None, "Forbidden"),
    (
        httpx.Response(404, text="404 page not found", headers=TRACE),
        NotFoundError,
        None,
        "404 page not found",
    ),
    (
        httpx.Response(
            429, json={"message": "Request was rejected due to rate limiting.", "data": None}, headers=TRACE
        ),
        RateLimitError,
        None,
        "Request was rejected due to rate limiting.",
    ),
    (
        httpx.Response(500, json={"code": 50000, "message": "Internal error", "data": None}, headers=TRACE),
        InternalServerError,
        50000,
        "Internal error",
    ),
    (
        httpx.Response(
            503, json={"code": 50505, "message": "Model service overloaded.", "data": None}, headers=TRACE
        ),
        InternalServerError,
        50505,
        "Model service overloaded.",
    ),
    (
        httpx.Response(504, text="upstream request timeout", headers=TRACE),
        GatewayTimeoutError,
        None,
        "upstream request timeout",
    ),
    (httpx.Response(418, text="I'm a teapot", headers=TRACE), APIStatusError, None, "I'm a teapot"),
    (
        httpx.Response(302, headers={"Location": "https://elsewhere.example/", **TRACE}),
        APIStatusError,
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("response", "kind", "code", "message"), STATUSES, ids=[str(r.status_code) for r, *_ in STATUSES]
)
def test_each_status_is_its_own_error_with_the_apis_facts(
    make_client: Callable[..., SiliconFlow],
    api: FakeApi,
    response: httpx.Response,
    kind: type[APIStatusError],
    code: int | None,
    message: str | None,
) -> None:
    api.answers = [response]
    client = make_client(max_retries=0)
    with pytest.raises(APIStatusError) as caught:
        client.images.generate(model=QWEN, prompt="a fox")
    error = caught.value
    assert type(error) is kind
    assert (error.status_code, error.code, error.message, error.trace_id, error.retries) == (
        response.status_code,
        code,
        message,
        "ti_abc123",
        0,
    )
    assert str(response.status_code) in str(error)
    if response.status_code != 404:  # a wrong path: the trace id would not help, it stays on the error
        assert "ti_abc123" in str(error)
    assert len(api.requests) == 1
    assert error.maybe_billed is (kind is GatewayTimeoutError)


def test_the_error_classes_nest_as_documented() -> None:
    assert issubclass(GatewayTimeoutError, InternalServerError)
    assert issubclass(APITimeoutError, APIConnectionError)
    for kind in (BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, RateLimitError):
        assert issubclass(kind, APIStatusError)
    for kind in (APIStatusError, APIConnectionError, MalformedResponseError):
        assert issubclass(kind, SiliconFlowError)


def test_a_rate_limit_carries_retry_after(make_client: Callable[..., SiliconFlow], api: FakeApi) -> None:
    api.answers = [httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "7"})]
    with pytest.raises(RateLimitError) as caught:
        make_client(max_retries=0).images.generate(model=QWEN, prompt="a fox")
    assert caught.value.retry_after == 7.0
    assert "wait 7 s" in str(caught.value)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(401, text="<html><body>401 Authorization Required</body></html>"),
        httpx.Response(401, content=b"\xff\xfe\x00garbage"),
        httpx.Response(401),
        httpx.Response(401, json={"error": {"message": "bad key"}}),
    ],
    ids=["html", "bytes", "empty", "other-json"],
)
def test_any_401_body_is_an_authentication_error_naming_the_variable(
    make_client: Callable[..., SiliconFlow], api: FakeApi, response: httpx.Response
) -> None:
    api.answers = [response]
    with pytest.raises(AuthenticationError, match="SILICONFLOW_API_KEY") as caught:
        make_client().images.generate(model=QWEN, prompt="a fox")
    assert caught.value.status_code == 401
    assert len(api.requests) == 1  # a 401 is never retried


@pytest.mark.anyio
async def test_the_async_client_raises_the_same_errors(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi
) -> None:
    api.answers = [
        httpx.Response(400, json={"code": 20012, "message": "Model does not exist.", "data": None})
    ]
    async with make_async_client() as client:
        with pytest.raises(BadRequestError, match="code 20012") as caught:
            await client.images.generate(model="acme/gone", prompt="a fox")
    assert "client.models.list() lists the account's" in str(caught.value)


# --- the key never shows -------------------------------------------------------------------------------


def _echo(
    status: int, shape: Callable[[str], Any], *, in_trace_id: bool = False
) -> Callable[[httpx.Request], httpx.Response]:
    """An API that echoes the Authorization header it got back into its body (shaped by `shape`),
    and into its trace id header if told to."""

    def respond(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization", "")
        body = shape(auth)
        headers = {"x-siliconcloud-trace-id": f"ti-{auth}" if in_trace_id else "ti-1", "Retry-After": "0"}
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return respond


ECHOES: dict[str, Callable[[str], Any]] = {
    "json-message": lambda auth: {"code": 20015, "message": f"bad header: {auth}", "data": None},
    "json-string": lambda auth: f"Invalid token {auth}",
    "plain-text": lambda auth: f"denied for {auth}!",
    "cut-start": lambda auth: {"code": 1, "message": f"key ...{auth[-20:]}"},
    "cut-end": lambda auth: {"code": 1, "message": f"key {auth[:19]}..."},
    "middle-piece": lambda auth: f"x{auth[12:20]}x",
    "both-halves": lambda auth: f"{auth[:25]} and {auth[20:]}",
    "no-spaces": lambda auth: "".join(auth.split()) * 3,
    "one-megabyte": lambda auth: {"code": 1, "message": "x" * 1_000_000 + auth + "y" * 1000},
    "late-in-a-megabyte": lambda auth: "z " * 500_000 + auth,
    "in-data": lambda auth: {"message": "no", "data": auth},
    "not-a-str-message": lambda auth: {"code": 1, "message": {"auth": auth}},
}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 503, 504, 418])
@pytest.mark.parametrize("echo", ECHOES)
def test_no_piece_of_the_key_reaches_an_error_even_when_the_api_echoes_it(
    make_client: Callable[..., SiliconFlow], api: FakeApi, status: int, echo: str
) -> None:
    api.answers = [_echo(status, ECHOES[echo])]
    with pytest.raises(APIStatusError) as caught:
        make_client().images.generate(model=QWEN, prompt="a fox")
    error = caught.value
    for text in (str(error), repr(error), error.message or "", error.trace_id or "", *map(str, error.args)):
        assert leaks(text) == [], f"{echo}: {leaks(text)[:3]}"
    assert len(str(error)) < 2000


@pytest.mark.parametrize("status", [401, 429, 503])
def test_no_piece_of_the_key_reaches_an_error_through_the_trace_id_header(
    make_client: Callable[..., SiliconFlow], api: FakeApi, status: int
) -> None:
    # The trace id header went into the error's text and `trace_id` as it came.
    api.answers = [_echo(status, ECHOES["json-message"], in_trace_id=True)]
    with pytest.raises(APIStatusError) as caught:
        make_client().images.generate(model=QWEN, prompt="a fox")
    assert leaks(str(caught.value)) == []
    assert leaks(caught.value.trace_id or "") == []
    assert (caught.value.trace_id or "").startswith("ti-Bearer ")


@pytest.mark.parametrize("status", [200, 429])
def test_a_trace_id_is_cut_short(make_client: Callable[..., SiliconFlow], api: FakeApi, status: int) -> None:
    trace = {"x-siliconcloud-trace-id": "ti-" + "x" * 20_000}
    body = json.dumps({**GOOD, "seed": "not a seed"}) if status == 200 else '{"message": "slow down"}'
    api.answers = [httpx.Response(status, content=body.encode(), headers=trace)]
    with pytest.raises(SiliconFlowError) as caught:
        make_client(max_retries=0).images.generate(model=QWEN, prompt="a fox")
    trace_id = getattr(caught.value, "trace_id", None)
    assert trace_id is not None and trace_id.startswith("ti-xxx") and len(trace_id) <= 120
    assert len(str(caught.value)) < 1000


@pytest.mark.parametrize("hook", ["request", "response"])
def test_a_callers_hook_that_raises_is_theirs_not_a_malformed_answer(api: FakeApi, hook: str) -> None:
    def broken(_: object) -> None:
        raise ValueError("the caller's own bug")

    with httpx.Client(transport=api.transport, event_hooks={hook: [broken]}) as http:
        client = SiliconFlow(api_key=KEY, http_client=http)
        with pytest.raises(ValueError, match="the caller's own bug") as caught:
            client.images.generate(model=QWEN, prompt="a fox")
        assert not isinstance(caught.value, SiliconFlowError)
        with pytest.raises(ValueError, match="the caller's own bug"):
            client.models.list()


@pytest.mark.anyio
async def test_a_callers_hook_that_raises_is_theirs_not_a_malformed_answer_async(api: FakeApi) -> None:
    async def broken(_: object) -> None:
        raise TypeError("the caller's own bug")

    async with httpx.AsyncClient(transport=api.transport, event_hooks={"request": [broken]}) as http:
        client = AsyncSiliconFlow(api_key=KEY, http_client=http)
        with pytest.raises(TypeError, match="the caller's own bug"):
            await client.images.generate(model=QWEN, prompt="a fox")
        with pytest.raises(TypeError, match="the caller's own bug"):
            await client.models.list()


@pytest.mark.anyio
async def test_no_piece_of_the_key_reaches_an_async_error(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi
) -> None:
    api.answers = [_echo(401, ECHOES["both-halves"], in_trace_id=True)]
    async with make_async_client() as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.images.generate(model=QWEN, prompt="a fox")
    assert leaks(str(caught.value)) == []


def test_a_malformed_answer_echoing_the_key_does_not_show_it(client: SiliconFlow, api: FakeApi) -> None:
    api.answers = [
        lambda request: httpx.Response(
            200,
            json={
                "images": [{"url": f"ftp://{request.headers['Authorization']}"}],
                "timings": {"inference": 1},
                "seed": 1,
            },
            headers={"x-siliconcloud-trace-id": request.headers["Authorization"]},
        )
    ]
    with pytest.raises(MalformedResponseError) as caught:
        client.images.generate(model=QWEN, prompt="a fox")
    assert "not an http(s) URL" in str(caught.value)
    assert leaks(str(caught.value)) == []


@pytest.mark.parametrize("echoed", [KEY, KEY[5:13]], ids=["whole", "an 8-character piece"])
def test_an_image_url_holding_the_key_is_neither_fetched_nor_shown(
    client: SiliconFlow, api: FakeApi, echoed: str
) -> None:
    # A hostile (or broken) API echoing the key into an image URL: fetching it would hand the
    # key to the image host, and a result or a ledger line would print it.
    url = f"https://images.example/a.png?token={echoed}"
    api.images[url] = png_bytes()
    api.answers = [answer([url])]
    with pytest.raises(MalformedResponseError, match="holds the API key") as caught:
        client.images.generate(model=QWEN, prompt="a fox")
    assert leaks(str(caught.value)) == []
    assert api.image_requests == []


def test_the_key_is_never_in_a_refusal_or_a_connection_error(
    make_client: Callable[..., SiliconFlow], api: FakeApi
) -> None:
    api.answers = [httpx.ConnectError(f"cannot reach, key {KEY}")]
    with pytest.raises(APIConnectionError) as caught:
        make_client(max_retries=0).images.generate(model=QWEN, prompt="a fox")
    assert leaks(str(caught.value)) == []


# --- malformed 200 answers ---------------------------------------------------------------------------

SEED_MAX = next(m.le for m in ImageGenerationRequest.model_fields["seed"].metadata if hasattr(m, "le"))
GOOD: dict[str, Any] = {"images": [{"url": IMAGE_URL}], "timings": {"inference": 1.0}, "seed": 1}
MALFORMED: dict[str, bytes] = {
    "not-json": b"<html>oops</html>",
    "empty": b"",
    "json-null": b"null",
    "json-list": b"[1, 2]",
    "json-string": b'"ok"',
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
    "deeply-nested-object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "no-images": json.dumps({**GOOD, "images": None}).encode(),
    "images-missing": json.dumps({k: v for k, v in GOOD.items() if k != "images"}).encode(),
    "images-a-string": json.dumps({**GOOD, "images": "https://x"}).encode(),
    "images-empty": json.dumps({**GOOD, "images": []}).encode(),
    "image-null": json.dumps({**GOOD, "images": [None]}).encode(),
    "image-url-missing": json.dumps({**GOOD, "images": [{}]}).encode(),
    "image-url-int": json.dumps({**GOOD, "images": [{"url": 5}]}).encode(),
    "image-url-ftp": json.dumps({**GOOD, "images": [{"url": "ftp://files.example/a.png"}]}).encode(),
    "image-url-file": json.dumps({**GOOD, "images": [{"url": "file:///etc/passwd"}]}).encode(),
    "image-url-javascript": json.dumps({**GOOD, "images": [{"url": "javascript:alert(1)"}]}).encode(),
    "image-url-no-host": json.dumps({**GOOD, "images": [{"url": "http://"}]}).encode(),
    "image-url-relative": json.dumps({**GOOD, "images": [{"url": "/files/a.png"}]}).encode(),
    "image-url-zero-width": json.dumps(
        {**GOOD, "images": [{"url": "https://a\u200b.example/a.png"}]}
    ).encode(),
    "image-url-bidi": json.dumps(
        {**GOOD, "images": [{"url": "https://images.example/\u202egnp.exe"}]}
    ).encode(),
    "image-url-too-long": json.dumps(
        {**GOOD, "images": [{"url": "https://images.example/" + "a" * 9000}]}
    ).encode(),
    "twenty-urls-for-one": json.dumps(
        {**GOOD, "images": [{"url": f"{IMAGE_URL}?{i}"} for i in range(20)]}
    ).encode(),
    "seed-a-string": json.dumps({**GOOD, "seed": "42"}).encode(),
    "seed-a-float": json.dumps({**GOOD, "seed": 4.2}).encode(),
    "seed-a-bool": json.dumps({**GOOD, "seed": True}).encode(),
    "seed-missing": json.dumps({k: v for k, v in GOOD.items() if k != "seed"}).encode(),
    "seed-past-the-specs-range": json.dumps({**GOOD, "seed": SEED_MAX + 1}).encode(),
    "seed-of-300-digits": json.dumps({**GOOD, "seed": 10**300}).encode(),
    "timings-null": json.dumps({**GOOD, "timings": None}).encode(),
    "timings-empty": json.dumps({**GOOD, "timings": {}}).encode(),
    "inference-a-string": json.dumps({**GOOD, "timings": {"inference": "fast"}}).encode(),
    "inference-nan": json.dumps({**GOOD, "timings": {"inference": float("nan")}}).encode(),
    "created-a-string": json.dumps({**GOOD, "created": "yesterday"}).encode(),
    "created-a-float": json.dumps({**GOOD, "created": 1.5}).encode(),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_success_is_a_malformed_response_error(
    client: SiliconFlow, api: FakeApi, body: bytes
) -> None:
    api.answers = [httpx.Response(200, content=body, headers={"content-type": "application/json", **TRACE})]
    with pytest.raises(MalformedResponseError) as caught:
        client.images.generate(model=QWEN, prompt="a fox")
    error = caught.value
    assert error.status_code == 200
    assert error.maybe_billed
    assert "may still have run and been billed" in str(error)
    assert api.image_requests == []  # nothing fetched from a broken answer


@pytest.mark.parametrize("name", ["image-url-zero-width", "image-url-bidi", "image-url-too-long"])
def test_an_unusable_image_url_is_shown_short_and_in_ascii(
    client: SiliconFlow, api: FakeApi, name: str
) -> None:
    api.answers = [httpx.Response(200, content=MALFORMED[name])]
    with pytest.raises(MalformedResponseError, match="image URL") as caught:
        client.images.generate(model=QWEN, prompt="a fox")
    shown = str(caught.value)
    assert "\u200b" not in shown and "\u202e" not in shown and len(shown) < 600
    assert api.image_requests == []


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["deeply-nested", "twenty-urls-for-one", "image-url-ftp", "not-json"])
async def test_a_malformed_success_is_a_malformed_response_error_async(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi, name: str
) -> None:
    api.answers = [httpx.Response(200, content=MALFORMED[name])]
    async with make_async_client() as client:
        with pytest.raises(MalformedResponseError):
            await client.images.generate(model=QWEN, prompt="a fox")
    assert api.image_requests == []


class _Oversized:
    """A well-formed 200 answer padded past 2 MB, in 64 KB chunks; counts the chunks pulled."""

    def __init__(self) -> None:
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"images": [{"url": "https://images.example.net/out/1.png"}], "timings": {"inference": 1},'
        yield b'"seed": 1, "padding": "'
        for _ in range(32):
            self.pulled += 1
            yield b"x" * 65536
        yield b'"}'

    async def chunks(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


def test_an_oversized_answer_is_cut_off_as_malformed(client: SiliconFlow, api: FakeApi) -> None:
    body = _Oversized()
    api.answers = [lambda request: httpx.Response(200, content=body, headers=TRACE)]
    with pytest.raises(MalformedResponseError, match=r"larger than 1\.0 MB") as caught:
        client.images.generate(model=QWEN, prompt="a fox")
    assert body.pulled <= 17 and caught.value.maybe_billed
    assert api.image_requests == []


@pytest.mark.anyio
async def test_an_oversized_answer_is_cut_off_as_malformed_async(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi
) -> None:
    body = _Oversized()
    api.answers = [lambda request: httpx.Response(200, content=body.chunks())]
    async with make_async_client() as client:
        with pytest.raises(MalformedResponseError, match="larger than"):
            await client.images.generate(model=QWEN, prompt="a fox")
        with pytest.raises(MalformedResponseError, match="larger than"):
            await client.models.list()
    assert body.pulled <= 2 * 17


# 10 MB of zeros in 10 KB of gzip: decoded, it would have passed any cap on what travels.
BOMB = gzip.compress(bytes(10_000_000))


def test_a_compressed_answer_is_refused_unread(make_client: Callable[..., SiliconFlow], api: FakeApi) -> None:
    api.answers = [httpx.Response(200, content=BOMB, headers={"Content-Encoding": "gzip", **TRACE})]
    with pytest.raises(MalformedResponseError, match="gzip-encoded") as caught:
        make_client(max_retries=0).images.generate(model=QWEN, prompt="a fox")
    assert caught.value.status_code == 200 and caught.value.maybe_billed
    assert api.requests[0].headers["Accept-Encoding"] == "identity"


def test_an_unknown_encoding_is_not_shown(make_client: Callable[..., SiliconFlow], api: FakeApi) -> None:
    # A server echoing the Authorization header into Content-Encoding must not show the key.
    api.answers = [httpx.Response(200, content=b"{}", headers={"Content-Encoding": f"Bearer {KEY}"})]
    with pytest.raises(MalformedResponseError, match="unknown-encoded") as caught:
        make_client().images.generate(model=QWEN, prompt="a fox")
    assert leaks(str(caught.value)) == []


@pytest.mark.parametrize(
    ("status", "kind"), [(400, BadRequestError), (429, RateLimitError), (503, InternalServerError)]
)
def test_a_compressed_error_keeps_its_status_but_not_its_body(
    make_client: Callable[..., SiliconFlow],
    api: FakeApi,
    status: int,
    kind: type[APIStatusError],
) -> None:
    api.answers = [lambda request: httpx.Response(status, content=BOMB, headers={"Content-Encoding": "gzip"})]
    with pytest.raises(kind) as caught:
        make_client(max_retries=1).images.generate(model=QWEN, prompt="a fox")
    assert caught.value.status_code == status and caught.value.message is None
    assert len(api.requests) == (1 if status == 400 else 2)  # a 429 or 503 is still retried


@pytest.mark.parametrize("status", [400, 429, 500, 503])
def test_a_deeply_nested_error_body_is_still_the_status_error(
    make_client: Callable[..., SiliconFlow], api: FakeApi, status: int
) -> None:
    # json.loads raises RecursionError here, which used to escape as itself.
    api.answers = [httpx.Response(status, content=b"[" * 100_000)]
    with pytest.raises(APIStatusError) as caught:
        make_client(max_retries=0).images.generate(model=QWEN, prompt="a fox")
    assert caught.value.status_code == status


def test_the_url_count_matches_batch_size(client: SiliconFlow, api: FakeApi) -> None:
    urls = [f"{IMAGE_URL}?{i}" for i in range(4)]
    api.answers = [answer(urls[:3]), answer(urls)]
    assert len(client.images.generate(model="Kwai-Kolors/Kolors", prompt="a fox", batch_size=3).images) == 3
    with pytest.raises(MalformedResponseError, match="4 image URLs for 3 images asked"):
        client.images.generate(model="Kwai-Kolors/Kolors", prompt="a fox", batch_size=3)


# --- no answer at all ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "kind", "maybe_billed"),
    [
        (httpx.ConnectError("refused"), APIConnectionError, False),
        (httpx.ConnectTimeout("slow"), APITimeoutError, False),  # a timeout, but no model was reached
        (httpx.ReadTimeout("slow"), APITimeoutError, True),
        (httpx.ReadError("reset"), APIConnectionError, True),
        (httpx.RemoteProtocolError("closed"), APIConnectionError, True),
    ],
)
def test_no_answer_is_a_connection_error_saying_whether_it_may_be_billed(
    make_client: Callable[..., SiliconFlow],
    api: FakeApi,
    failure: Exception,
    kind: type[APIConnectionError],
    maybe_billed: bool,
) -> None:
    api.answers = [failure]
    with pytest.raises(APIConnectionError) as caught:
        make_client().images.generate(model=QWEN, prompt="a fox")
    assert type(caught.value) is kind
    assert caught.value.maybe_billed is maybe_billed
    assert type(failure).__name__ in str(caught.value)


def test_an_endless_error_body_is_read_only_so_far(
    make_client: Callable[..., SiliconFlow], api: FakeApi
) -> None:
    served = [0]

    def endless() -> Any:
        yield b'{"code": 20015, "message": "'
        while True:
            served[0] += 1
            yield b"x" * 65536

    api.answers = [httpx.Response(400, content=endless(), headers={"content-type": "application/json"})]
    with pytest.raises(BadRequestError) as caught:
        make_client().images.generate(model=QWEN, prompt="a fox")
    assert served[0] < 5 and len(str(caught.value)) < 1000
