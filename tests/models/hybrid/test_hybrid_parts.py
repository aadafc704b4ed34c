"""The Inception branch, the magnitude block and the variant registry against seed 001's text."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from astrobench.errors import ConfigError
from astrobench.models.hybrid.inception import ASTROMAE_BLOCKS, InceptionBlock, InceptionBranch
from astrobench.models.hybrid.magnitude import MagnitudeBlock
from astrobench.models.hybrid.variants import (
    HYBRID_VARIANTS,
    parse_parts,
    table_iv_variants,
    variant_for,
)

# The row names of seed 001 Table IV, as printed.
TABLE_IV_ROWS = {
    "from-scratch plain-ViT-magnitude", "from-scratch pcm-ViT-magnitude", "Henghes et al. [34]",
    "from-scratch plain-ViT", "from-scratch pcm-ViT", "Inception-only redshift prediction",
    "plain-ViT-magnitude", "pcm-ViT-magnitude", "Proposed plain-AstroMAE", "Proposed pcm-AstroMAE",
    "plain-ViT", "pcm-ViT", "plain-ViT-inception", "pcm-ViT-inception",
}  # fmt: skip


def _inception_blocks(branch: InceptionBranch) -> list[InceptionBlock]:
    return [m for m in branch.blocks if isinstance(m, InceptionBlock)]


def test_five_blocks_and_only_the_last_lacks_the_five_by_five_path() -> None:
    blocks = _inception_blocks(InceptionBranch(5))
    assert len(blocks) == 5
    assert [b.five is None for b in blocks] == [False, False, False, False, True]
    kernels_last = {m.kernel_size for m in blocks[-1].modules() if isinstance(m, nn.Conv2d)}
    assert (5, 5) not in kernels_last


def test_one_by_one_reductions_precede_the_three_and_five_paths() -> None:
    for block in _inception_blocks(InceptionBranch(5)):
        for path in (block.three, block.five):
            if path is None:
                continue
            convs = [m for m in path.modules() if isinstance(m, nn.Conv2d)]
            assert convs[0].kernel_size == (1, 1)
            assert convs[1].kernel_size in ((3, 3), (5, 5))
            assert convs[1].in_channels == convs[0].out_channels


def test_block_output_is_the_concatenation_of_its_paths() -> None:
    block = InceptionBlock(7, ASTROMAE_BLOCKS[0][0])
    x = torch.randn(2, 7, 8, 8)
    out = block(x)
    expected = torch.cat([block.one(x), block.three(x), block.five(x), block.pool(x)], dim=1)
    torch.testing.assert_close(out, expected)
    assert out.shape == (2, ASTROMAE_BLOCKS[0][0].out_channels, 8, 8)


def test_a_32px_cutout_reaches_the_last_block_at_4x4() -> None:
    branch = InceptionBranch(5, width=0.5)
    seen: list[tuple[int, ...]] = []
    _inception_blocks(branch)[-1].register_forward_hook(
        lambda m, i, o: seen.append(tuple(i[0].shape[-2:]))
    )
    out = branch(torch.randn(3, 5, 32, 32))
    assert seen == [(4, 4)]
    assert out.shape == (3, branch.out_channels)


def test_magnitude_block_is_five_linear_layers_with_relu_between() -> None:
    block = MagnitudeBlock(5)
    kinds = [type(m).__name__ for m in block.mlp]
    assert kinds == ["Linear", "ReLU"] * 4 + ["Linear"]


def test_magnitude_block_standardises_with_its_stored_statistics() -> None:
    torch.manual_seed(0)
    mean, std = [20.0, 19.0, 18.5], [1.5, 1.0, 0.5]
    with_stats = MagnitudeBlock(3, mean, std)
    plain = MagnitudeBlock(3)
    plain.mlp.load_state_dict(with_stats.mlp.state_dict())
    mags = torch.tensor([[21.0, 18.0, 18.0], [17.0, 19.5, 19.0]])
    expected = plain((mags - torch.tensor(mean)) / torch.tensor(std))
    torch.testing.assert_close(with_stats(mags), expected)
    assert "mean" in with_stats.state_dict()  # saved with the model


def test_table_iv_has_its_fourteen_rows() -> None:
    variants = table_iv_variants()
    assert {v.paper_name for v in variants} == TABLE_IV_ROWS
    assert len(variants) == 14


@pytest.mark.parametrize(
    ("name", "parts", "init", "layer", "head_layers"),
    [
        ("pcm-astromae", {"vit", "inception", "magnitude"}, "pretrained", "pcm", 2),
        ("henghes", {"inception", "magnitude"}, "scratch", None, 2),
        ("inception", {"inception"}, "scratch", None, 3),
        ("scratch-plain-vit-magnitude", {"vit", "magnitude"}, "scratch", "plain", 2),
        ("plain-vit", {"vit"}, "pretrained", "plain", 2),
    ],
)
def test_named_variants_have_the_papers_parts(
    name: str, parts: set[str], init: str, layer: str | None, head_layers: int
) -> None:
    variant = HYBRID_VARIANTS.get(name)
    assert variant.parts == frozenset(parts) and variant.init == init
    assert variant.layer == layer and variant.head_layers == head_layers
    assert variant_for(",".join(sorted(parts)), init, layer or "plain") is variant


def test_unknown_parts_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown hybrid part"):
        parse_parts("vit,transformer")
    with pytest.raises(ConfigError, match="unknown hybrid part"):
        parse_parts("")
