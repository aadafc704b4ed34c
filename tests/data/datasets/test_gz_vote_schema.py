"""The GZ2 and GZD-5 converters write the vote columns their schema reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.get import get_dataset
from astrobench.registry import VOTE_SCHEMAS

from .conftest import load_generator

CATALOGS = {
    "gz2": ("gz2", "gz2_train_catalog.parquet"),
    "gz-decals-5": ("gz_decals_5", "decals_dr5_ortho_train_catalog.parquet"),
}


@pytest.mark.parametrize("name", sorted(CATALOGS))
def test_converted_votes_follow_the_schema(
    name: str, tmp_path: Path, served, point_at_fakes
) -> None:
    folder, url = served
    generator, train_catalog = CATALOGS[name]
    load_generator(generator).generate(folder)
    point_at_fakes(name, folder, url)
    path = get_dataset(name, root=tmp_path, progress=False)
    schema = VOTE_SCHEMAS.get(name)
    source = pd.read_parquet(folder / train_catalog)
    with CutoutFile(path, nan_policy="mask") as cutouts:
        assert cutouts.attrs["vote_schema"] == name
        counts = schema.read_counts(cutouts)
        ids = cutouts.column("id_str")
        for q in schema.questions:
            total = cutouts.column(schema.total_column(q.name))
            np.testing.assert_array_equal(total, counts[:, schema.slices[q.name]].sum(axis=1))
            fraction = cutouts.column(schema.fraction_column(q.name, q.answers[0]))
            first = counts[:, schema.slices[q.name].start]
            np.testing.assert_allclose(fraction[total > 0], (first / total)[total > 0])
    # row by row, the counts are the catalog's
    by_id = source.set_index("id_str")
    for row, object_id in enumerate(ids):
        if object_id in by_id.index:
            expected = by_id.loc[object_id, schema.count_columns()].to_numpy(np.int64)
            np.testing.assert_array_equal(counts[row], expected)
