"""siliconflow-images: create and edit images with SiliconFlow's image API.

    from siliconflow_images import SiliconFlow

    client = SiliconFlow()  # reads SILICONFLOW_API_KEY (and SILICONFLOW_BASE_URL)
    result = client.images.generate(model="Qwen/Qwen-Image", prompt="a neon sign saying OPEN")
    paths = result.save("out")

The request types, the model table and the HTTP client underneath are generated from
`openapi/siliconflow.yaml` (`siliconflow_models`, `siliconflow_client`); this package is the
hand-written front door over them.
"""

from typing import TYPE_CHECKING

from ._clock import Clock, SystemClock
from ._messages import Wording
from .config import DEFAULT_BASE_URL, ImageLimits
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    GatewayTimeoutError,
    ImageFailure,
    InternalServerError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestRefusedError,
    SaveError,
    SiliconFlowError,
)
from .inputs import ImageInput
from .types import GeneratedImage, Model

if TYPE_CHECKING:
    from ._client import AsyncImages, AsyncModels, AsyncSiliconFlow, Images, Models, SiliconFlow
    from .generation import AsyncGeneration, Generation

# The clients and what they return need httpx, whose import is a tenth of a second; the MCP
# server and the command line read errors, settings and rules long before (or without ever)
# calling the API, so these load on first use.
_LAZY = {
    "AsyncImages": "._client",
    "AsyncModels": "._client",
    "AsyncSiliconFlow": "._client",
    "Images": "._client",
    "Models": "._client",
    "SiliconFlow": "._client",
    "AsyncGeneration": ".generation",
    "Generation": ".generation",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncGeneration",
    "AsyncImages",
    "AsyncModels",
    "AsyncSiliconFlow",
    "AuthenticationError",
    "BadRequestError",
    "Clock",
    "DownloadError",
    "GatewayTimeoutError",
    "GeneratedImage",
    "Generation",
    "ImageFailure",
    "ImageInput",
    "ImageLimits",
    "Images",
    "InternalServerError",
    "MalformedResponseError",
    "Model",
    "Models",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestRefusedError",
    "SaveError",
    "SiliconFlow",
    "SiliconFlowError",
    "SystemClock",
    "Wording",
]
