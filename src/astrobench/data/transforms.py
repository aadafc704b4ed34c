"""Sample -> sample transforms on cutouts: `sample["image"]` is a float32 tensor [C, H, W].

Deterministic transforms (stretches, normalisation, crops, band selection) are plain callables.
Random ones (rotation, flips, noise) take an optional `torch.Generator`; without one they draw
from torch's global RNG, which DataLoader seeds per worker, so a seeded loader is reproducible.
Every transform is vectorised over pixels; none loops over pixels or bands in Python.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from astrobench.errors import BandError, ConfigError, DataFormatError

Sample = dict[str, Any]
Transform = Callable[[Sample], Sample]


def _per_band(values: float | Sequence[float], image: torch.Tensor, what: str) -> torch.Tensor:
    """A scalar or one value per band, as a tensor broadcastable to [C, H, W]."""
    tensor = torch.as_tensor(values, dtype=image.dtype, device=image.device).reshape(-1)
    n_bands = image.shape[-3]
    if tensor.numel() == 1:
        tensor = tensor.expand(n_bands)
    elif tensor.numel() != n_bands:
        raise BandError(
            f"{what} has {tensor.numel()} values for an image with {n_bands} bands",
            "give one value, or one per band",
        )
    return tensor.reshape(n_bands, 1, 1)  # [C, 1, 1]


def _with_image(sample: Sample, image: torch.Tensor) -> Sample:
    out = dict(sample)
    out["image"] = image
    return out


@dataclass
class Compose:
    """Apply transforms in order."""

    transforms: Sequence[Transform]

    def __call__(self, sample: Sample) -> Sample:
        for transform in self.transforms:
            sample = transform(sample)
        return sample


@dataclass
class SelectBands:
    """Keep `requested` bands, in that order, out of the image's `available` bands (by name)."""

    requested: Sequence[str]
    available: Sequence[str]
    indices: list[int] = field(init=False)

    def __post_init__(self) -> None:
        missing = [band for band in self.requested if band not in self.available]
        if missing:
            raise BandError(
                f"band(s) {', '.join(missing)} not available; the data has bands "
                f"{','.join(self.available)}",
                "choose bands from those the data has",
            )
        self.indices = [list(self.available).index(band) for band in self.requested]

    def __call__(self, sample: Sample) -> Sample:
        image = sample["image"]  # [C, H, W]
        return _with_image(sample, image[..., self.indices, :, :])  # [C', H, W]


@dataclass
class AsinhStretch:
    """x -> asinh(x / softening) per band: linear near 0, logarithmic for bright pixels."""

    softening: float | Sequence[float] = 1.0

    def __post_init__(self) -> None:
        if np.any(np.asarray(self.softening, dtype=np.float64) <= 0):
            raise ConfigError(f"asinh softening must be > 0, got {self.softening}")

    def __call__(self, sample: Sample) -> Sample:
        image = sample["image"]
        soft = _per_band(self.softening, image, "asinh softening")
        return _with_image(sample, torch.asinh(image / soft))


@dataclass
class ZScore:
    """(x - mean) / std per band, with statistics fitted on the training split (see `fit`)."""

    mean: Sequence[float]
    std: Sequence[float]
    bands: Sequence[str] | None = None

    def __post_init__(self) -> None:
        self.mean = [float(m) for m in self.mean]
        self.std = [float(s) for s in self.std]
        if len(self.mean) != len(self.std) or any(s <= 0 for s in self.std):
            raise ConfigError("z-score needs as many means as stds, and every std > 0")

    def __call__(self, sample: Sample) -> Sample:
        image = sample["image"]
        mean = _per_band(self.mean, image, "z-score mean")
        std = _per_band(self.std, image, "z-score std")
        return _with_image(sample, (image - mean) / std)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able statistics (stored with checkpoints and embedding-cache keys)."""
        return {"kind": "zscore", "mean": self.mean, "std": self.std, "bands": self.bands}

    @classmethod
    def from_dict(cls, stats: dict[str, Any]) -> ZScore:
        """Inverse of `to_dict`."""
        if stats.get("kind") != "zscore":
            raise ConfigError(f"not z-score statistics: {stats}")
        bands = stats.get("bands")
        return cls(stats["mean"], stats["std"], list(bands) if bands is not None else None)

    @classmethod
    def fit(
        cls,
        path: str | os.PathLike[str],
        indices: Sequence[int] | np.ndarray,
        *,
        max_objects: int = 2000,
        seed: int = 0,
        before: Transform | None = None,
        block_objects: int = 256,
    ) -> ZScore:
        """Per-band mean and std over (a seeded sample of at most `max_objects` of) `indices`.

        Args:
            path: a cutout file.
            indices: the objects to fit on, normally the training split.
            max_objects: sample at most this many objects (without replacement).
            seed: seed of that sample.
            before: a transform applied to each sample first (e.g. SelectBands, AsinhStretch),
                so the statistics describe what the z-score will actually see.
            block_objects: objects read per block (bounds memory).
        """
        from astrobench.data.cutout_file import CutoutFile

        chosen = np.asarray(indices, dtype=np.int64)
        if chosen.size == 0:
            raise DataFormatError("cannot fit z-score statistics on zero objects")
        if chosen.size > max_objects:
            rng = np.random.default_rng(seed)
            chosen = rng.choice(chosen, size=max_objects, replace=False)
        chosen = np.sort(chosen)
        total = sum_sq = None
        n_pixels = 0
        with CutoutFile(path) as cutouts:
            bands: list[str] = list(cutouts.bands)
            for start in range(0, chosen.size, block_objects):
                block = torch.from_numpy(cutouts.read_images(chosen[start : start + block_objects]))
                if before is not None:
                    block = torch.stack([before({"image": img})["image"] for img in block])
                values = block.to(torch.float64).transpose(0, 1).reshape(block.shape[1], -1)
                total = values.sum(1) if total is None else total + values.sum(1)  # [C]
                sq = (values * values).sum(1)
                sum_sq = sq if sum_sq is None else sum_sq + sq
                n_pixels += values.shape[1]
        assert total is not None and sum_sq is not None
        mean = total / n_pixels
        std = torch.sqrt(torch.clamp(sum_sq / n_pixels - mean * mean, min=0.0))
        std = torch.where(std > 0, std, torch.ones_like(std))  # a constant band stays finite
        selected = getattr(before, "requested", None)
        return cls(mean.tolist(), std.tolist(), list(selected) if selected else bands)


@dataclass
class PercentileClip:
    """Clip each band to its own [low, high] percentiles; optionally rescale that to [0, 1]."""

    low_percent: float = 0.5
    high_percent: float = 99.5
    rescale: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.low_percent < self.high_percent <= 100:
            raise ConfigError(
                f"percentiles must satisfy 0 <= low < high <= 100, got "
                f"{self.low_percent}, {self.high_percent}"
            )

    def __call__(self, sample: Sample) -> Sample:
        image = sample["image"]  # [C, H, W]
        flat = image.reshape(image.shape[0], -1).float()  # [C, H*W]
        q = torch.tensor([self.low_percent, self.high_percent], dtype=flat.dtype) / 100
        low, high = torch.quantile(flat, q.to(flat.device), dim=1)  # [C], [C]
        low, high = low.reshape(-1, 1, 1), high.reshape(-1, 1, 1)
        clipped = torch.clamp(image, min=low, max=high)
        if self.rescale:
            clipped = (clipped - low) / torch.clamp(high - low, min=1e-12)
        return _with_image(sample, clipped.to(image.dtype))


@dataclass
class CenterCrop:
    """The central `size` x `size` pixels (`size` may be (height, width))."""

    size: int | tuple[int, int]

    def __call__(self, sample: Sample) -> Sample:
        image = sample["image"]
        out_h, out_w = (self.size, self.size) if isinstance(self.size, int) else self.size
        h, w = image.shape[-2:]
        if out_h > h or out_w > w:
            raise ConfigError(
                f"cannot centre-crop a {h}x{w} image to {out_h}x{out_w}",
                "crop to at most the image size, or Resize up first",
            )
        top, left = (h - out_h) // 2, (w - out_w) // 2
        return _with_image(sample, image[..., top : top + out_h, left : left + out_w])


@dataclass
class Resize:
    """Resample to `size` x `size` pixels (bilinear, antialiased when shrinking)."""

    size: int | tuple[int, int]
    mode: str = "bilinear"

    def __call__(self, sample: Sample) -> Sample:
        image = sample["image"]  # [C, H, W]
        size = (self.size, self.size) if isinstance(self.size, int) else tuple(self.size)
        if tuple(image.shape[-2:]) == size:
            return sample
        shrinking = size[0] < image.shape[-2] or size[1] < image.shape[-1]
        resized = F.interpolate(
            image[None],
            size=size,
            mode=self.mode,
            align_corners=False if self.mode in ("bilinear", "bicubic") else None,
            antialias=shrinking and self.mode in ("bilinear", "bicubic"),
        )[0]  # [C, H', W']
        return _with_image(sample, resized)


def rotate(image: torch.Tensor, angle_degrees: float, padding_mode: str = "zeros") -> torch.Tensor:
    """Rotate [C, H, W] about its centre (counter-clockwise as shown with origin top-left)."""
    h, w = image.shape[-2:]
    angle = math.radians(angle_degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    # Output pixel (normalised) -> input pixel, with the aspect ratio folded in so a
    # non-square image rotates rigidly in pixel space.
    theta = torch.tensor(
        [[cos, -sin * h / w, 0.0], [sin * w / h, cos, 0.0]], dtype=image.dtype, device=image.device
    )
    grid = F.affine_grid(theta[None], [1, *image.shape[-3:]], align_corners=False)  # [1, H, W, 2]
    rotated = F.grid_sample(
        image[None], grid, mode="bilinear", padding_mode=padding_mode, align_corners=False
    )
    return rotated[0]  # [C, H, W]


@dataclass
class RandomRotation:
    """Rotate by an angle drawn uniformly from [-max_degrees, max_degrees] (bilinear)."""

    max_degrees: float = 180.0
    padding_mode: str = "reflection"
    generator: torch.Generator | None = field(default=None, repr=False, compare=False)

    def __call__(self, sample: Sample) -> Sample:
        u = float(torch.rand((), generator=self.generator))
        angle = (2 * u - 1) * self.max_degrees
        return _with_image(sample, rotate(sample["image"], angle, self.padding_mode))


@dataclass
class RandomFlip:
    """Flip left-right and up-down, each with its own probability."""

    p_horizontal: float = 0.5
    p_vertical: float = 0.5
    generator: torch.Generator | None = field(default=None, repr=False, compare=False)

    def __call__(self, sample: Sample) -> Sample:
        u = torch.rand(2, generator=self.generator)
        dims = [
            d for d, flip in ((-1, u[0] < self.p_horizontal), (-2, u[1] < self.p_vertical)) if flip
        ]
        if not dims:
            return sample
        return _with_image(sample, torch.flip(sample["image"], dims))


@dataclass
class GaussianNoise:
    """Add Gaussian noise with a per-band standard deviation (image units)."""

    sigma: float | Sequence[float]
    generator: torch.Generator | None = field(default=None, repr=False, compare=False)

    def __call__(self, sample: Sample) -> Sample:
        image = sample["image"]
        sigma = _per_band(self.sigma, image, "noise sigma")
        noise = torch.randn(image.shape, generator=self.generator, dtype=image.dtype)
        return _with_image(sample, image + noise.to(image.device) * sigma)


def gaussian_kernel_1d(sigma_pixels: torch.Tensor, radius: int) -> torch.Tensor:
    """Normalised 1-D Gaussians, one row per sigma: [C, 2 * radius + 1]."""
    offsets = torch.arange(-radius, radius + 1, dtype=sigma_pixels.dtype)  # [K]
    kernel = torch.exp(-0.5 * (offsets[None, :] / sigma_pixels[:, None]) ** 2)  # [C, K]
    return kernel / kernel.sum(dim=1, keepdim=True)


@dataclass
class GaussianBlur:
    """Convolve each band with a Gaussian PSF of standard deviation `sigma_pixels` (per band).

    Flux is conserved away from the edges; edges are padded by reflection.
    """

    sigma_pixels: float | Sequence[float]

    def __post_init__(self) -> None:
        if np.any(np.asarray(self.sigma_pixels, dtype=np.float64) <= 0):
            raise ConfigError(f"blur sigma must be > 0 pixels, got {self.sigma_pixels}")

    @classmethod
    def from_fwhm(cls, fwhm_pixels: float | Sequence[float]) -> GaussianBlur:
        """A blur given the PSF full width at half maximum in pixels."""
        factor = 2 * math.sqrt(2 * math.log(2))
        return cls((np.asarray(fwhm_pixels, dtype=np.float64) / factor).tolist())

    def __call__(self, sample: Sample) -> Sample:
        image = sample["image"]  # [C, H, W]
        c, h, w = image.shape
        sigma = _per_band(self.sigma_pixels, image, "blur sigma").reshape(c).cpu().double()
        radius = max(1, math.ceil(3 * float(sigma.max())))
        kernel = gaussian_kernel_1d(sigma, radius).to(image.dtype).to(image.device)  # [C, K]
        mode = "reflect" if radius < min(h, w) else "replicate"
        padded = F.pad(
            image[None], (radius, radius, radius, radius), mode=mode
        )  # [1, C, H+2r, W+2r]
        # Separable: one depthwise pass along x, then one along y.
        blurred = F.conv2d(padded, kernel[:, None, None, :], groups=c)  # [1, C, H+2r, W]
        blurred = F.conv2d(blurred, kernel[:, None, :, None], groups=c)  # [1, C, H, W]
        return _with_image(sample, blurred[0])
