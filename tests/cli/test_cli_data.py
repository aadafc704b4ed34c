"""`astrobench data info` / `data validate` and the CLI's exit-code contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from astrobench.data.cutout_writer import write_cutouts


def _one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def test_python_dash_m_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "astrobench", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0
    assert "data" in result.stdout and "Usage" in result.stdout


def test_data_help_lists_commands(run_cli) -> None:
    code, out, _ = run_cli("data", "--help")
    assert code == 0
    for command in ("info", "validate", "import"):
        assert command in out


def test_info_text_and_json(small_cutouts: Path, run_cli) -> None:
    code, out, _ = run_cli("data", "info", small_cutouts)
    assert code == 0 and "objects:     60" in out and "u,g,r,i,z" in out
    code, out, _ = run_cli("data", "info", small_cutouts, "--json")
    info = json.loads(out)
    assert code == 0 and info["n_objects"] == 60 and info["labels"][1]["name"] == "b"


def test_validate_ok(small_cutouts: Path, run_cli) -> None:
    code, out, err = run_cli("data", "validate", small_cutouts, "--require", "label,redshift")
    assert code == 0 and out.startswith("ok: ") and "60 valid cutouts" in out and err == ""


def test_validate_truncated_file(small_cutouts: Path, run_cli) -> None:
    with open(small_cutouts, "r+b") as raw:
        raw.truncate(small_cutouts.stat().st_size - 4096)
    code, _, err = run_cli("data", "validate", small_cutouts)
    _one_line_error(code, err, str(small_cutouts))
    code, _, err = run_cli("data", "info", small_cutouts)
    assert code == 2


def test_validate_flipped_byte_names_object(small_cutouts: Path, corrupt_image, run_cli) -> None:
    corrupt_image(small_cutouts, 42)
    code, _, err = run_cli("data", "validate", small_cutouts)
    _one_line_error(code, err, "object 42 fails its checksum", "re-create or re-download")


def test_validate_nan_pixels_error_and_mask(tmp_path: Path, run_cli) -> None:
    images = np.zeros((5, 2, 4, 4), dtype=np.float32)
    images[3, 1, 0, :3] = np.nan
    path = write_cutouts(
        tmp_path / "nan.h5",
        images,
        {"object_id": np.arange(5)},
        bands=["g", "r"],
        pixel_scale_arcsec=1.0,
        allow_nonfinite=True,
    )
    code, _, err = run_cli("data", "validate", path)
    _one_line_error(code, err, "object 3 has NaN or infinite pixels", "--nan-policy mask")
    code, out, _ = run_cli("data", "validate", path, "--nan-policy", "mask")
    assert code == 0 and "3 non-finite pixels in 1 objects" in out
    code, _, err = run_cli("data", "validate", path, "--nan-policy", "ignore")
    _one_line_error(code, err, "--nan-policy must be 'error' or 'mask'")


def test_validate_missing_column(small_cutouts: Path, run_cli) -> None:
    code, _, err = run_cli("data", "validate", small_cutouts, "--require", "label,stellar_mass")
    _one_line_error(code, err, "no catalog column 'stellar_mass'", "available columns")


def test_missing_file(tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli("data", "info", tmp_path / "nope.h5")
    _one_line_error(code, err, "no such file")


def test_debug_shows_traceback(tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli("--debug", "data", "info", tmp_path / "nope.h5")
    assert code == 2 and "Traceback" in err and err.rstrip().endswith("astrobench data synth`)")
