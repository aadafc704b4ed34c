"""Suites whose pretraining steps build on earlier ones (CLIP on its two towers)."""

from __future__ import annotations

import pytest

from astrobench.bench.suite import backbone_identity, config_hash, parse_suite, pretrain_step_name
from astrobench.errors import ConfigError


def _suite(clip_settings: dict, spec_epochs: int = 1) -> dict:
    return {
        "name": "t",
        "datasets": {"desi": {"synth": {"preset": "desi-ls", "n": 60}, "targets": ["redshift"]}},
        "pretrain": [
            {
                "name": "spec",
                "method": "specformer",
                "dataset": "desi",
                "settings": {"epochs": spec_epochs},
            },
            {"name": "clip", "method": "clip", "dataset": "desi", "settings": clip_settings},
        ],
        "backbones": ["pretrained:clip?modality=spectrum", "pretrained:spec"],
        "protocols": ["knn"],
        "fractions": [1.0],
        "seeds": [0],
    }


def test_a_step_may_use_an_earlier_step_and_is_identified_by_its_recipe() -> None:
    settings = {"image": "vit_tiny_p8", "spectrum": "pretrained:spec"}
    suite = parse_suite(_suite(settings))
    assert pretrain_step_name("pretrained:clip?modality=spectrum") == "clip"
    one = config_hash(backbone_identity(suite, "pretrained:clip?modality=spectrum"))
    other = parse_suite(_suite(settings, spec_epochs=2))
    two = config_hash(backbone_identity(other, "pretrained:clip?modality=spectrum"))
    assert one != two  # retraining the spectrum tower makes a new CLIP step


@pytest.mark.parametrize("reference", ["pretrained:nothing", "pretrained:clip"])
def test_a_step_may_not_use_an_unknown_or_later_step(reference: str) -> None:
    with pytest.raises(ConfigError, match="not an earlier pretrain step"):
        parse_suite(_suite({"image": "vit_tiny_p8", "spectrum": reference}))
