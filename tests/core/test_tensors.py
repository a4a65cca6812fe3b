"""Semantic tensors keep their type and metadata through torch ops, strip to plain tensors, and show themselves."""
import pickle

import matplotlib
import torch

from fastlayers.core import (TensorBase, TensorCategory, TensorImage, TensorMask, TensorSeries, TensorText,
                             retain_type, to_plain)


def test_type_survives_ops():
    x = TensorImage(torch.rand(3, 4, 4))
    for y in (x + 1, x * x, x.float(), x[0], x.permute(1, 2, 0), torch.cat([x, x]), x.mean(0), torch.stack([x, x])):
        assert type(y) is TensorImage


def test_metadata_survives_ops_and_pickling():
    x = TensorSeries(torch.zeros(2, 5), channels=["a", "b"])
    assert (x * 2).channels == ["a", "b"]
    assert x[0].channels == ["a", "b"]
    y = pickle.loads(pickle.dumps(x))
    assert type(y) is TensorSeries and y.channels == ["a", "b"]


def test_metadata_not_shared_between_results():
    x = TensorBase(torch.zeros(2), tag=1)
    y = x + 1
    y.tag = 2
    assert x.tag == 1


def test_mixed_subclasses_do_not_crash():
    out = TensorImage(torch.ones(2)) + TensorMask(torch.ones(2))
    assert isinstance(out, TensorImage)


def test_to_plain_strips_nested():
    b = (TensorImage(torch.zeros(2)), [TensorCategory(torch.tensor([1]))], {"k": TensorText(torch.tensor([3]))})
    p = to_plain(b)
    assert type(p[0]) is torch.Tensor and type(p[1][0]) is torch.Tensor and type(p[2]["k"]) is torch.Tensor
    assert torch.equal(p[0], torch.zeros(2))


def test_retain_type_only_specialises():
    old = TensorImage(torch.zeros(1))
    assert type(retain_type(torch.ones(1), old)) is TensorImage
    assert type(retain_type(TensorCategory(torch.ones(1)), old)) is TensorCategory  # never swaps meanings
    assert retain_type(3, old) == 3


def test_show_draws_on_axes():
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    TensorImage(torch.rand(3, 8, 8)).show(ctx=ax)
    assert len(ax.images) == 1
    TensorSeries(torch.rand(2, 10)).show(ctx=ax)
    assert len(ax.lines) == 2
    plt.close(fig)


def test_repr_names_type():
    assert repr(TensorCategory(torch.tensor(1))).startswith("TensorCategory(")
