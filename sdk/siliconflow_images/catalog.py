"""The model table, read for a site: which models it documents, which to use by default, which
size suits an aspect ratio. Everything here comes from the spec's tables (`siliconflow_models`).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Final

from siliconflow_models import MODELS, SITES, ModelCapabilities, RecommendedSize, Site
from siliconflow_models.capabilities import Task

ASPECT_RATIOS: Final = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
"""The aspect ratios tools offer; any `W:H` of positive numbers is understood."""


def models_for(task: Task, site: Site | None = None) -> list[ModelCapabilities]:
    """The table's models for `task`, those the site documents when a site is given."""
    return [
        caps for caps in MODELS.values() if caps.task == task and (site is None or site.name in caps.sites)
    ]


def default_model(task: Task, site: Site | None, available: Collection[str] | None = None) -> str | None:
    """The model to use when the caller names none, or None if there is none to offer.

    The site's documented default first, then the site's other models for the task. With the
    account's live list (`available`), only models it offers, and any model of the table it
    offers: the account knows better than the table. Without a known site, every site counts.
    """
    sites = [site] if site is not None else list(SITES.values())
    ranked = [s.defaults[task] for s in sites if task in s.defaults]
    ranked += [caps.name for caps in models_for(task, site)]
    if available is not None:
        ranked += [caps.name for caps in models_for(task)]
    return next((name for name in dict.fromkeys(ranked) if available is None or name in available), None)


def parse_aspect(text: str) -> float:
    """`16:9` -> 1.777...; ValueError with the accepted form otherwise."""
    width, colon, height = text.strip().partition(":")
    try:
        ratio = float(width) / float(height) if colon else math.nan
    except (ValueError, ZeroDivisionError):
        ratio = math.nan
    if not math.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"an aspect ratio is W:H with positive numbers, e.g. {', '.join(ASPECT_RATIOS)}")
    return ratio


def size_for_aspect(caps: ModelCapabilities, aspect: str) -> RecommendedSize:
    """The model's recommended size nearest to `aspect` (by log ratio; the larger one on a tie).

    ValueError if the aspect cannot be read or the table lists no sizes for the model.
    """
    wanted = math.log(parse_aspect(aspect))
    if not caps.recommended_image_sizes:
        raise ValueError(f"{caps.name} takes no image_size (its output keeps the input's size)")
    return min(
        caps.recommended_image_sizes,
        key=lambda s: (round(abs(math.log(s.width / s.height) - wanted), 6), -s.width * s.height),
    )
