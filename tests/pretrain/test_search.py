"""`astrobench search` on a CLIP run: encoders resolved by spec, neighbours equal to a brute-force
cosine search of the same embeddings, the grid drawn, bad input refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from astrobench.cli import main
from astrobench.data.cutout_file import CutoutFile
from astrobench.data.splits import split_indices
from astrobench.models.aligned.embed import embed_modalities
from astrobench.models.encoder_resolve import resolve_encoders


@pytest.fixture(scope="module")
def clip_run(
    tmp_path_factory: pytest.TempPathFactory, pair_writer: Callable[..., Path]
) -> tuple[Path, Path]:
    from astrobench.pretrain.clip import pretrain_clip

    data = pair_writer(tmp_path_factory.mktemp("data") / "pairs.h5", 60)
    out = tmp_path_factory.mktemp("run") / "clip"
    pretrain_clip(
        data, out, "vit_tiny_p4", "specformer_tiny", epochs=1, batch_size=16, embed_dim=16
    )
    return data, out


def test_specs_resolve_to_encoders_by_modality(clip_run: tuple[Path, Path]) -> None:
    data, out = clip_run
    both = resolve_encoders(f"ckpt:{out}", data)
    assert sorted(both) == ["image", "spectrum"] and both["image"].num_features == 16
    assert list(resolve_encoders(f"ckpt:{out}?modality=spectrum", data)) == ["spectrum"]
    assert list(resolve_encoders(f"ckpt:{out / 'image'}", data)) == ["image"]
    assert list(resolve_encoders("specformer_tiny", data)) == ["spectrum"]
    assert list(resolve_encoders("vit_tiny_p4", data)) == ["image"]


def test_search_finds_the_brute_force_neighbours(
    clip_run: tuple[Path, Path], tmp_path: Path
) -> None:
    from astrobench.search import search

    data, out = clip_run
    result = search(f"ckpt:{out}", data, tmp_path / "grid.png", "spectrum", k=4, n_queries=3)
    assert (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"
    with CutoutFile(data) as cutouts:
        test = split_indices(cutouts, seed=0)["test"]
    z = embed_modalities(resolve_encoders(f"ckpt:{out}", data), data, test)
    sim = z["spectrum"] @ z["image"].T  # unit vectors: cosine
    for query, neighbours, sims in zip(
        result.queries, result.neighbours, result.similarities, strict=True
    ):
        row = int(np.flatnonzero(test == query)[0])
        expected = test[np.argsort(-sim[row], kind="stable")[:4]]
        np.testing.assert_array_equal(neighbours, expected)
        np.testing.assert_allclose(sims, np.sort(sim[row])[::-1][:4], rtol=1e-4, atol=1e-6)


def test_in_modal_search_leaves_the_query_out(clip_run: tuple[Path, Path], tmp_path: Path) -> None:
    from astrobench.search import search

    data, out = clip_run
    result = search(f"ckpt:{out}", data, tmp_path / "g.png", "image", "image", k=3, n_queries=4)
    assert all(q not in n for q, n in zip(result.queries, result.neighbours, strict=True))


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--query-modality", "radio"], "unknown query modality 'radio'"),
        (["--k", "500"], "fewer than k + 1"),
    ],
)
def test_bad_search_is_one_line(
    clip_run: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    fragment: str,
) -> None:
    data, out = clip_run
    png = tmp_path / "grid.png"
    with pytest.raises(SystemExit) as stop:
        main(
            ["search", "--backbone", f"ckpt:{out}", "--data", str(data), "--out", str(png), *extra]
        )
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1 and fragment in err
    assert not png.exists()


def test_spectrum_search_on_a_file_without_spectra_is_refused(
    clip_run: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    blob_writer: Callable[..., Path],
) -> None:
    _, out = clip_run
    blobs = blob_writer(tmp_path / "blobs.h5", 30)
    with pytest.raises(SystemExit) as stop:
        main(
            [
                "search",
                "--backbone",
                f"ckpt:{out}",
                "--data",
                str(blobs),
                "--out",
                str(tmp_path / "g.png"),
                "--query-modality",
                "spectrum",
            ]
        )
    assert stop.value.code == 2 and "no spectra" in capsys.readouterr().err


def test_ckpt_specs_rebuild_aligned_towers_through_the_family_registry(
    clip_run: tuple[Path, Path],
) -> None:
    import torch

    from astrobench.models.aligned.checkpoint import load_aligned
    from astrobench.models.create import create_backbone

    _, out = clip_run
    for modality in ("image", "spectrum"):
        built = create_backbone(f"ckpt:{out}?modality={modality}")
        direct = load_aligned(out, modality)
        assert built.modality == modality and built.weights_hash() == direct.weights_hash()
    x = torch.randn(2, 200) + 5
    with torch.no_grad():
        torch.testing.assert_close(
            create_backbone(f"ckpt:{out}?modality=spectrum").forward_features(x),
            load_aligned(out, "spectrum").forward_features(x),
        )


def test_spectrum_embeddings_go_through_the_cache_keyed_by_modality(
    clip_run: tuple[Path, Path], tmp_path: Path
) -> None:
    from astrobench.models.embeddings import embed_file

    data, out = clip_run
    spectrum = embed_file(f"ckpt:{out}?modality=spectrum", data, cache_dir=tmp_path, progress=False)
    image = embed_file(f"ckpt:{out}?modality=image", data, cache_dir=tmp_path, progress=False)
    assert spectrum.meta["modality"] == "spectrum" and image.meta["modality"] == "image"
    assert spectrum.key != image.key and not spectrum.from_cache
    direct = embed_modalities(resolve_encoders(f"ckpt:{out}", data), data, np.arange(60))
    np.testing.assert_allclose(spectrum.features, direct["spectrum"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(image.features, direct["image"], rtol=1e-5, atol=1e-6)
    again = embed_file(f"ckpt:{out}?modality=spectrum", data, cache_dir=tmp_path, progress=False)
    assert again.from_cache and np.array_equal(again.features, spectrum.features)


def test_probe_runs_on_the_aligned_spectrum_tower(
    clip_run: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, out = clip_run
    args = ["probe", "--backbone", f"ckpt:{out}?modality=spectrum", "--data", str(data)]
    args += ["--target", "redshift", "--protocol", "knn", "--fractions", "1.0", "--seeds", "0"]
    args += ["--json"]
    monkeypatch.setenv("ASTROBENCH_HOME", str(tmp_path))
    try:
        code = main(args)
    except SystemExit as stop:
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    assert not code, captured.err
    assert "r2" in captured.out
