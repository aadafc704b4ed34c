"""The Hubble Deep Field pipeline: real cutouts; detection checked on a known synthetic field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.hubble_deep_field import DetectionSettings, make_hdf_cutouts, save_cutout_grid
from astrobench.data.validate import validate_cutout_file
from astrobench.errors import ConfigError, InsufficientDataError


def _field(sources: list[tuple[float, float, float, float]], seed: int = 0) -> np.ndarray:
    """uint8 [200, 240, 3]: Gaussian sources (x, y, sigma, amplitude) on a noisy sky."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:200, :240].astype(float)
    sky = 20 + rng.normal(0, 2, (200, 240))
    for x, y, sigma, amplitude in sources:
        sky += amplitude * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))
    return np.clip(np.repeat(sky[:, :, None], 3, axis=2), 0, 255).astype(np.uint8)


def test_known_sources_are_found_measured_and_centred(tmp_path: Path) -> None:
    sources = [(60.3, 50.7, 2.5, 150), (170.0, 120.0, 4.0, 120), (100.0, 150.0, 2.0, 100)]
    path = make_hdf_cutouts(tmp_path / "f.h5", size_px=16, image_rgb=_field(sources))
    with CutoutFile(path) as cutouts:
        x, y = cutouts.column("x_px"), cutouts.column("y_px")
        assert len(cutouts) == 3
        for sx, sy, sigma, _ in sources:
            i = int(np.argmin((x - sx) ** 2 + (y - sy) ** 2))
            assert abs(x[i] - sx) < 0.3 and abs(y[i] - sy) < 0.3
            # A Gaussian's half-light radius is sigma * sqrt(2 ln 2) = 1.18 sigma.
            assert cutouts.column("half_light_radius_px")[i] == pytest.approx(1.18 * sigma, rel=0.2)
            image = cutouts.read_image(i)  # [3, 16, 16]
            assert np.unravel_index(np.argmax(image[0]), image[0].shape) == (8, 8)
        assert (cutouts.column("segmentation_area_px") >= 10).all()
        assert cutouts.bands == ["R", "G", "B"]


def test_touching_sources_are_deblended(tmp_path: Path) -> None:
    image = _field([(110.0, 100.0, 3.0, 150), (122.0, 100.0, 3.0, 150)])
    path = make_hdf_cutouts(tmp_path / "pair.h5", size_px=16, image_rgb=image)
    with CutoutFile(path) as cutouts:
        assert len(cutouts) == 2
        assert cutouts.column("blended").tolist() == [1, 1]


def test_sources_at_the_edge_are_left_out(tmp_path: Path) -> None:
    image = _field([(5.0, 100.0, 2.5, 150), (120.0, 100.0, 2.5, 150)])
    with CutoutFile(make_hdf_cutouts(tmp_path / "e.h5", size_px=32, image_rgb=image)) as cutouts:
        assert len(cutouts) == 1 and cutouts.attrs["n_cut_at_edge"] == 1
    with pytest.raises(
        InsufficientDataError, match="no detected source lies 16 px inside the image"
    ):
        make_hdf_cutouts(tmp_path / "none.h5", image_rgb=_field([]))
    with pytest.raises(ConfigError, match="--size must be at least 8 px, got 4"):
        make_hdf_cutouts(tmp_path / "tiny.h5", size_px=4, image_rgb=image)


def test_real_hubble_deep_field_gives_over_100_valid_cutouts(tmp_path: Path, run_cli) -> None:
    code, out, _ = run_cli(
        "data", "hubble-deep-field", "--out", tmp_path / "hdf.h5", "--grid", tmp_path / "g.png"
    )
    assert code == 0 and "cutouts of 32 px" in out
    report = validate_cutout_file(tmp_path / "hdf.h5")
    assert report.n_objects >= 100
    with CutoutFile(tmp_path / "hdf.h5") as cutouts:
        assert cutouts.image_shape == (3, 32, 32)
        for column in ("x_px", "y_px", "flux", "segmentation_area_px", "half_light_radius_px"):
            assert cutouts.has_column(column)
        assert "JPEG" in cutouts.attrs["limits"]
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_grid_of_a_written_file(tmp_path: Path) -> None:
    image = _field([(60.0 + 30 * i, 100.0, 2.5, 150) for i in range(4)])
    path = make_hdf_cutouts(
        tmp_path / "f.h5",
        size_px=16,
        image_rgb=image,
        settings=DetectionSettings(threshold_sigma=5),
    )
    png = save_cutout_grid(path, tmp_path / "grid.png", n_side=2)
    from PIL import Image

    grid = np.asarray(Image.open(png).convert("L"), dtype=np.float64)  # [H, W]
    assert grid.shape == (128, 128)  # 2 x 2 tiles of 1 inch at 64 dpi
    # Each tile shows one centred source: its centre is bright, its corners are dark sky.
    for row in range(2):
        for col in range(2):
            tile = grid[row * 64 : (row + 1) * 64, col * 64 : (col + 1) * 64]
            centre, corner = tile[26:38, 26:38].max(), tile[6:14, 6:14].mean()
            assert centre > 200 and corner < 120, (row, col, centre, corner)
