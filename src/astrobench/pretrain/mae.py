"""Masked autoencoder (MAE) for multi-band cutouts: C-MAE (seed 000 §3) and AstroMAE (seed 001 §II).

The three steps of the paper, one method each:

1. `forward_encoder`: cut the image into patches, add fixed 2-D sin-cos position embeddings,
   keep a random 25 % of the patches (`random_masking`) and run only those through the ViT
   encoder. This asymmetry is what makes MAE cheap: the encoder sees a quarter of the tokens.
2. `forward_decoder`: put the encoded visible tokens back in place among learned mask tokens,
   add position embeddings and run a light transformer decoder (default 1 block, width
   <= 512 and <= the encoder width) that predicts every patch's pixels, all bands.
3. `forward_loss`: mean squared error between predicted and true pixels on the masked patches
   only, optionally against per-patch normalised pixels (MAE's `norm_pix_loss`).

The encoder is a timm `VisionTransformer` from `astrobench.models.vit.build_vit` (layer "plain"
or "pcm"), without a class token and with global average pooling by default as in C-MAE, so
after pretraining it is exported as-is and loaded as a backbone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from timm.layers.pos_embed_sincos import build_sincos2d_pos_embed
from timm.models.vision_transformer import Block, VisionTransformer
from torch import nn

from astrobench.errors import ConfigError
from astrobench.models.pcm_block import PcmBlock, block_fn_for
from astrobench.models.vit import build_vit, vit_size


@dataclass(frozen=True)
class MaeConfig:
    """Everything that defines an MAE model (stored with checkpoints and the exported encoder)."""

    arch: str = "vit_tiny"
    patch_size: int = 8
    img_size: int = 32
    in_chans: int = 5
    layer: str = "plain"  # "plain" or "pcm" (AstroMAE's parallel convolution module)
    pooling: str = "mean"  # "mean" (global average pooling, no class token) or "cls"
    mask_ratio: float = 0.75
    decoder_depth: int = 1
    decoder_width: int | None = None  # None: min(512, encoder width)
    norm_pix_loss: bool = False

    def resolved_decoder_width(self) -> int:
        width = self.decoder_width or min(512, vit_size(self.arch).embed_dim)
        return width

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def check_mae_config(config: MaeConfig) -> None:
    """Raise a ConfigError for an impossible configuration (before any work is done)."""
    vit_size(config.arch)
    block_fn_for(config.layer)
    if config.patch_size <= 0 or config.img_size % config.patch_size:
        raise ConfigError(
            f"patch size {config.patch_size} does not divide the image size {config.img_size} px",
            "choose a patch size that divides the (cropped) image side, e.g. --patch 8 for 32 px",
        )
    if not 0.0 < config.mask_ratio < 1.0:
        raise ConfigError(f"mask ratio must be in (0, 1), got {config.mask_ratio}", "use e.g. 0.75")
    if config.pooling not in ("mean", "cls"):
        raise ConfigError(f"unknown pooling {config.pooling!r}", "choose 'mean' or 'cls'")
    width = config.resolved_decoder_width()
    if config.decoder_depth < 1 or width < 16 or width % 16:
        raise ConfigError(
            f"decoder of depth {config.decoder_depth} and width {width} is not possible",
            "use depth >= 1 and a width that is a multiple of 16",
        )


def sincos_pos_embed(grid_size: int, dim: int, n_prefix: int) -> torch.Tensor:
    """Fixed 2-D sin-cos position embeddings [1, P + grid**2, dim]; zeros for P prefix tokens."""
    grid = build_sincos2d_pos_embed([grid_size, grid_size], dim=dim)  # [h*w, dim]
    return torch.cat([torch.zeros(n_prefix, dim), grid], dim=0).unsqueeze(0)


def build_encoder(config: MaeConfig) -> VisionTransformer:
    """The ViT encoder of `config`, with frozen sin-cos position embeddings."""
    encoder = build_vit(
        config.arch,
        config.patch_size,
        config.img_size,
        config.in_chans,
        pooling=config.pooling,
        class_token=config.pooling == "cls",
        layer=config.layer,
    )
    grid = config.img_size // config.patch_size
    assert encoder.pos_embed is not None
    encoder.pos_embed.data.copy_(
        sincos_pos_embed(grid, encoder.embed_dim, encoder.num_prefix_tokens)
    )
    encoder.pos_embed.requires_grad_(False)
    return encoder


class MaskedAutoencoder(nn.Module):
    """MAE with a timm ViT encoder and a light transformer decoder, for any number of bands."""

    def __init__(self, config: MaeConfig) -> None:
        super().__init__()
        check_mae_config(config)
        self.config = config
        self.patch_size = config.patch_size
        self.grid_size = config.img_size // config.patch_size
        self.encoder = build_encoder(config)
        enc_dim = self.encoder.embed_dim
        dec_dim = config.resolved_decoder_width()
        n_prefix = self.encoder.num_prefix_tokens
        self.decoder_embed = nn.Linear(enc_dim, dec_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dec_dim))
        self.decoder_pos_embed = nn.Parameter(
            sincos_pos_embed(self.grid_size, dec_dim, n_prefix), requires_grad=False
        )
        self.decoder_blocks = nn.ModuleList(
            Block(dec_dim, max(1, dec_dim // 32), mlp_ratio=4.0, qkv_bias=True)
            for _ in range(config.decoder_depth)
        )
        self.decoder_norm = nn.LayerNorm(dec_dim)
        self.decoder_pred = nn.Linear(dec_dim, config.patch_size**2 * config.in_chans)
        self._init_decoder()

    def _init_decoder(self) -> None:
        nn.init.normal_(self.mask_token, std=0.02)
        for module in [self.decoder_embed, self.decoder_pred, *self.decoder_blocks.modules()]:
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def patchify(self, imgs: torch.Tensor) -> torch.Tensor:
        """imgs [B, C, H, W] -> patches [B, L, p*p*C] in the encoder's patch order."""
        batch, chans, _, _ = imgs.shape
        p, g = self.patch_size, self.grid_size
        x = imgs.reshape(batch, chans, g, p, g, p)  # [B, C, h, p, w, p]
        x = x.permute(0, 2, 4, 3, 5, 1)  # [B, h, w, p, p, C]
        return x.reshape(batch, g * g, p * p * chans)

    def unpatchify(self, patches: torch.Tensor) -> torch.Tensor:
        """patches [B, L, p*p*C] -> imgs [B, C, H, W] (inverse of `patchify`)."""
        batch = patches.shape[0]
        p, g = self.patch_size, self.grid_size
        chans = patches.shape[2] // (p * p)
        x = patches.reshape(batch, g, g, p, p, chans)  # [B, h, w, p, p, C]
        x = x.permute(0, 5, 1, 3, 2, 4)  # [B, C, h, p, w, p]
        return x.reshape(batch, chans, g * p, g * p)

    def random_masking(
        self, x: torch.Tensor, mask_ratio: float
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Keep a random subset of tokens per sample, by argsort of uniform noise.

        Args:
            x: patch tokens [B, L, D].
            mask_ratio: fraction of tokens to drop.

        Returns:
            x_visible [B, L_keep, D]; mask [B, L] (1 = masked, in original order);
            ids_restore [B, L] (undo the shuffle); ids_keep [B, L_keep] (grid positions kept).
        """
        batch, length, dim = x.shape
        n_keep = max(1, round(length * (1 - mask_ratio)))
        noise = torch.rand(batch, length, device=x.device)  # [B, L]
        ids_shuffle = torch.argsort(noise, dim=1)  # [B, L] ascending: small noise is kept
        ids_restore = torch.argsort(ids_shuffle, dim=1)  # [B, L]
        ids_keep = ids_shuffle[:, :n_keep]  # [B, L_keep]
        x_visible = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, dim))  # [B, L_keep, D]
        mask = torch.ones(batch, length, device=x.device)  # [B, L]
        mask[:, :n_keep] = 0
        mask = torch.gather(mask, 1, ids_restore)  # [B, L] back in grid order
        return x_visible, mask, ids_restore, ids_keep

    def forward_encoder(
        self, imgs: torch.Tensor, mask_ratio: float
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """imgs [B, C, H, W] -> latent [B, P + L_keep, D], mask [B, L], ids_restore [B, L]."""
        enc = self.encoder
        n_prefix = enc.num_prefix_tokens
        assert enc.pos_embed is not None
        x = enc.patch_embed(imgs)  # [B, L, D]
        x = x + enc.pos_embed[:, n_prefix:]  # [B, L, D]
        x, mask, ids_restore, ids_keep = self.random_masking(x, mask_ratio)  # [B, L_keep, D]
        if enc.cls_token is not None:
            cls = (enc.cls_token + enc.pos_embed[:, :n_prefix]).expand(x.shape[0], -1, -1)
            x = torch.cat([cls, x], dim=1)  # [B, 1 + L_keep, D]
        for block in enc.blocks:
            if isinstance(block, PcmBlock):
                x = block(x, visible_ids=ids_keep, grid_size=self.grid_size)
            else:
                x = block(x)
        return enc.norm(x), mask, ids_restore

    def forward_decoder(self, latent: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
        """latent [B, P + L_keep, D] -> predicted pixels [B, L, p*p*C] for every patch."""
        n_prefix = self.encoder.num_prefix_tokens
        x = self.decoder_embed(latent)  # [B, P + L_keep, D_dec]
        batch, length = ids_restore.shape
        n_masked = length - (x.shape[1] - n_prefix)
        tokens = torch.cat([x[:, n_prefix:], self.mask_token.expand(batch, n_masked, -1)], dim=1)
        index = ids_restore.unsqueeze(-1).expand(-1, -1, x.shape[2])  # [B, L, D_dec]
        tokens = torch.gather(tokens, 1, index)  # [B, L, D_dec] unshuffled to grid order
        x = torch.cat([x[:, :n_prefix], tokens], dim=1) + self.decoder_pos_embed
        for block in self.decoder_blocks:
            x = block(x)
        x = self.decoder_norm(x)
        return self.decoder_pred(x)[:, n_prefix:]  # [B, L, p*p*C]

    def forward_loss(
        self, imgs: torch.Tensor, pred: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """Pixel MSE over masked patches: imgs [B, C, H, W], pred [B, L, p*p*C], mask [B, L]."""
        target = self.patchify(imgs)  # [B, L, p*p*C]
        if self.config.norm_pix_loss:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1.0e-6).sqrt()
        per_patch = ((pred.float() - target.float()) ** 2).mean(dim=-1)  # [B, L]
        return (per_patch * mask).sum() / mask.sum()

    def forward(
        self, imgs: torch.Tensor, mask_ratio: float | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """imgs [B, C, H, W] -> (loss, pred [B, L, p*p*C], mask [B, L])."""
        ratio = self.config.mask_ratio if mask_ratio is None else mask_ratio
        latent, mask, ids_restore = self.forward_encoder(imgs, ratio)
        pred = self.forward_decoder(latent, ids_restore)
        return self.forward_loss(imgs, pred, mask), pred, mask

    def param_groups(self, weight_decay: float) -> list[dict[str, object]]:
        """AdamW groups: decay on matrices and convolutions; none on norms, biases, tokens."""
        decay, no_decay = [], []
        for name, param in self.named_parameters():
            if not param.requires_grad:
                continue
            if param.ndim <= 1 or name.endswith(("cls_token", "mask_token")):
                no_decay.append(param)
            else:
                decay.append(param)
        return [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
