"""DataBlock: blocks, getters, splitter, item/batch transforms, summary that says where it fails."""
import pandas as pd
import pytest
import torch

from fastlayers.core import TensorCategory, TensorMultiCategory, TensorSeries, Transform
from fastlayers.data import (CategoryBlock, ColSplitter, DataBlock, IndexSplitter, MultiCategoryBlock, Normalize,
                             RegressionBlock, TransformBlock)


def frame(n=40):
    return pd.DataFrame({"a": range(n), "label": ["cat", "dog"] * (n // 2), "tags": [["x"], ["x", "y"]] * (n // 2),
                         "is_valid": [i % 5 == 0 for i in range(n)]})


def get_x(r):
    return TensorSeries(torch.full((2, 3), float(r["a"])))


def test_dataloaders_from_a_dataframe():
    db = DataBlock(blocks=(TransformBlock, CategoryBlock), get_x=get_x, get_y=lambda r: r["label"], splitter=ColSplitter())
    dls = db.dataloaders(frame(), bs=8)
    assert len(dls.train_ds) == 32 and len(dls.valid_ds) == 8
    xb, yb = dls.one_batch()
    assert type(xb) is TensorSeries and xb.shape == (8, 2, 3) and type(yb) is TensorCategory
    assert list(dls.vocab) == ["cat", "dog"] and dls.c == 2 and dls.loss_func is not None


def test_batch_tfms_normalize_from_training_batch():
    db = DataBlock(blocks=(TransformBlock, RegressionBlock), get_x=get_x, get_y=lambda r: float(r["a"]),
                   splitter=ColSplitter(), batch_tfms=Normalize())
    dls = db.dataloaders(frame(), bs=32)
    xb, yb = dls.train.one_batch()
    assert abs(xb.mean().item()) < 1e-5 and yb.dtype == torch.float32
    assert dls.c == 1


def test_multicategory_block():
    db = DataBlock(blocks=(TransformBlock, MultiCategoryBlock), get_x=get_x, get_y=lambda r: r["tags"],
                   splitter=ColSplitter())
    dls = db.dataloaders(frame(), bs=4)
    _, yb = dls.valid.one_batch()
    assert type(yb) is TensorMultiCategory and yb.shape == (4, 2)


def test_unseen_validation_label_names_the_label():
    items = list(range(10))
    db = DataBlock(blocks=(TransformBlock, CategoryBlock), get_x=float, get_y=lambda o: "rare" if o == 9 else "common",
                   splitter=IndexSplitter([8, 9]))
    dls = db.dataloaders(items, bs=2)
    with pytest.raises(Exception, match="item 1: .*'rare' is not in the vocab"):
        list(dls.valid)


def test_getter_count_must_match_blocks():
    with pytest.raises(ValueError, match="need 1 get_x and 1 get_y"):
        DataBlock(blocks=(TransformBlock, CategoryBlock), get_y=[str, str])


def test_no_items_is_an_error():
    with pytest.raises(ValueError, match="no items"):
        DataBlock(get_items=lambda p: []).datasets("somewhere")


def test_summary_walks_one_item(capsys):
    db = DataBlock(blocks=(TransformBlock, CategoryBlock), get_x=get_x, get_y=lambda r: r["label"], splitter=ColSplitter())
    db.summary(frame())
    out = capsys.readouterr().out
    assert "Collected 40 items" in out and "32 train, 8 valid" in out
    assert "Categorize" in out and "TensorCategory" in out and "Collated 4 items" in out and "All steps ran" in out


def test_summary_says_where_it_fails(capsys):
    class Broken(Transform):
        def encodes(self, x: TensorSeries): raise ValueError("cannot do this")

    db = DataBlock(blocks=(TransformBlock(type_tfms=Broken()), CategoryBlock), get_x=get_x,
                   get_y=lambda r: r["label"], splitter=ColSplitter())
    with pytest.raises(Exception, match="cannot do this"):
        db.summary(frame())
    assert "FAILED at transform Broken of pipeline 0" in capsys.readouterr().out
