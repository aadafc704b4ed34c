"""`lora`: low-rank adapters (peft) on the backbone's linear/conv layers, plus the head
(seed 002 section 3.2.5: under 5 % of the parameters train).

Target modules are found from module types, not names, so the same code serves timm ViTs,
ConvNeXts and transformers models: by default the nn.Linear layers inside attention modules
(any module path containing "attn"/"attention"); with `lora_targets="all"` (or when a model has
no attention, e.g. a ConvNeXt or ResNet) every nn.Linear and non-depthwise nn.Conv2d inside the
backbone's blocks.
"""

from __future__ import annotations

from pydantic import Field
from torch import nn

from astrobench.errors import ConfigError
from astrobench.models.heads import BackboneWithHead
from astrobench.protocols.settings import TrainedSettings
from astrobench.protocols.trained import Prepared, trained_protocol
from astrobench.train import TrainConfig
from astrobench.train.layer_decay import param_groups

DEFAULT_RANK = 8
DEFAULT_ALPHA = 16
DEFAULT_DROPOUT = 0.0


def block_parameter_owners(model: nn.Module, block_names: set[str]) -> list[str]:
    """Names of modules whose own parameters lie in the backbone's block depth groups."""
    owners = []
    for name, module in model.named_modules():
        own = [f"{name}.{p}" if name else p for p, _ in module.named_parameters(recurse=False)]
        if own and any(p in block_names for p in own):
            owners.append(name)
    return owners


def lora_target_modules(
    backbone: nn.Module, depth_groups: list[list[str]], targets: str = "attention"
) -> list[str]:
    """Full names of the layers to adapt (see module docstring)."""
    if targets not in ("attention", "all"):
        raise ConfigError(f"unknown lora_targets {targets!r}", "use attention or all")
    blocks = {name for group in depth_groups[1:-1] for name in group}
    modules = dict(backbone.named_modules())
    candidates = [
        name for name in block_parameter_owners(backbone, blocks) if _adaptable(modules[name])
    ]
    attention = [n for n in candidates if isinstance(modules[n], nn.Linear) and _in_attention(n)]
    chosen = attention if targets == "attention" and attention else candidates
    if not chosen:
        raise ConfigError(
            "found no linear or convolution layer to adapt with LoRA", "use another mode"
        )
    return chosen


def _adaptable(module: nn.Module) -> bool:
    if isinstance(module, nn.Linear):
        return True
    return isinstance(module, nn.Conv2d) and module.groups == 1


def _in_attention(name: str) -> bool:
    return any("attn" in part.lower() or "attention" in part.lower() for part in name.split("."))


def add_lora(
    backbone: nn.Module, targets: list[str], rank: int, alpha: int, dropout: float
) -> None:
    """Inject peft LoRA layers into `backbone` in place."""
    from peft import LoraConfig, inject_adapter_in_model

    if rank < 1:
        raise ConfigError(f"--lora-rank must be >= 1, got {rank}")
    config = LoraConfig(
        r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets, bias="none"
    )
    inject_adapter_in_model(config, backbone)


class LoraSettings(TrainedSettings):
    """Training settings plus the adapters' rank, scale, dropout and which layers get them."""

    lora_rank: int = Field(default=DEFAULT_RANK, ge=1)
    lora_alpha: int = Field(default=DEFAULT_ALPHA, ge=1)
    lora_dropout: float = Field(default=DEFAULT_DROPOUT, ge=0, lt=1)
    lora_targets: str = "attention"


@trained_protocol("lora", LoraSettings)
def prepare_lora(model: BackboneWithHead, settings: LoraSettings, config: TrainConfig) -> Prepared:
    """LoRA adapters + head train; every original backbone weight stays frozen."""
    rank, alpha, dropout = settings.lora_rank, settings.lora_alpha, settings.lora_dropout
    targets = lora_target_modules(
        model.backbone, model.backbone.depth_groups(), settings.lora_targets
    )
    add_lora(model.backbone, targets, rank, alpha, dropout)
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name.startswith("head") or "lora_" in name)
    trainable = [p for p in model.parameters() if p.requires_grad]
    return Prepared(
        param_groups(model, config.weight_decay),
        info={
            "lora_rank": rank,
            "lora_alpha": alpha,
            "lora_dropout": dropout,
            "lora_targets": len(targets),
            "lora_trainable": sum(p.numel() for p in trainable),
        },
    )
