"""Backbone spec strings: `scheme:name?key=value&...` or a built-in name.

Examples: `vit_tiny_p8`, `vit_tiny_p8?pooling=mean`, `timm:resnet18?pretrained=false`,
`timm:vit_small_patch16_224?file=/weights/vit_s.safetensors`, `hf:facebook/dinov2-small`,
`hf:/local/folder`, `ckpt:runs/mae/encoder.safetensors`, `ckpt:runs/mae?init=random`,
`catalog:mag_u,mag_g,mag_r,mag_i,mag_z`. The schemes are the keys of the BACKBONES registry
(one `BackboneSource` each, see models/source.py); a spec without one is a built-in name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from astrobench.errors import ConfigError

BUILTIN = "builtin"  # the registry key of the built-in names
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class BackboneSpec:
    """A parsed spec. `scheme` is "" for built-in names; `registry_key` is what is looked up."""

    raw: str
    scheme: str
    name: str
    options: dict[str, str] = field(default_factory=dict)

    @property
    def registry_key(self) -> str:
        return self.scheme or BUILTIN

    def flag(self, key: str, default: bool) -> bool:
        """A boolean option (`?pretrained=false`), or `default` when absent."""
        value = self.options.get(key)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ConfigError(
            f"backbone option {key}={value!r} in {self.raw!r} is not a boolean",
            f"write {key}=true or {key}=false",
        )

    @property
    def is_random_init(self) -> bool:
        """True when the weights are freshly initialised (built-ins, `?pretrained=false`,
        `?init=random`)."""
        from astrobench.models.source import source_of

        return source_of(self).random_init(self)

    @property
    def sized_to_data(self) -> bool:
        """True when the architecture is built for the data (channels, image side)."""
        from astrobench.models.source import source_of

        return source_of(self).sized_to_data(self)


@dataclass(frozen=True)
class BuildOptions:
    """What the caller asks of a backbone factory.

    Attributes:
        in_chans: input channels a randomly initialised model should be built with (None: the
            model's own default). Pretrained models ignore it; band adaptation happens later.
        img_size: input side in pixels (None: the model's natural size).
        pooling: "cls" or "mean" for ViTs, None for the model's default.
    """

    in_chans: int | None = None
    img_size: int | None = None
    pooling: str | None = None


def parse_spec(spec: str) -> BackboneSpec:
    """Parse `scheme:name?key=value&...`; a spec without a known scheme is a built-in name."""
    text = spec.strip()
    if not text:
        raise ConfigError("empty backbone spec", "give e.g. vit_tiny_p8 or timm:resnet18")
    body, _, query = text.partition("?")
    scheme, sep, name = body.partition(":")
    if not sep or scheme == BUILTIN or scheme not in _schemes():
        scheme, name = "", body
    if not name:
        raise ConfigError(f"backbone spec {spec!r} names no model", f"e.g. {scheme}:<name>")
    try:
        options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
    except ValueError as exc:
        raise ConfigError(
            f"cannot read the options of backbone spec {spec!r}", "write ?key=value&key=value"
        ) from exc
    return BackboneSpec(raw=text, scheme=scheme, name=name, options=options)


def _schemes() -> list[str]:
    from astrobench.registry import BACKBONES

    return BACKBONES.names()
