"""`astrobench data synth` and `astrobench data show` from the command line."""

from __future__ import annotations

from pathlib import Path

from astrobench.data.cutout_file import CutoutFile


def test_synth_then_show(tmp_path: Path, run_cli) -> None:
    out = tmp_path / "s.h5"
    code, _, err = run_cli(
        "data",
        "synth",
        "--preset",
        "desi-ls",
        "--n",
        "12",
        "--seed",
        "1",
        "--out",
        out,
        "--size",
        "32",
        "--no-spectra",
    )
    assert code == 0, err
    f = CutoutFile(out)
    assert len(f) == 12 and f.bands == ["g", "r", "z"] and not f.has_spectra
    grid = tmp_path / "grid.png"
    code, _, err = run_cli("data", "show", out, "--per-class", "2", "--out", grid)
    assert code == 0 and grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", err
    code, _, err = run_cli(
        "data", "show", out, "--per-class", "1", "--out", tmp_path / "b.png", "--per-band"
    )
    assert code == 0 and (tmp_path / "b.png").exists(), err


def test_user_errors_are_one_line_and_exit_2(tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli(
        "data", "synth", "--preset", "hsc", "--n", "3", "--out", tmp_path / "x.h5"
    )
    assert code == 2 and "unknown synthetic survey preset 'hsc'" in err and err.count("\n") == 1
    code, _, err = run_cli(
        "data", "synth", "--n", "2", "--out", tmp_path / "y.h5", "--size", "1000"
    )
    assert code == 2 and "--size 1000" in err
    assert list(tmp_path.iterdir()) == []
    synth = tmp_path / "ok.h5"
    run_cli("data", "synth", "--n", "2", "--out", synth, "--size", "32", "--no-spectra")
    code, _, err = run_cli("data", "show", synth, "--bands", "g,r,w", "--out", tmp_path / "g.png")
    assert code == 2 and "'w'" in err and not (tmp_path / "g.png").exists()
