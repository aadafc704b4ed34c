"""`create_backbone(spec)`: one entry point for every backbone source.

The spec's scheme (or a built-in name) selects a `BackboneSource` in the BACKBONES registry,
which builds the model; then the data's bands are fitted by the named strategy, if any.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from astrobench.models.backbone import Backbone
from astrobench.models.band_adapter import adapt_bands
from astrobench.models.source import source_of
from astrobench.models.spec import BuildOptions, parse_spec


def create_backbone(
    spec: str,
    *,
    bands: Sequence[str] | None = None,
    img_size: int | None = None,
    adapt: str | None = None,
    pooling: str | None = None,
) -> Backbone:
    """Build the backbone named by `spec`, fitted to images whose channels are `bands`.

    Args:
        spec: `vit_tiny_p8`, `timm:<name>[?pretrained=false|?file=<weights>]`, `hf:<repo or
            folder>`, or `ckpt:<encoder.safetensors or its folder>`; options may follow `?`
            (`pooling=mean`, `adapt=inflate`, ...).
        bands: band names of the data's channels, in order. Randomly initialised models are
            built with one input channel per band; pretrained ones must fit them, or `adapt`
            must name a strategy.
        img_size: input side in pixels (None: the model's natural size).
        adapt: band strategy: `select:g,r,z`, `inflate` or `adapter` (see band_adapter).
        pooling: "cls" or "mean" for transformers (None: the model's default).

    Returns:
        A Backbone in eval mode.

    Raises:
        UnknownNameError: no such built-in name or scheme.
        BandError: the bands do not fit and no strategy was named.
        WeightsNotFoundError: pretrained weights are not available locally.
    """
    parsed = parse_spec(spec)
    factory = source_of(parsed)
    adapt = adapt or parsed.options.get("adapt") or None
    pooling = pooling or parsed.options.get("pooling") or None
    options = BuildOptions(_in_chans(parsed.sized_to_data, bands, adapt), img_size, pooling)
    # Random initialisation (built-ins, ?pretrained=false, adapters) is a function of the
    # spec's seed, so a random baseline is the same model every time (and its cache hits).
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(parsed.options.get("seed", 0)))
        backbone: Backbone = factory(parsed, options)
        if bands is not None:
            backbone = adapt_bands(backbone, bands, adapt)
    return backbone.eval()


def _in_chans(sized_to_data: bool, bands: Sequence[str] | None, adapt: str | None) -> int | None:
    """Channels a model built for the data has: one per band (or per selected band)."""
    if not sized_to_data or bands is None:
        return None
    if adapt is None:
        return len(bands)
    if adapt.startswith("select:"):
        return len([b for b in adapt.removeprefix("select:").split(",") if b.strip()])
    return None


def natural_img_size(spec: str, data_img_size: int) -> int | None:
    """The img_size to build `spec` with for data of side `data_img_size` when none is asked.

    Models built for the data (built-ins, `timm:...?pretrained=false`) take the data's size
    (nothing to resize); pretrained ones, and random-init copies of them, keep their own size.
    """
    return data_img_size if parse_spec(spec).sized_to_data else None
