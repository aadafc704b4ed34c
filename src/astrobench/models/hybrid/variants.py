"""Every architecture of seed 001 Table IV as a named variant: which parts it has and how its
ViT encoder starts.

A variant is a set of `parts` out of {vit, inception, magnitude} plus `init` ("pretrained": the
ViT encoder comes from MAE pretraining and stays frozen except its final norm, §III-A;
"scratch": the same architecture from random weights, every weight trained) and the encoder's
`layer` type (plain or pcm). The Inception branch, the magnitude block and the head always train
from random weights. `variant_for(parts, init, layer)` finds the variant of a combination.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from astrobench.errors import ConfigError
from astrobench.registry import Registry

PARTS = ("vit", "inception", "magnitude")
Init = Literal["pretrained", "scratch"]
SUPERVISED = "Supervised training (from scratch)"
FINE_TUNING = "Fine-tuning"


@dataclass(frozen=True)
class HybridVariant:
    """One architecture: its parts, the ViT's initialisation and layer type, its Table IV row."""

    name: str
    parts: frozenset[str]
    init: Init
    layer: str | None  # "plain" / "pcm" when the variant has a ViT, else None
    paper_name: str
    paper_group: str
    in_table_iv: bool = True

    @property
    def head_layers(self) -> int:
        """Linear layers of the head: three for Inception-only (Fig. 6b), two otherwise."""
        return 3 if self.parts == frozenset({"inception"}) else 2

    @property
    def frozen_encoder(self) -> bool:
        return "vit" in self.parts and self.init == "pretrained"


HYBRID_VARIANTS: Registry = Registry("hybrid variant")


def _register(variant: HybridVariant) -> None:
    HYBRID_VARIANTS.register(variant.name)(variant)


def _vit_variants(layer: str) -> None:
    for init, prefix, group in (
        ("pretrained", "", FINE_TUNING),
        ("scratch", "scratch-", SUPERVISED),
    ):
        label = "" if init == "pretrained" else "from-scratch "
        for extra, suffix, in_table in (
            ((), "", True),
            (("magnitude",), "-magnitude", True),
            (("inception",), "-inception", init == "pretrained"),
        ):
            _register(
                HybridVariant(
                    name=f"{prefix}{layer}-vit{suffix}",
                    parts=frozenset({"vit", *extra}),
                    init=init,  # type: ignore[arg-type]
                    layer=layer,
                    paper_name=f"{label}{layer}-ViT{suffix}",
                    paper_group=group,
                    in_table_iv=in_table,
                )
            )
        _register(
            HybridVariant(
                name=f"{prefix}{layer}-astromae",
                parts=frozenset(PARTS),
                init=init,  # type: ignore[arg-type]
                layer=layer,
                paper_name=f"Proposed {layer}-AstroMAE"
                if init == "pretrained"
                else f"from-scratch {layer}-AstroMAE",
                paper_group=group,
                in_table_iv=init == "pretrained",
            )
        )


for _layer in ("plain", "pcm"):
    _vit_variants(_layer)
_register(
    HybridVariant(
        "inception",
        frozenset({"inception"}),
        "scratch",
        None,
        "Inception-only redshift prediction",
        SUPERVISED,
    )
)
_register(
    HybridVariant(
        "henghes",
        frozenset({"inception", "magnitude"}),
        "scratch",
        None,
        "Henghes et al. [34]",
        SUPERVISED,
    )
)


def parse_parts(text: str | Iterable[str]) -> frozenset[str]:
    """`"vit,inception,magnitude"` (or a list) -> the set of parts; unknown names are an error."""
    items = text.split(",") if isinstance(text, str) else list(text)
    parts = frozenset(p.strip() for p in items if p.strip())
    unknown = sorted(parts - set(PARTS))
    if unknown or not parts:
        raise ConfigError(
            f"unknown hybrid part(s) {', '.join(unknown) or '(none given)'}",
            f"choose from {', '.join(PARTS)}, e.g. --parts vit,inception,magnitude",
        )
    return parts


def variant_for(
    parts: Iterable[str] | str, init: str = "pretrained", layer: str = "plain"
) -> HybridVariant:
    """The variant with these parts; `init` and `layer` matter only when a ViT is among them."""
    wanted = parse_parts(parts)
    if init not in ("pretrained", "scratch"):
        raise ConfigError(f"unknown init {init!r}", "use pretrained or scratch")
    for name in HYBRID_VARIANTS.names():
        v: HybridVariant = HYBRID_VARIANTS.get(name)
        if v.parts != wanted:
            continue
        if "vit" not in wanted or (v.init == init and v.layer == layer):
            return v
    raise ConfigError(
        f"no hybrid variant has parts {','.join(sorted(wanted))}, init {init}, layer {layer}",
        f"known variants: {', '.join(HYBRID_VARIANTS.names())}",
    )


def table_iv_variants() -> list[HybridVariant]:
    """The fourteen architectures of seed 001 Table IV, supervised ones first."""
    chosen = [HYBRID_VARIANTS.get(n) for n in HYBRID_VARIANTS.names()]
    return sorted(
        (v for v in chosen if v.in_table_iv),
        key=lambda v: (v.paper_group != SUPERVISED, v.name),
    )
