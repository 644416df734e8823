"""Turn openapi/siliconflow.yaml into the packages under generated/.

`python -m codegen` (behind `make generate`) runs openapi-python-client and
datamodel-code-generator at the versions pinned in pyproject.toml, writes the per-model
capability table, and formats everything with one ruff configuration, so the output is
the same bytes on every machine. `python -m codegen --check` regenerates into a temporary
folder and names every file that differs from generated/.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "siliconflow.yaml"
GENERATED = ROOT / "generated"
CODEGEN = ROOT / "codegen"
PACKAGES = ("siliconflow_client", "siliconflow_models")
