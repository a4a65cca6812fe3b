"""show_batch: a grid for types that draw themselves, a table otherwise, and type-dispatched overrides."""
import matplotlib
import pytest
import torch
from hypothesis import given, settings, strategies as st

from fastlayers.core import TensorImage, TensorSeries, typedispatch
from fastlayers.data import Categorize, DataLoaders, Datasets, IntToFloatTensor, Normalize, TfmdDL

matplotlib.use("Agg")


def image_dsets(n=6):
    imgs = [TensorImage(torch.full((3, 4, 4), i * 20, dtype=torch.uint8)) for i in range(n)]
    return Datasets(list(range(n)), [[imgs.__getitem__], [lambda i: "even" if i % 2 == 0 else "odd", Categorize()]])


def test_show_batch_images_draw_a_grid_with_titles():
    import matplotlib.pyplot as plt
    dl = TfmdDL(image_dsets(), bs=4, after_batch=[IntToFloatTensor(), Normalize()])
    axs = dl.show_batch(max_n=4)
    assert len(axs) == 4 and all(len(ax.images) == 1 for ax in axs)
    assert [ax.get_title() for ax in axs] == ["even", "odd", "even", "odd"]
    # decoding undid Normalize and IntToFloatTensor: pixel values are back on the 0..255 scale
    x, _ = dl.decode_batch(dl.one_batch(), max_n=2)[1]
    assert torch.allclose(x.float(), torch.full((3, 4, 4), 20.0), atol=1e-3)
    plt.close("all")


def test_applications_register_their_own_show_batch():
    calls = []

    class TensorSignal(TensorSeries):  # a private type, so the global table of real applications stays untouched
        pass

    @typedispatch
    def show_batch(x: TensorSignal, y, samples, ctxs=None, max_n=9, **kwargs):
        calls.append((type(x).__name__, len(samples)))
        return "signal view"

    series = [TensorSignal(torch.zeros(2, 5)) for _ in range(4)]
    dl = TfmdDL(Datasets(list(range(4)), [[series.__getitem__], [str, Categorize()]]), bs=4)
    assert dl.show_batch(max_n=3) == "signal view" and calls == [("TensorSignal", 3)]


def test_show_batch_on_plain_tensor_loader_gives_table():
    from torch.utils.data import TensorDataset
    dls = DataLoaders.from_dsets(TensorDataset(torch.arange(6.0), torch.arange(6)), TensorDataset(torch.arange(3.0)), bs=3)
    df = dls.valid.show_batch()
    assert df.shape == (3, 1) and df["x"].tolist() == [0.0, 1.0, 2.0]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=4, max_size=12))
def test_normalize_decode_inverts_encode(values):
    x = TensorImage(torch.tensor(values).view(-1, 1, 1, 1).repeat(1, 2, 1, 1))
    norm = Normalize(mean=[1.5, -2.0], std=[0.5, 3.0])
    assert torch.allclose(norm.decode(norm(x)), x, atol=1e-3)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 255), min_size=1, max_size=16))
def test_int_to_float_decode_inverts_encode(values):
    x = TensorImage(torch.tensor(values, dtype=torch.uint8))
    t = IntToFloatTensor()
    assert torch.equal(t.decode(t(x)).round().to(torch.uint8), x)


def test_torchvision_dataset_plugs_in():
    tv = pytest.importorskip("torchvision")
    ds = tv.datasets.FakeData(size=12, image_size=(3, 8, 8), num_classes=4, transform=tv.transforms.ToTensor())
    dls = DataLoaders.from_dsets(ds, ds, bs=4, device="cpu")
    xb, yb = dls.valid.one_batch()
    assert xb.shape == (4, 3, 8, 8) and yb.shape == (4,) and len(dls.train) == 3
