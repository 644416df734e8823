"""Where the OpenAPI document this package is generated from lives: the package's source of truth.

from siliconflow_images import spec
print(spec.path())   # .../siliconflow_images/openapi/siliconflow.yaml (or the checkout's openapi/)
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

NAME = "siliconflow.yaml"


def path() -> Path:
    """The spec's file: shipped inside the wheel, or `openapi/` of a source checkout."""
    packaged = resources.files("siliconflow_images") / "openapi" / NAME
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "openapi" / NAME
