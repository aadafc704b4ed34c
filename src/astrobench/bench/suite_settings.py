"""A suite's settings checked when it is loaded: every protocol known, every key typed.

A suite's top-level `settings` are defaults for every protocol; each is applied to the protocols
whose settings model has that key (a `train:` block reaches the training protocols only), and a
key no protocol of the suite knows is an error. Namespaced blocks (`embed`, `train`) are merged
key by key, the protocol's own entry winning. Pretraining steps are checked against the
pretrainer's settings model the same way. All of it happens before anything runs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from astrobench.errors import ConfigError

if TYPE_CHECKING:
    from astrobench.bench.suite import ProtocolSpec, Suite


def settings_model(protocol_name: str) -> type[BaseModel]:
    """The settings model of a registered protocol (UnknownNameError when there is none)."""
    from astrobench.registry import PROTOCOLS

    model: type[BaseModel] = PROTOCOLS.get(protocol_name).settings_model
    return model


def merged_settings(shared: Mapping[str, Any], protocol: ProtocolSpec) -> dict[str, Any]:
    """`shared` keys the protocol knows, overlaid by its own settings (namespaces merged)."""
    known = settings_model(protocol.name).model_fields
    merged = {k: v for k, v in shared.items() if k in known}
    for key, value in protocol.settings.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def protocol_labels(suite: Suite) -> list[str]:
    """Each protocol entry's report label: its own, its name, or its name and what differs."""
    counts = Counter(p.name for p in suite.protocols)
    labels = []
    for protocol in suite.protocols:
        if protocol.label:
            labels.append(protocol.label)
        elif counts[protocol.name] == 1 or _all_alike(suite, protocol.name):
            labels.append(protocol.name)
        else:
            flat = _flatten(protocol.settings)
            shown = ",".join(f"{k}={v}" for k, v in sorted(flat.items())) or "defaults"
            labels.append(f"{protocol.name}[{shown}]")
    return labels


def _all_alike(suite: Suite, name: str) -> bool:
    """Every entry of protocol `name` has the same settings (they expand to the same cells)."""
    settings = {json.dumps(p.settings, sort_keys=True, default=str) for p in suite.protocols
                if p.name == name}  # fmt: skip
    return len(settings) == 1


def check_suite_settings(suite: Suite, source: str) -> None:
    """Refuse, in one line, an unknown protocol, a misspelled setting or a wrong type."""
    from astrobench.protocols.settings import validate_settings

    models = {p.name: settings_model(p.name) for p in suite.protocols}
    known_anywhere = {key for model in models.values() for key in model.model_fields}
    for key in suite.settings:
        if key not in known_anywhere:
            raise ConfigError(
                f"{source}: settings: unknown setting {key!r} (no protocol of this suite has it)",
                f"valid settings: {', '.join(sorted(known_anywhere))}",
            )
    for index, protocol in enumerate(suite.protocols):
        where = f"{source}: protocols[{index}] ({protocol.name})"
        validate_settings(models[protocol.name], suite.protocol_settings(protocol), where)
    labels = suite.protocol_labels()
    entries = {(label, json.dumps(p.settings, sort_keys=True, default=str), p.name)
               for label, p in zip(labels, suite.protocols, strict=True)}  # fmt: skip
    seen = [label for label, _, _ in entries]
    repeated = sorted({label for label in seen if seen.count(label) > 1})
    if repeated:  # one label for entries that differ: their rows would be merged as seeds
        raise ConfigError(
            f"{source}: two protocol entries share the label {repeated[0]!r}",
            "give each entry its own `label:` or different settings",
        )
    for step in suite.pretrain:
        _check_pretrain_settings(step.method, step.settings, f"{source}: pretrain {step.name}")


def _check_pretrain_settings(method: str, settings: Mapping[str, Any], where: str) -> None:
    from astrobench.pretrain.settings import pretrainer_settings_model
    from astrobench.protocols.settings import validate_settings
    from astrobench.registry import PRETRAINERS

    model = pretrainer_settings_model(PRETRAINERS.get(method))
    validate_settings(model, settings, where)


def _flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
