"""The adversarial corpus: each case builds its hostile input in a fresh folder and names the
command to run on it, what it may write, and the exit code and message it must give.

Cases run with the folder as working directory; `home/` (ASTROBENCH_HOME: caches) and the
paths in `outputs` are the only places a command may write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.adversarial import hostile_files as hf

Build = Callable[[Path], list[str]]


@dataclass(frozen=True)
class Case:
    """One hostile input and the command that meets it."""

    name: str
    build: Build
    code: int = 2  # the exit code it must give
    says: str = ""  # a fragment the one-line error must contain
    outputs: tuple[str, ...] = ()  # relative paths it may create or change (besides home/)
    slow: bool = False  # runs real work before failing: only in the slow run


def _valid(tmp: Path) -> Path:
    return hf.valid_cutouts(tmp / "data.h5")


def _cmd(*args: str) -> Build:
    return lambda tmp: list(args)


def _on_file(make: Callable[[Path], Path], *command: str) -> Build:
    """Build the file with `make` at tmp/bad.h5, then run `command` with it appended."""

    def build(tmp: Path) -> list[str]:
        make(tmp / "bad.h5")
        return [*command, "bad.h5"]

    return build


def _embed_on(make: Callable[[Path], Path]) -> Build:
    def build(tmp: Path) -> list[str]:
        make(tmp / "bad.h5")
        return ["embed", "--backbone", "vit_tiny_p8", "--data", "bad.h5"]

    return build


def _file_commands(
    name: str, make: Callable[[Path], Path], says: str, embed_reads_it: bool = True
) -> list[Case]:
    """The same damaged file through data info, data validate and embed (which succeeds when
    the damage is in something it never reads)."""
    embed = Case(f"{name}-embed", _embed_on(make), says=says)
    if not embed_reads_it:
        embed = Case(f"{name}-embed", _embed_on(make), code=0)
    return [
        Case(f"{name}-info", _on_file(make, "data", "info"), says=says),
        Case(f"{name}-validate", _on_file(make, "data", "validate"), says=says),
        embed,
    ]


def _out_under_a_file(tmp: Path) -> list[str]:
    _valid(tmp)
    return ["finetune", "--backbone", "vit_tiny_p8", "--data", "data.h5", "--target", "label",
            "--out", "data.h5/run"]  # fmt: skip


def _suite_case(name: str, says: str, key: str = "d", **extra: object) -> Case:
    def build(tmp: Path) -> list[str]:
        hf.suite_file(tmp / "suite.yaml", _valid(tmp), dataset_key=key, **extra)
        return ["bench", "suite.yaml", "--out", "out"]

    return Case(name, build, says=says, outputs=("out",))


def _bomb_suite(tmp: Path) -> list[str]:
    hf.billion_laughs(tmp / "suite.yaml", _valid(tmp))
    return ["bench", "suite.yaml", "--out", "out"]


def _ckpt(make: Callable[[Path], Path]) -> Build:
    def build(tmp: Path) -> list[str]:
        make(tmp / "enc")
        _valid(tmp)
        return ["embed", "--backbone", "ckpt:enc", "--data", "data.h5"]

    return build


def _hf(**kind: bool) -> Build:
    def build(tmp: Path) -> list[str]:
        hf.hf_folder(tmp / "model", **kind)
        _valid(tmp)
        return ["embed", "--backbone", f"hf:{tmp / 'model'}", "--data", "data.h5"]

    return build


def _corrupt_store(tmp: Path) -> list[str]:
    hf.suite_file(tmp / "suite.yaml", _valid(tmp))
    (tmp / "out").mkdir()
    (tmp / "out" / "results.sqlite").write_bytes(b"this is not a database" * 100)
    return ["bench", "suite.yaml", "--out", "out"]


def _import_negative_labels(tmp: Path) -> list[str]:
    import numpy as np

    np.save(tmp / "images.npy", np.zeros((4, 3, 8, 8), np.float32))
    (tmp / "catalog.csv").write_text("label\n0\n-7\n1\n0\n")
    return [
        "data",
        "import",
        "images.npy",
        "--catalog",
        "catalog.csv",
        "--bands",
        "g,r,z",
        "--pixel-scale",
        "0.2",
        "--out",
        "imported.h5",
    ]


def _get_from(make: Callable[[Path], Path]) -> Build:
    def build(tmp: Path) -> list[str]:
        make(tmp / "Galaxy10_DECals.h5")
        return [
            "data",
            "get",
            "galaxy10-decals",
            "--from",
            "Galaxy10_DECals.h5",
            "--no-verify",
            "--root",
            "datasets",
        ]

    return build


USAGE = [
    Case("unknown-command", _cmd("frobnicate"), says="No such command"),
    Case("missing-option", _cmd("probe", "--data", "x.h5"), says="Missing option '--backbone'"),
    Case("bad-integer", _cmd("data", "synth", "--n", "abc", "--out", "x.h5"), says="'--n'"),
    Case("unknown-option", _cmd("data", "info", "--bogus", "x.h5"), says="No such option"),
]

FILES = [
    *_file_commands("declared-1e9", hf.declared_bomb, "stores only 3 of its"),
    *_file_commands("not-hdf5", hf.not_hdf5, "not a readable HDF5 file"),
    *_file_commands("truncated", hf.truncated, "bad.h5"),
    *_file_commands(
        "label-names-not-json",
        lambda p: hf.with_label_names(p, "spiral, bar"),
        "label_names",
        embed_reads_it=False,
    ),
    *_file_commands(
        "label-names-not-utf8",
        lambda p: hf.with_label_names(p, b"\xff\xfe[]"),
        "label_names",
        embed_reads_it=False,
    ),
    *_file_commands(
        "format-version-abc",
        lambda p: hf.with_root_attr(p, "format_version", "abc"),
        "format_version",
    ),
    *_file_commands(
        "pixel-scale-fast",
        lambda p: hf.with_root_attr(p, "pixel_scale_arcsec", "fast"),
        "pixel_scale_arcsec",
    ),
    *_file_commands(
        "bands-repeated",
        lambda p: hf.with_root_attr(p, "bands", ["g", "g", "r"]),
        "bands",
    ),
    *_file_commands("zero-objects", hf.zero_objects, "no images"),
    *_file_commands("external-link", hf.external_link, "external link"),
    Case(
        "labels-minus-5",
        _on_file(lambda p: hf.with_labels(p, [-5]), "data", "validate"),
        says="labels span -5",
    ),
    Case(
        "labels-beyond-names",
        _on_file(lambda p: hf.with_labels(p, [3]), "data", "validate"),
        says="allowed -1..2",
    ),
    Case(
        "labels-minus-5-info",
        _on_file(lambda p: hf.with_labels(p, [-5]), "data", "info"),
        says="labels span -5",
    ),
    Case("missing-file", _cmd("data", "info", "nothing.h5"), says="no such file"),
    Case(
        "import-labels-minus-7",
        _import_negative_labels,
        says="-7 is negative",
        outputs=("imported.h5",),
    ),
    Case(
        "get-from-declared-1e9",
        _get_from(hf.galaxy10_bomb),
        says="stores only 2 of its",
        outputs=("datasets",),
    ),
    Case(
        "get-from-not-hdf5",
        _get_from(hf.not_hdf5),
        says="not a readable HDF5",
        outputs=("datasets",),
    ),
]

MODELS = [
    Case(
        "sidecar-json-list",
        _ckpt(hf.sidecar_as_list),
        says="must be a JSON object",
        outputs=("enc",),
    ),
    Case(
        "sidecar-in-chans-five",
        _ckpt(lambda f: hf.encoder_folder(f, in_chans="five")),
        says="in_chans",
        outputs=("enc",),
    ),
    Case(
        "sidecar-img-size-1e6",
        _ckpt(lambda f: hf.encoder_folder(f, img_size=10**6)),
        says="img_size",
        outputs=("enc",),
    ),
    Case(
        "hf-remote-code", _hf(remote_code=True), says="never runs remote code", outputs=("model",)
    ),
    Case("hf-pickled-bin", _hf(pickled=True), says="cannot be loaded safely", outputs=("model",)),
    Case(
        "device-tpu",
        lambda t: [
            "embed",
            "--backbone",
            "vit_tiny_p8",
            "--data",
            str(_valid(t)),
            "--device",
            "tpu",
        ],
        says="unknown device",
    ),
    Case(
        "device-cuda-without-gpu",
        lambda t: [
            "embed",
            "--backbone",
            "vit_tiny_p8",
            "--data",
            str(_valid(t)),
            "--device",
            "cuda",
        ],
        says="no CUDA GPU",
    ),
]

SUITES = [
    _suite_case("suite-key-dotdot", "dataset key", key="../../X"),
    _suite_case("suite-key-absolute", "dataset key", key="/abs/X"),
    Case("suite-billion-laughs", _bomb_suite, says="alias", outputs=("out",)),
    _suite_case(
        "suite-synth-1e12",
        "less than or equal",
        datasets={"d": {"synth": {"n": 10**12}, "targets": ["label"]}},
    ),
    Case(
        "corrupt-results-sqlite",
        _corrupt_store,
        says="not a usable results database",
        outputs=("out",),
    ),
    Case(
        "synth-n-1e12",
        _cmd("data", "synth", "--n", str(10**12), "--out", "s.h5"),
        says="more than the limit",
    ),
    Case("out-under-a-file", _out_under_a_file, says="cannot write into"),
]

CORPUS = USAGE + FILES + MODELS + SUITES

# Typed settings (issue 11): suite mistakes are refused before anything runs.
SETTINGS = [
    _suite_case("suite-unknown-protocol", "unknown protocol", protocols=["frobnicate"]),
    _suite_case(
        "suite-misspelled-setting",
        "unknown setting 'epoch'",
        protocols=[{"name": "finetune", "settings": {"epoch": 2}}],
    ),
    _suite_case(
        "suite-negative-epochs",
        "epochs",
        protocols=[{"name": "finetune", "settings": {"epochs": -3}}],
    ),
]


def _suite_set(*overrides: str) -> Build:
    """The small valid suite run with `--set` overrides."""

    def build(tmp: Path) -> list[str]:
        hf.suite_file(tmp / "suite.yaml", _valid(tmp))
        return ["bench", "suite.yaml", "--out", "out", *[f"--set={o}" for o in overrides]]

    return build


# `bench --set KEY=VALUE`: a bad override is refused before anything is written.
SETTINGS += [
    Case("suite-set-not-key-value", _suite_set("seeds"), says="is not KEY=VALUE"),
    Case("suite-set-missing-key", _suite_set("datasets.nope.n=3"), says="no key 'nope'"),
    Case("suite-set-bad-index", _suite_set("protocols.9.name=knn"), says="not an index"),
    Case("suite-set-unknown-setting", _suite_set("protocols.0.settings.kz=3"), says="'kz'"),
    Case("suite-set-bad-yaml", _suite_set("name=[*a]"), says="--set name is not valid YAML"),
]


def _missing_target(tmp: Path) -> list[str]:
    hf.suite_file(tmp / "suite.yaml", _valid(tmp))
    text = (tmp / "suite.yaml").read_text().replace('"targets": ["label"]', '"targets": ["nope"]')
    (tmp / "suite.yaml").write_text(text)
    return ["bench", "suite.yaml", "--out", "out"]


def _retrieval_on_one_encoder(tmp: Path) -> list[str]:
    hf.suite_file(
        tmp / "suite.yaml",
        _valid(tmp),
        protocols=[{"name": "retrieval"}],
    )
    text = (tmp / "suite.yaml").read_text()
    target = '{"column": "redshift", "task": "retrieval"}'
    (tmp / "suite.yaml").write_text(text.replace('"targets": ["label"]', f'"targets": [{target}]'))
    return ["bench", "suite.yaml", "--out", "out"]


# Fails only when its cell runs (after embeddings and the map): exit 2, one line, but slow.
SETTINGS.append(
    Case("suite-missing-target-column", _missing_target, says="nope", outputs=("out",), slow=True)
)
# AstroCLIP (issue 12): encoder pairs, retrieval cells, untrained heads.
ASTROCLIP = [
    _suite_case(
        "suite-protocol-unknown-target",
        "lists targets no dataset has",
        protocols=[{"name": "knn", "targets": ["nope"]}],
    ),
    Case(
        "clip-negative-epochs",
        lambda tmp: [
            "pretrain",
            "clip",
            "--data",
            str(_valid(tmp)),
            "--out",
            "run",
            "--epochs",
            "-1",
            "--image",
            "vit_tiny_p8",
            "--spectrum",
            "specformer_tiny",
        ],
        says="epochs must be >= 0",
    ),
    Case(
        "probe-retrieval-task-with-a-head",
        lambda tmp: [
            "probe",
            "--backbone",
            "vit_tiny_p8",
            "--data",
            str(_valid(tmp)),
            "--target",
            "redshift",
            "--task",
            "retrieval",
            "--protocol",
            "knn",
        ],
        says="retrieval tasks are not served by heads",
    ),
    Case(
        "suite-retrieval-on-one-image-encoder",
        _retrieval_on_one_encoder,
        says="retrieval needs an image and a spectrum encoder",
        outputs=("out",),
        slow=True,
    ),
]


def _pairs(nan_object: int | None = None) -> Callable[[Path], Path]:
    """A small image + spectrum file (tests/pretrain/conftest.py's writer), NaN flux optional."""
    from tests.pretrain.conftest import write_pair_cutouts

    return lambda tmp: write_pair_cutouts(tmp / "pairs.h5", 24, nan_object=nan_object)


def _spectra_command(make: Callable[[Path], Path], *command: str) -> Build:
    """Write the data with `make`, then run `command` on it (`{data}` marks where it goes)."""

    def build(tmp: Path) -> list[str]:
        data = str(make(tmp))
        return [data if part == "{data}" else part for part in command]

    return build


def _no_spectra(tmp: Path) -> Path:
    return _valid(tmp)


_CLIP = ("pretrain", "clip", "--data", "{data}", "--out", "run", "--batch-size", "8")
ASTROCLIP += [
    Case(
        "specformer-on-a-file-without-spectra",
        _spectra_command(_no_spectra, "pretrain", "specformer", "--data", "{data}", "--out", "run"),
        says="has no spectra",
    ),
    Case(
        "specformer-nan-flux",
        _spectra_command(
            _pairs(5),
            "pretrain",
            "specformer",
            "--data",
            "{data}",
            "--out",
            "run",
            "--batch-size",
            "8",
        ),
        says="object 5 has NaN or infinite spectrum fluxes",
    ),
    Case(
        "clip-on-a-file-without-spectra",
        _spectra_command(
            _no_spectra, *_CLIP, "--image", "vit_tiny_p8", "--spectrum", "specformer_tiny"
        ),
        says="has no spectra",
    ),
    Case(
        "clip-nan-flux",
        _spectra_command(
            _pairs(3), *_CLIP, "--image", "vit_tiny_p4", "--spectrum", "specformer_tiny"
        ),
        says="object 3 has NaN",
    ),
    Case(
        "search-spectra-of-a-file-without-spectra",
        _spectra_command(
            _no_spectra,
            "search",
            "--backbone",
            "specformer_tiny",
            "--data",
            "{data}",
            "--query-modality",
            "spectrum",
            "--out",
            "grid.png",
        ),
        says="spectra",
    ),
]
CORPUS += SETTINGS + ASTROCLIP
