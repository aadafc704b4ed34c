"""Parameter names grouped by depth: [stem / embedding, block 1, ..., block L, final norm].

timm models describe their own grouping (`group_matcher`), which we reuse; other models (Hugging
Face, custom wrappers) are grouped by the first numbered container in each parameter name
(`encoder.layer.3.`, `blocks.7.`, `stages.2.`): names before the first block form the stem group,
names after the last block (final norm, pooler) form the final group.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from torch import nn

# A numbered block container: "...layer.3.", "blocks.11.", "stages.2.", "layers.0."
_BLOCK = re.compile(r"(?:^|\.)(?:layer|layers|block|blocks|stages|stage)\.(\d+)\.")
# A parameter inside an indexed sub-module ("layer4.0.conv1.weight", "blocks.11.attn...").
_INDEXED = re.compile(r"\.\d+\.")
# timm's marker for "belongs to the previous group" (used for the final norm of ViTs)
_MATCH_PREV_GROUP = (99999,)


def depth_groups_by_name(names: Sequence[str]) -> list[list[str]]:
    """Group parameter names by the index of their numbered block container."""
    stem: list[str] = []
    blocks: dict[int, list[str]] = {}
    final: list[str] = []
    for name in names:
        found = _BLOCK.search(name)
        if found is not None:
            blocks.setdefault(int(found.group(1)), []).append(name)
        elif blocks:
            final.append(name)
        else:
            stem.append(name)
    # Always L + 2 groups (an empty stem or final group where the model has none), so that
    # "last group = final norm" holds for layer decay, `partial` and LoRA.
    return [stem] + [blocks[i] for i in sorted(blocks)] + [final]


def timm_depth_groups(model: nn.Module, prefix: str = "") -> list[list[str]]:
    """Depth groups of a timm model from its `group_matcher`, names prefixed by `prefix`."""
    names = [name for name, _ in model.named_parameters()]
    matcher = getattr(model, "group_matcher", None)
    if matcher is None:
        groups = depth_groups_by_name(names)
    else:
        from timm.models._manipulate import group_with_matcher

        split = _final_norm_apart(matcher(coarse=True))
        by_id = group_with_matcher(((name, None) for name in names), split)
        groups = [list(by_id[i]) for i in sorted(by_id)]
        if groups and any(_INDEXED.search(name) for name in groups[-1]):
            groups.append([])  # the top group is a block (ResNet's layer4): no final norm
    return [[prefix + name for name in group] for group in groups]


def _final_norm_apart(matcher: Any) -> Any:
    """timm merges a ViT's final norm into the last block; give it its own group instead."""
    if not isinstance(matcher, dict):
        return matcher
    out: dict[str, Any] = {}
    final: list[tuple[str, None]] = []
    for key, spec in matcher.items():
        if isinstance(spec, (list, tuple)):
            kept = [entry for entry in spec if tuple(entry[1] or ()) != _MATCH_PREV_GROUP]
            final += [(entry[0], None) for entry in spec if entry not in kept]
            out[key] = kept
        else:
            out[key] = spec
    if final:
        out["final_norm"] = final
    return out
