"""`astrobench data import`: FITS folders and NumPy arrays plus a catalog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.import_fits import import_fits_folder, read_fits_cutout
from astrobench.data.import_numpy import import_numpy_arrays

BANDS = "g,r,z"


def _cube(seed: int, shape: tuple[int, int, int] = (3, 8, 8)) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(">f4")  # big-endian, as in FITS


def _fits_folder(tmp_path: Path, n: int = 5, per_band: bool = False) -> tuple[Path, Path]:
    folder = tmp_path / "fits"
    folder.mkdir()
    for i in range(n):
        cube = _cube(i)
        if per_band:
            hdus = [fits.PrimaryHDU()] + [
                fits.ImageHDU(plane, name=band) for plane, band in zip(cube, "zrg", strict=True)
            ]  # stored out of order: matched by EXTNAME
            fits.HDUList(hdus).writeto(folder / f"obj_{i}.fits")
        else:
            hdu = fits.PrimaryHDU(cube)
            hdu.header["PIXSCALE"] = 0.262
            hdu.writeto(folder / f"obj_{i}.fits")
    catalog = tmp_path / "catalog.csv"
    pd.DataFrame(
        {
            "object_id": [f"obj_{i}" for i in reversed(range(n))],
            "morphology": ["spiral", "elliptical", "spiral", "merger", "spiral"][:n][::-1],
            "redshift": np.linspace(0.1, 0.5, n),
        }
    ).to_csv(catalog, index=False)
    return folder, catalog


def _no_output(tmp_path: Path, out: Path) -> bool:
    return not out.exists() and not [p for p in tmp_path.rglob("*.tmp")]


def test_fits_cube_folder_round_trip(tmp_path: Path) -> None:
    folder, catalog = _fits_folder(tmp_path)
    out = tmp_path / "mine.h5"
    report = import_fits_folder(
        folder, out, bands=BANDS.split(","), catalog=catalog, label_column="morphology"
    )
    assert report.n_objects == 5 and report.label_names == ["elliptical", "merger", "spiral"]
    with CutoutFile(out) as cutouts:
        assert cutouts.pixel_scale_arcsec == pytest.approx(0.262)  # from the header
        ids = list(cutouts.column("object_id"))
        assert ids == [f"obj_{i}" for i in reversed(range(5))]  # catalog order
        np.testing.assert_array_equal(cutouts.read_image(0), _cube(4).astype(np.float32))
        assert cutouts.column("label").tolist() == [2, 1, 2, 0, 2]
        assert cutouts.label_names == ["elliptical", "merger", "spiral"]


def test_big_endian_fits_becomes_native_float32(tmp_path: Path) -> None:
    folder, _ = _fits_folder(tmp_path, n=1)
    image = read_fits_cutout(folder / "obj_0.fits", ["g", "r", "z"])
    assert image.dtype == np.dtype("float32") and image.dtype.isnative


def test_one_extension_per_band_matched_by_name(tmp_path: Path) -> None:
    folder, catalog = _fits_folder(tmp_path, per_band=True)
    out = tmp_path / "ext.h5"
    import_fits_folder(folder, out, bands=["g", "r", "z"], catalog=catalog, pixel_scale_arcsec=0.2)
    with CutoutFile(out) as cutouts:
        cube = _cube(4).astype(np.float32)  # written as z, r, g
        np.testing.assert_array_equal(cutouts.read_image(0), cube[::-1])


def test_parquet_catalog_matched_by_file_name(tmp_path: Path) -> None:
    folder, _ = _fits_folder(tmp_path, n=3)
    catalog = tmp_path / "cat.parquet"
    pd.DataFrame(
        {
            "filename": ["obj_2.fits", "obj_0.fits", "obj_1.fits"],
            "label": [1, 0, 1],
            "split": ["train", "val", "test"],
        }
    ).to_parquet(catalog)
    out = tmp_path / "p.h5"
    import_fits_folder(folder, out, bands=["g", "r", "z"], catalog=catalog, label_names=["a", "b"])
    with CutoutFile(out) as cutouts:
        np.testing.assert_array_equal(cutouts.read_image(0), _cube(2).astype(np.float32))
        assert cutouts.column("split").tolist() == [0, 1, 2]
        assert cutouts.label_names == ["a", "b"]


def test_nan_mask_policy_counts(tmp_path: Path) -> None:
    folder, _ = _fits_folder(tmp_path, n=3)
    cube = _cube(1)
    cube[0, :2, :3] = np.nan
    fits.PrimaryHDU(cube).writeto(folder / "obj_1.fits", overwrite=True)
    report = import_fits_folder(
        folder,
        tmp_path / "m.h5",
        bands=["g", "r", "z"],
        catalog=None,
        pixel_scale_arcsec=0.3,
        nan_policy="mask",
    )
    assert (report.n_masked_pixels, report.n_masked_objects) == (6, 1)
    assert "6 NaN/inf pixels in 1 objects set to 0" in report.summary()
    with CutoutFile(tmp_path / "m.h5") as cutouts:
        assert np.isfinite(cutouts.read_images(np.arange(3))).all()


def test_numpy_nhwc_npz_and_nchw_npy_agree(tmp_path: Path) -> None:
    nchw = np.random.default_rng(0).normal(size=(300, 3, 6, 6)).astype(np.float32)
    np.save(tmp_path / "a.npy", nchw.astype(">f4"))
    np.savez(tmp_path / "b.npz", images=nchw.transpose(0, 2, 3, 1), other=np.zeros(3))
    pd.DataFrame({"redshift": np.arange(300) / 300}).to_csv(tmp_path / "c.csv", index=False)
    for name, layout in (("a.npy", "NCHW"), ("b.npz", "NHWC")):
        out = tmp_path / f"{name}.h5"
        import_numpy_arrays(
            tmp_path / name,
            out,
            bands=["g", "r", "z"],
            layout=layout,
            pixel_scale_arcsec=0.2,
            catalog=tmp_path / "c.csv",
        )
        with CutoutFile(out) as cutouts:
            np.testing.assert_array_equal(cutouts.read_images(np.arange(300)), nchw)
            assert cutouts.column("object_id").tolist() == list(range(300))
            assert cutouts.column("redshift")[150] == pytest.approx(0.5)


# --- error paths through the CLI: one line on stderr, exit 2, nothing left behind -------------
def _expect_cli_error(run_cli, tmp_path: Path, out: Path, args: list, message: str) -> None:
    code, _, err = run_cli("data", "import", *args, "--out", out)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert _no_output(tmp_path, out)


def test_cli_import_fits_and_info(tmp_path: Path, run_cli) -> None:
    folder, catalog = _fits_folder(tmp_path)
    out = tmp_path / "cli.h5"
    code, stdout, _ = run_cli(
        "data",
        "import",
        folder,
        "--catalog",
        catalog,
        "--bands",
        BANDS,
        "--label-column",
        "morphology",
        "--out",
        out,
    )
    assert code == 0 and f"wrote {out}: 5 objects, bands g,r,z, 3x8x8 px" in stdout
    code, stdout, _ = run_cli("data", "info", out)
    assert code == 0 and "spiral" in stdout and "objects:     5" in stdout


def test_cli_fits_nan_error_policy(tmp_path: Path, run_cli) -> None:
    folder, catalog = _fits_folder(tmp_path)
    cube = _cube(3)
    cube[1, 4, 4] = np.nan
    fits.PrimaryHDU(cube).writeto(folder / "obj_3.fits", overwrite=True)
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [folder, "--catalog", catalog, "--bands", BANDS, "--pixel-scale", "0.2"],
        "obj_3.fits has 1 NaN or infinite pixels",
    )
    code, stdout, _ = run_cli(
        "data",
        "import",
        folder,
        "--catalog",
        catalog,
        "--bands",
        BANDS,
        "--pixel-scale",
        "0.2",
        "--nan-policy",
        "mask",
        "--out",
        tmp_path / "x.h5",
    )
    assert code == 0 and "1 NaN/inf pixels in 1 objects set to 0" in stdout


def test_cli_wrong_band_count(tmp_path: Path, run_cli) -> None:
    folder, catalog = _fits_folder(tmp_path)
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [folder, "--catalog", catalog, "--bands", "u,g,r,i,z"],
        "cube has 3 bands, --bands names 5",
    )


def test_cli_unknown_band_name(tmp_path: Path, run_cli) -> None:
    folder, catalog = _fits_folder(tmp_path, per_band=True)
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [folder, "--catalog", catalog, "--bands", "g,r,y", "--pixel-scale", "1"],
        "band(s) y not among its extensions (Z, R, G)",
    )


def test_cli_mismatched_shapes(tmp_path: Path, run_cli) -> None:
    folder, catalog = _fits_folder(tmp_path)
    fits.PrimaryHDU(_cube(9, (3, 10, 10))).writeto(folder / "obj_0.fits", overwrite=True)
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [folder, "--catalog", catalog, "--bands", BANDS],
        "obj_0.fits: cutout shape [3, 10, 10] differs from the first file's [3, 8, 8]",
    )


def test_cli_file_without_catalog_row(tmp_path: Path, run_cli) -> None:
    folder, catalog = _fits_folder(tmp_path)
    fits.PrimaryHDU(_cube(7)).writeto(folder / "obj_7.fits")
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [folder, "--catalog", catalog, "--bands", BANDS],
        "1 FITS file(s) have no catalog row, e.g. obj_7.fits",
    )


def test_cli_catalog_row_without_file(tmp_path: Path, run_cli) -> None:
    folder, catalog = _fits_folder(tmp_path)
    (folder / "obj_2.fits").unlink()
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [folder, "--catalog", catalog, "--bands", BANDS],
        "catalog row 2 (object_id='obj_2') matches no FITS file",
    )


def test_cli_missing_columns(tmp_path: Path, run_cli) -> None:
    folder, catalog = _fits_folder(tmp_path)
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [folder, "--catalog", catalog, "--bands", BANDS, "--label-column", "class"],
        "catalog: no column 'class'",
    )
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "y.h5",
        [folder, "--catalog", catalog, "--bands", BANDS, "--id-column", "objid"],
        "catalog: no column 'objid'",
    )


def test_cli_numpy_errors(tmp_path: Path, run_cli) -> None:
    images = np.zeros((4, 6, 6, 3), dtype=np.float32)
    np.save(tmp_path / "a.npy", images)
    pd.DataFrame({"redshift": [0.1, 0.2, 0.3]}).to_csv(tmp_path / "c.csv", index=False)
    base = [tmp_path / "a.npy", "--pixel-scale", "0.2"]
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [*base, "--bands", BANDS],
        "images have 6 channels (NCHW [4, 6, 6, 3]), --bands names 3",
    )
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [*base, "--bands", BANDS, "--layout", "NHWC", "--catalog", tmp_path / "c.csv"],
        "catalog has 3 rows for 4 images",
    )
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [tmp_path / "a.npy", "--bands", BANDS, "--layout", "NHWC"],
        "NumPy arrays carry no pixel scale",
    )
    images[2, 1, 1, 0] = np.inf
    np.save(tmp_path / "a.npy", images)
    _expect_cli_error(
        run_cli,
        tmp_path,
        tmp_path / "x.h5",
        [*base, "--bands", BANDS, "--layout", "NHWC"],
        "image 2 has 1 NaN or infinite pixels",
    )


def test_cli_existing_file_survives_a_failed_import(tmp_path: Path, run_cli) -> None:
    folder, catalog = _fits_folder(tmp_path)
    out = tmp_path / "keep.h5"
    assert (
        run_cli("data", "import", folder, "--catalog", catalog, "--bands", BANDS, "--out", out)[0]
        == 0
    )
    before = out.read_bytes()
    code, _, _ = run_cli(
        "data", "import", folder, "--catalog", catalog, "--bands", "g,r", "--out", out
    )
    assert code == 2 and out.read_bytes() == before
