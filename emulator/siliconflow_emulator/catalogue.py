"""The models a site serves: the rows of the spec's table that list the site."""

from __future__ import annotations

from siliconflow_models import MODELS, ModelCapabilities
from siliconflow_models.capabilities import SiteName


def served_models(site: SiteName) -> list[ModelCapabilities]:
    """The site's models, in the table's order."""
    return [capabilities for capabilities in MODELS.values() if site in capabilities.sites]


def served_model(site: SiteName, name: str) -> ModelCapabilities | None:
    """The model's rules if the site serves it; None for another site's model or an unknown one."""
    capabilities = MODELS.get(name)
    return capabilities if capabilities is not None and site in capabilities.sites else None
