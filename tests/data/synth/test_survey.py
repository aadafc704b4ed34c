"""The synthetic survey file: determinism, contents, proportions, redraws, bad input."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from scipy.stats import chisquare

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.synth import CLASS_NAMES, get_preset, synthesize
from astrobench.errors import ConfigError, UnknownNameError

EXPECTED_COLUMNS = {
    "object_id",
    "label",
    "redshift",
    "log_mstar",
    "log_ssfr",
    "log_zmw",
    "age_mw_gyr",
    "bulge_fraction",
    "half_light_radius_arcsec",
    "sersic_n",
    "axis_ratio",
    "position_angle",
    "has_neighbour",
    "has_star",
    "has_edge_artefact",
}


def _all_datasets(path: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(
            lambda name, obj: (
                out.__setitem__(name, obj[()].tobytes()) if isinstance(obj, h5py.Dataset) else None
            )
        )
    return out


def test_same_seed_is_byte_identical_whatever_the_workers(tmp_path: Path) -> None:
    one = synthesize("sdss", 40, 3, tmp_path / "w1.h5", workers=1, size=32, progress=False)
    two = synthesize("sdss", 40, 3, tmp_path / "w2.h5", workers=2, size=32, progress=False)
    a, b = _all_datasets(one), _all_datasets(two)
    assert a.keys() == b.keys() and "images" in a and "spectra" in a
    assert all(a[k] == b[k] for k in a), [k for k in a if a[k] != b[k]]
    other = synthesize("sdss", 40, 4, tmp_path / "s4.h5", workers=1, size=32, progress=False)
    assert _all_datasets(other)["images"] != a["images"]


def test_file_layout_and_catalog_columns(sdss_300: Path) -> None:
    f = CutoutFile(sdss_300)
    assert len(f) == 300 and f.bands == ["u", "g", "r", "i", "z"]
    assert f.image_shape == (5, 64, 64) and f.pixel_scale_arcsec == pytest.approx(0.396)
    assert f.label_names == list(CLASS_NAMES) and CLASS_NAMES[4] == "Cigar Shaped Smooth"
    per_band = {f"{p}_{b}" for b in "ugriz" for p in ("mag", "magerr", "true_flux", "snr")}
    assert set(f.columns) == EXPECTED_COLUMNS | per_band
    assert np.array_equal(f.column("object_id"), np.arange(300))
    wave = f.wavelength_angstrom
    assert wave is not None and wave[0] == 3600 and wave[-1] == pytest.approx(9800)
    assert f.attrs["galsim_redraws"] == 0 and f.attrs["image_unit"] == "nanomaggy"
    z = f.column("redshift")
    assert z.min() >= 0.01 and z.max() <= 0.4 and 0.06 < np.median(z) < 0.2


def test_every_class_present_in_the_preset_proportions(sdss_300: Path) -> None:
    labels = CutoutFile(sdss_300).column("label")
    counts = np.bincount(labels, minlength=10)
    assert (counts > 0).all()
    fractions = np.asarray(get_preset("sdss").class_fractions, dtype=float)
    expected = fractions / fractions.sum() * len(labels)
    assert chisquare(counts, expected).pvalue > 1e-3


def test_galsim_errors_are_redrawn_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import galsim

    from astrobench.data.synth import scene

    real = scene.draw_scene
    calls = {"n": 0}

    def flaky(*args: object, **kwargs: object) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] in (2, 5):
            raise galsim.GalSimFFTSizeError("too big", 99999)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scene, "draw_scene", flaky)
    path = synthesize("desi-ls", 6, 0, tmp_path / "r.h5", size=32, spectra=False, progress=False)
    f = CutoutFile(path)
    assert f.attrs["galsim_redraws"] == 2 and len(f) == 6 and not f.has_spectra


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"preset": "hsc"}, UnknownNameError, "unknown synthetic survey preset 'hsc'"),
        ({"n": 0}, ConfigError, "--n must be at least 1, got 0"),
        ({"size": 4}, ConfigError, r"--size 4 is outside 16\.\.128"),
        ({"size": 512}, ConfigError, r"--size 512 is outside 16\.\.128"),
        ({"workers": 0}, ConfigError, "--workers must be at least 1, got 0"),
    ],
)
def test_bad_arguments_raise_and_leave_nothing(
    tmp_path: Path, kwargs: dict, error: type, message: str
) -> None:
    args = {"preset": "sdss", "n": 3, "seed": 0, "out": tmp_path / "bad.h5", **kwargs}
    with pytest.raises(error, match=message):
        synthesize(**args)
    assert list(tmp_path.iterdir()) == []
