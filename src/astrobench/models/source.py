"""`BackboneSource`: one registered object per kind of backbone spec (built-in, timm, hf, ...).

A spec is `scheme:name?key=value` or a built-in name; the scheme is a key of the BACKBONES
registry (so a new source is one new file with `@register_backbone("<scheme>")` on an instance,
and no list of schemes is kept anywhere). A source knows how to build its encoders, which
local files hold their weights (they are part of the embedding cache key), whether it builds a
fresh architecture sized to the data (random initialisation: one input channel per band, the
data's image side), and which modality its encoders read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from astrobench.models.backbone import Backbone
    from astrobench.models.spec import BackboneSpec, BuildOptions

BuildFn = Callable[["BackboneSpec", "BuildOptions"], "Backbone"]


def _no_files(spec: BackboneSpec) -> list[Path]:
    return []


def _never(spec: BackboneSpec) -> bool:
    return False


def _image(spec: BackboneSpec) -> str:
    return "image"


@dataclass(frozen=True)
class BackboneSource:
    """How one kind of spec is built and identified."""

    scheme: str  # "" for built-in names
    build: BuildFn
    # Fresh weights on an architecture sized to the data (channels, image side)?
    sized_to_data: Callable[[BackboneSpec], bool] = _never
    # Random weights at all (random-init baselines included)? Recorded with every result.
    random_init: Callable[[BackboneSpec], bool] = _never
    weight_files: Callable[[BackboneSpec], list[Path]] = _no_files
    modality: Callable[[BackboneSpec], str] = _image
    # Features without a forward pass (catalog columns): (spec, data file, options) -> features.
    direct_features: Callable[..., Any] | None = field(default=None)

    def __call__(self, spec: BackboneSpec, options: BuildOptions) -> Backbone:
        return self.build(spec, options)


def source_of(spec: BackboneSpec) -> BackboneSource:
    """The registered source of a parsed spec."""
    from astrobench.registry import BACKBONES

    source: BackboneSource = BACKBONES.get(spec.registry_key)
    return source
