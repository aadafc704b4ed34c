"""What an astronomer would check first: colours, sizes, photometry and spectra tell one story."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.integrate import trapezoid
from scipy.stats import spearmanr

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.synth.catalog.photometry import asinh_magnitude
from astrobench.data.synth.morphology import SMOOTH_CLASSES

HALPHA, D4000_BLUE, D4000_RED = 6562.8, (3850.0, 3950.0), (4000.0, 4100.0)


def test_smooth_galaxies_redden_with_redshift(sdss_300: Path) -> None:
    f = CutoutFile(sdss_300)
    smooth = np.isin(f.column("label"), SMOOTH_CLASSES)
    z, g_r = f.column("redshift")[smooth], (f.column("mag_g") - f.column("mag_r"))[smooth]
    low, high = z < np.percentile(z, 33), z > np.percentile(z, 67)
    assert np.median(g_r[high]) > np.median(g_r[low]) + 0.08


def test_apparent_size_shrinks_with_redshift(sdss_300: Path) -> None:
    # Disks: their size grows slowly with luminosity (R ~ L^0.26), so the flux limit's bias to
    # luminous galaxies at high z cannot undo the angular shrinking. (For ellipticals, R ~ L^0.6
    # nearly cancels it, as in real magnitude-limited samples; see docs/synthetic_survey.md.)
    f = CutoutFile(sdss_300)
    labels, z, hlr = f.column("label"), f.column("redshift"), f.column("half_light_radius_arcsec")
    near = (labels == 7) & (z < 0.08)
    far = (labels == 7) & (z > 0.15)
    assert near.sum() >= 4 and far.sum() >= 4
    assert np.median(hlr[far]) < 0.75 * np.median(hlr[near])


def test_magnitudes_follow_fluxes_and_zero_point(sdss_300: Path) -> None:
    f = CutoutFile(sdss_300)
    for band in "gri":
        mag, err, snr = f.column(f"mag_{band}"), f.column(f"magerr_{band}"), f.column(f"snr_{band}")
        true_mag = 22.5 - 2.5 * np.log10(f.column(f"true_flux_{band}"))
        bright = snr > 30
        offset = mag[bright] - true_mag[bright]  # aperture loss: measured is a little fainter
        assert bright.sum() > 100 and 0.0 < np.median(offset) < 0.4
        assert np.percentile(np.abs(offset), 90) < 0.8
        assert np.allclose(err[bright], 2.5 / np.log(10) / snr[bright], rtol=0.02)
    flux = np.array([1e-3, 1.0, 100.0, 1e4])
    assert np.allclose(
        asinh_magnitude(flux, np.full(4, 0.1))[2:], 22.5 - 2.5 * np.log10(flux[2:]), atol=1e-3
    )


def _window_mean(wave: np.ndarray, spec: np.ndarray, lo: float, hi: float) -> float:
    return float(spec[(wave >= lo) & (wave <= hi)].mean())


def test_halpha_equivalent_width_rises_with_ssfr(sdss_300: Path) -> None:
    f = CutoutFile(sdss_300)
    wave = f.wavelength_angstrom
    assert wave is not None
    z, ssfr = f.column("redshift"), f.column("log_ssfr")
    ew, used = [], []
    for i in np.flatnonzero(z < 0.45)[:150]:
        spec, c = f.read_spectrum(int(i)), HALPHA * (1 + z[i])
        continuum = 0.5 * (
            _window_mean(wave, spec, c - 90, c - 50) + _window_mean(wave, spec, c + 60, c + 100)
        )
        line = (spec[np.abs(wave - c) <= 12] - continuum).sum() * (wave[1] - wave[0])
        ew.append(line / max(continuum, 1e-3) / (1 + z[i]))
        used.append(ssfr[i])
    assert spearmanr(used, ew).statistic > 0.6


def test_break_and_lines_sit_at_the_catalog_redshift(sdss_300: Path) -> None:
    f = CutoutFile(sdss_300)
    wave = f.wavelength_angstrom
    assert wave is not None
    z, labels, ssfr = f.column("redshift"), f.column("label"), f.column("log_ssfr")
    breaks, wrong = [], []
    for i in np.flatnonzero(np.isin(labels, SMOOTH_CLASSES))[:40]:
        spec = f.read_spectrum(int(i))
        for shift, out in ((1 + z[i], breaks), (1 + z[i] + 0.08, wrong)):
            red = _window_mean(wave, spec, D4000_RED[0] * shift, D4000_RED[1] * shift)
            out.append(red / _window_mean(wave, spec, D4000_BLUE[0] * shift, D4000_BLUE[1] * shift))
    assert np.median(breaks) > 1.5 and np.median(breaks) > np.median(wrong) + 0.2
    offsets = []
    for i in np.flatnonzero((ssfr > -10.3) & (z < 0.45))[:40]:
        spec, c = f.read_spectrum(int(i)), HALPHA * (1 + z[i])
        near = np.abs(wave - c) < 60
        offsets.append(wave[near][np.argmax(spec[near])] - c)
    assert len(offsets) >= 10 and np.median(np.abs(offsets)) <= 4.0


def test_spectrum_and_image_tell_the_same_story(sdss_300: Path) -> None:
    """Synthetic r photometry of each spectrum matches the image's true r flux."""
    from astrobench.data.synth.seds import ALL_BANDS, sed_library

    f = CutoutFile(sdss_300)
    wave = f.wavelength_angstrom
    assert wave is not None
    library = sed_library()
    band = ALL_BANDS.index("r")
    band_wave = library.band_wavelength_angstrom[band]
    band_throughput = library.band_throughput[band]
    throughput = np.interp(wave, band_wave, band_throughput)
    f_nu_unit = 1e-17 * wave**2 / 2.99792458e18  # [L]: 1e-17 erg/s/cm^2/A -> erg/s/cm^2/Hz
    ratios = []
    for i in range(60):
        f_nu = f.read_spectrum(i) * f_nu_unit
        weight = throughput / wave
        mean_f_nu = trapezoid(f_nu * weight, wave) / trapezoid(weight, wave)
        ratios.append(mean_f_nu / 3.631e-29 / f.column("true_flux_r")[i])
    assert abs(np.median(ratios) - 1.0) < 0.03 and np.percentile(np.abs(np.log(ratios)), 90) < 0.1
