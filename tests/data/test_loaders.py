"""DataLoaders: from_dsets with tensors, plain torch datasets and loaders; vocab, c, loss_func, test_dl, device."""
import pytest
import torch
from torch.utils.data import DataLoader as TorchDataLoader, Dataset, TensorDataset

from fastlayers.core import TensorCategory
from fastlayers.data import (Categorize, CrossEntropyLossFlat, DataLoader, DataLoaders, Datasets, MSELossFlat,
                             RandomSplitter, RegressionSetup, TfmdDL, TorchLoader)


def tensors(n=100):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_from_dsets_tensor_datasets():
    x, y = tensors()
    dls = DataLoaders.from_dsets(TensorDataset(x, y), TensorDataset(x[:30], y[:30]), bs=16, device="cpu")
    assert isinstance(dls.train, DataLoader) and dls.train._uses_fast_path()
    assert dls.train.shuffle and dls.train.drop_last and not dls.valid.shuffle
    assert len(dls.train) == 6 and len(dls.valid) == 2
    xb, yb = dls.one_batch()
    assert xb.shape == (16, 4) and yb.shape == (16,) and xb.device.type == "cpu"
    assert dls.n_inp == 1 and dls.loss_func is None and dls.vocab is None and dls.c is None
    # the valid loader, in order, sees every item once
    assert torch.equal(torch.cat([b[0] for b in dls.valid]), x[:30])


def test_small_training_set_keeps_its_only_batch():
    x, y = tensors(10)
    dls = DataLoaders.from_dsets(TensorDataset(x, y), TensorDataset(x, y), bs=64)
    assert len(dls.train) == 1


def test_plain_torch_dataset_with_classes_gives_vocab():
    class Digits(Dataset):
        classes = ["zero", "one"]
        def __len__(self): return 10
        def __getitem__(self, i): return torch.full((2,), float(i)), i % 2

    dls = DataLoaders.from_dsets(Digits(), Digits(), bs=4)
    assert dls.vocab == ["zero", "one"] and dls.c == 2 and dls.loss_func is None
    xb, yb = next(iter(dls.valid))
    assert xb.shape == (4, 2) and yb.tolist() == [0, 1, 0, 1]


def test_existing_torch_dataloaders_are_used_as_is():
    x, y = tensors()
    dls = DataLoaders(TorchDataLoader(TensorDataset(x, y), batch_size=10),
                      TorchDataLoader(TensorDataset(x, y), batch_size=25), device="cpu")
    assert isinstance(dls.train, TorchLoader) and len(dls.valid) == 4 and dls.train.bs == 10
    b = next(iter(dls.train))
    assert isinstance(b, tuple) and b[0].shape == (10, 4)
    assert dls.test_dl(x[:5]).one_batch()[0].shape == (5, 4)


def test_non_loaders_are_refused_with_hint():
    with pytest.raises(TypeError, match="from_dsets"):
        DataLoaders(TensorDataset(torch.zeros(2)))


def test_datasets_give_vocab_c_loss_and_test_dl():
    items = list(range(40))
    dsets = Datasets(items, [[lambda o: torch.tensor([float(o)])], [lambda o: "big" if o >= 20 else "small", Categorize()]],
                     splits=RandomSplitter(0.25, seed=0)(items))
    dls = dsets.dataloaders(bs=8)
    assert isinstance(dls.train, TfmdDL) and isinstance(dls.valid, TfmdDL)
    assert list(dls.vocab) == ["big", "small"] and dls.c == 2
    assert isinstance(dls.loss_func, CrossEntropyLossFlat)
    xb, yb = dls.valid.one_batch()
    assert type(yb) is TensorCategory
    logits = torch.randn(len(yb), 2, device=yb.device)   # the batch is on the default device (CUDA if any)
    assert dls.loss_func(logits, yb).ndim == 0
    test = dls.test_dl([5, 30])
    assert [b[0].flatten().tolist() for b in test] == [[5.0, 30.0]]
    labelled = dls.test_dl([5, 30], with_labels=True)
    assert labelled.one_batch()[1].tolist() == [1, 0]


def test_regression_targets_give_mse():
    dsets = Datasets(list(range(20)), [[lambda o: torch.tensor([float(o)])], [lambda o: o / 2, RegressionSetup()]],
                     splits=[list(range(15)), list(range(15, 20))])
    dls = dsets.dataloaders(bs=4)
    assert isinstance(dls.loss_func, MSELossFlat) and dls.c == 1


def test_device_property_moves_all_loaders():
    x, y = tensors()
    dls = DataLoaders.from_dsets(TensorDataset(x, y), TensorDataset(x, y), bs=16)
    assert dls.device.type in ("cpu", "cuda")
    dls.to("meta")
    assert dls.train.device.type == "meta" and dls.valid.one_batch()[0].device.type == "meta"
    assert dls.cpu().device.type == "cpu" and dls.train.one_batch()[0].device.type == "cpu"
