"""siliconflow-images: create and edit images with SiliconFlow's image API.

    from siliconflow_images import SiliconFlow

    client = SiliconFlow()  # reads SILICONFLOW_API_KEY (and SILICONFLOW_BASE_URL)
    result = client.images.generate(model="Qwen/Qwen-Image", prompt="a neon sign saying OPEN")
    paths = result.save("out")

The request types, the model table and the HTTP client underneath are generated from
`openapi/siliconflow.yaml` (`siliconflow_models`, `siliconflow_client`); this package is the
hand-written front door over them.
"""

from ._client import AsyncImages, AsyncModels, AsyncSiliconFlow, Images, Models, SiliconFlow
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
from .generation import AsyncGeneration, Generation
from .inputs import ImageInput
from .types import GeneratedImage, Model

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
