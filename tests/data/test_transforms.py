"""Common data transforms: tensors, normalization with stats from setup, categories, multi-labels, regression."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from fastlayers.core import Pipeline, TensorCategory, TensorImage, TensorMask, TensorMultiCategory, TensorSeries
from fastlayers.data import (BCEWithLogitsLossFlat, Categorize, CrossEntropyLossFlat, IntToFloatTensor, MSELossFlat,
                             MultiCategorize, Normalize, RegressionSetup, TfmdLists, ToTensor)


def test_to_tensor_numpy_and_numbers():
    assert torch.equal(ToTensor()(np.arange(3)), torch.arange(3))
    assert ToTensor()(2.5).item() == 2.5
    img = TensorImage(torch.zeros(1))
    assert ToTensor()(img) is img


def test_int_to_float_and_back():
    t = IntToFloatTensor()
    x = TensorImage(torch.tensor([0, 51, 255], dtype=torch.uint8))
    y = t(x)
    assert y.dtype == torch.float32 and torch.allclose(y, torch.tensor([0.0, 0.2, 1.0]))
    assert torch.allclose(t.decode(y), x.float())
    assert t(TensorMask(torch.tensor([1, 2], dtype=torch.uint8))).dtype == torch.long


def test_normalize_stats_from_setup_per_channel():
    torch.manual_seed(0)
    x = TensorImage(torch.randn(64, 3, 4, 4) * torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1) + 5)
    norm = Normalize()
    norm.setup(x)
    assert norm.mean.shape == (3,)
    y = norm(x)
    assert type(y) is TensorImage
    assert torch.allclose(y.mean((0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(y.std((0, 2, 3)), torch.ones(3), atol=1e-4)
    assert torch.allclose(norm.decode(y), x, atol=1e-4)


def test_normalize_given_stats_series_and_leaves_others():
    norm = Normalize(mean=[1.0, 2.0], std=[2.0, 4.0])
    s = TensorSeries(torch.tensor([[[3.0, 1.0], [6.0, 2.0]]]))  # (N=1, C=2, T=2)
    assert torch.allclose(norm(s), torch.tensor([[[1.0, 0.0], [1.0, 0.0]]]))
    y = TensorCategory(torch.tensor([1, 2]))
    assert norm(y) is y


def test_normalize_without_stats_says_what_to_do():
    with pytest.raises(RuntimeError, match="mean and std"):
        Normalize()(TensorImage(torch.zeros(1, 3, 2, 2)))


def test_categorize_vocab_from_training_split_only():
    items = ["b", "a", "b", "c", "a"]
    tl = TfmdLists(items, [Categorize()], splits=[[0, 1, 2], [3, 4]])
    cat = tl.tfms.fs[0]
    assert list(cat.vocab) == ["a", "b"] and cat.c == 2  # "c" only appears in validation
    assert tl[0] == TensorCategory(1) and type(tl[0]) is TensorCategory
    with pytest.raises(Exception, match="'c' is not in the vocab.*training"):
        tl[3]


def test_categorize_decode_and_loss():
    cat = Categorize(vocab=["cat", "dog"])
    assert cat("dog").item() == 1
    assert cat.decode(TensorCategory(1)) == "dog"
    assert isinstance(cat.loss_func, CrossEntropyLossFlat)


def test_categorize_add_na_and_numbers():
    cat = Categorize()
    cat.setup([3, 1, np.int64(2), torch.tensor(1)])
    assert list(cat.vocab) == [1, 2, 3]
    assert cat(torch.tensor(3)).item() == 2
    assert list(Categorize(vocab=["x"], add_na=True).vocab) == ["#na#", "x"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=20))
def test_categorize_decode_encode_roundtrip(labels):
    cat = Categorize()
    cat.setup(labels)
    for o in labels:
        assert cat.decode(cat(o)) == o


def test_multicategorize_one_hot_roundtrip():
    mc = MultiCategorize()
    mc.setup([["a", "b"], ["c"], "b"])
    assert list(mc.vocab) == ["a", "b", "c"] and mc.c == 3
    y = mc(["c", "a"])
    assert type(y) is TensorMultiCategory and y.tolist() == [1.0, 0.0, 1.0]
    assert mc.decode(y) == ["a", "c"]
    assert isinstance(mc.loss_func, BCEWithLogitsLossFlat)
    with pytest.raises(KeyError, match="'z'"):
        mc(["z"])


def test_regression_setup():
    r = RegressionSetup()
    r.setup([[1.0, 2.0], [3.0, 4.0]])
    assert r.c == 2 and r([1, 2]).dtype == torch.float32
    assert isinstance(r.loss_func, MSELossFlat)


def test_flat_losses_match_torch():
    torch.manual_seed(0)
    logits, targ = torch.randn(2, 5, 3), torch.randint(0, 3, (2, 5))
    ref = torch.nn.functional.cross_entropy(logits.reshape(-1, 3), targ.reshape(-1))
    assert torch.allclose(CrossEntropyLossFlat()(logits, targ), ref)
    assert torch.allclose(CrossEntropyLossFlat()(logits[0], TensorCategory(targ[0])),
                          torch.nn.functional.cross_entropy(logits[0], targ[0]))
    p, t = torch.randn(4, 1), torch.randn(4)
    assert torch.allclose(MSELossFlat()(p, t), ((p.flatten() - t) ** 2).mean())
    assert CrossEntropyLossFlat().decodes(logits).shape == (2, 5)


def test_orders_match_reference():
    assert (Categorize.order, ToTensor.order, IntToFloatTensor.order, Normalize.order) == (1, 5, 10, 99)
    p = Pipeline([Normalize(0.0, 1.0), IntToFloatTensor(), ToTensor(), Categorize(vocab=["a"])])
    assert [type(t).__name__ for t in p.fs] == ["Categorize", "ToTensor", "IntToFloatTensor", "Normalize"]
