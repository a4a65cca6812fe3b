"""DataLoader: batching, shuffling from a seed, drop_last, replaceable stages, workers, the tensor fast path, errors."""
import pytest
import torch
from torch.utils.data import Dataset, TensorDataset

from fastlayers.core import TensorCategory, TensorImage, Transform, TransformError
from fastlayers.data import Categorize, DataLoader, Datasets, TfmdDL, collate


class Squares(Dataset):
    """A plain torch map-style dataset (no tensors in memory, so no fast path)."""
    def __init__(self, n): self.n = n
    def __len__(self): return self.n
    def __getitem__(self, i): return torch.tensor([float(i)]), i * i


def as_list(dl):
    return [tuple(t.tolist() for t in b) for b in dl]


@pytest.mark.parametrize("n,bs,drop_last,expected", [(10, 4, False, 3), (10, 4, True, 2), (8, 4, True, 2), (3, 5, False, 1)])
def test_len_matches_batches(n, bs, drop_last, expected):
    for ds in (Squares(n), TensorDataset(torch.arange(n))):
        dl = DataLoader(ds, bs=bs, drop_last=drop_last)
        assert len(dl) == expected == len(list(dl))


def test_in_order_batches_and_last_partial():
    b = list(DataLoader(Squares(5), bs=2))
    assert [x.flatten().tolist() for x, _ in b] == [[0.0, 1.0], [2.0, 3.0], [4.0]]
    assert b[-1][1].tolist() == [16]
    assert all(isinstance(x, tuple) for x in b)


def test_shuffle_covers_every_item_once_and_seed_reproduces():
    dl = DataLoader(Squares(50), bs=7, shuffle=True, seed=1)
    epoch1 = [int(v) for x, _ in dl for v in x.flatten()]
    epoch2 = [int(v) for x, _ in dl for v in x.flatten()]
    assert sorted(epoch1) == list(range(50)) and epoch1 != list(range(50))
    assert epoch1 != epoch2  # a new order each epoch
    again = DataLoader(Squares(50), bs=7, shuffle=True, seed=1)
    assert [int(v) for x, _ in again for v in x.flatten()] == epoch1


def test_global_seed_reproduces_without_seed_argument():
    torch.manual_seed(5)
    a = as_list(DataLoader(TensorDataset(torch.arange(20)), bs=4, shuffle=True))
    torch.manual_seed(5)
    b = as_list(DataLoader(TensorDataset(torch.arange(20)), bs=4, shuffle=True))
    assert a == b


@pytest.mark.parametrize("shuffle,drop_last", [(False, False), (True, True), (True, False)])
def test_fast_path_gives_same_batches_as_item_path(shuffle, drop_last):
    x, y = torch.randn(23, 3), torch.randint(0, 4, (23,))
    fast = DataLoader(TensorDataset(x, y), bs=5, shuffle=shuffle, drop_last=drop_last, seed=0)
    slow = DataLoader(TensorDataset(x, y), bs=5, shuffle=shuffle, drop_last=drop_last, seed=0,
                      create_item=lambda i: (x[i], y[i]))
    assert fast._uses_fast_path() and not slow._uses_fast_path()
    assert as_list(fast) == as_list(slow)


def test_fast_path_accepts_tuple_of_tensors_and_checks_lengths():
    dl = DataLoader((torch.zeros(10, 2), torch.ones(10)), bs=4)
    assert len(list(dl)) == 3
    with pytest.raises(ValueError, match=r"different lengths \[10, 9\].*one row per item"):
        DataLoader((torch.zeros(10, 2), torch.ones(9)), bs=4)


def test_fast_path_keeps_semantic_types_and_after_batch_runs():
    x = TensorImage(torch.rand(6, 1, 2, 2))
    dl = DataLoader((x, TensorCategory(torch.arange(6))), bs=3, after_batch=lambda b: (b[0] * 0, b[1]))
    xb, yb = next(iter(dl))
    assert type(xb) is TensorImage and type(yb) is TensorCategory and xb.sum() == 0


def test_replace_stages_by_functions_and_subclass():
    dl = DataLoader(Squares(4), bs=2, create_item=lambda i: i, after_item=lambda o: o * 10,
                    before_batch=lambda items: items[::-1], create_batch=lambda items: tuple(items),
                    after_batch=lambda b: b + ("done",))
    assert list(dl) == [(10, 0, "done"), (30, 20, "done")]

    class Odd(DataLoader):
        def get_idxs(self): return [i for i in range(self.n) if i % 2]
    assert [x.flatten().tolist() for x, _ in Odd(Squares(6), bs=10)] == [[1.0, 3.0, 5.0]]

    with pytest.raises(TypeError, match="unknown arguments.*'colate'"):
        DataLoader(Squares(2), colate=list)


def test_num_workers_give_the_same_batches():
    ds = Squares(30)
    assert as_list(DataLoader(ds, bs=4, num_workers=2)) == as_list(DataLoader(ds, bs=4))


def test_drop_last_with_bs_larger_than_data():
    with pytest.raises(ValueError, match=r"bs=64 is larger than the dataset \(10 items\).*drop_last"):
        DataLoader(Squares(10), bs=64, drop_last=True)
    assert len(DataLoader(Squares(10), bs=64)) == 1


def test_bad_bs_and_missing_dataset():
    with pytest.raises(ValueError, match="bs must be a positive integer"):
        DataLoader(Squares(3), bs=0)
    with pytest.raises(ValueError, match="needs a dataset"):
        DataLoader()


def test_collate_reports_shapes_and_types():
    with pytest.raises(RuntimeError, match=r"different shapes.*\(2,\).*\(3,\).*pad"):
        collate([torch.zeros(2), torch.zeros(3)])
    with pytest.raises(TypeError, match="cannot collate items of type.*object.*ToTensor"):
        collate([object(), object()])
    names, nums = collate([("a", 1), ("b", 2)])
    assert names == ["a", "b"] and nums.tolist() == [1, 2]
    b = collate([TensorImage(torch.zeros(2)), TensorImage(torch.ones(2))])
    assert type(b) is TensorImage and b.shape == (2, 2)


def test_collate_keeps_lists_as_lists_and_nests():
    xs, ys = collate([[torch.zeros(2), 1], [torch.ones(2), 0]])
    assert isinstance(collate([[1, 2], [3, 4]]), list) and xs.shape == (2, 2) and ys.tolist() == [1, 0]
    batch = collate([{"x": (1.0, [2, "a"])}, {"x": (3.0, [4, "b"])}])
    assert batch["x"][0].tolist() == [1.0, 3.0] and batch["x"][1][0].tolist() == [2, 4] and batch["x"][1][1] == ["a", "b"]
    with pytest.raises(RuntimeError, match="lists of different lengths"):
        collate([[1, 2], [3]])


def test_uncollatable_items_in_a_loader():
    ragged = DataLoader(list(torch.zeros(i + 1) for i in range(4)), bs=4)
    with pytest.raises(RuntimeError, match="different shapes"):
        next(iter(ragged))


def test_transform_error_names_transform_and_item():
    def fail_on_three(o):
        if o == 3:
            raise ValueError("three is bad")
        return o

    dsets = Datasets(list(range(6)), [[fail_on_three]])
    with pytest.raises(TransformError, match=r"item 3: transform fail_on_three failed on int 3: ValueError: three"):
        list(TfmdDL(dsets, bs=2))


def test_tfmddl_pipelines_decode_and_show_batch_table():
    dsets = Datasets(list(range(8)), [[lambda o: torch.tensor(float(o))], [lambda o: "odd" if o % 2 else "even", Categorize()]])

    class Double(Transform):
        def encodes(self, x: TensorCategory): return x
        def encodes(self, x: torch.Tensor): return x * 2
        def decodes(self, x: TensorCategory): return x
        def decodes(self, x: torch.Tensor): return x / 2

    dl = TfmdDL(dsets, bs=4, after_batch=Double())
    xb, yb = dl.one_batch()
    assert xb.tolist() == [0.0, 2.0, 4.0, 6.0] and yb.tolist() == [0, 1, 0, 1]
    items = dl.decode_batch((xb, yb), max_n=3)
    assert [(float(x), str(y)) for x, y in items] == [(0.0, "even"), (1.0, "odd"), (2.0, "even")]
    df = dl.show_batch(max_n=2)
    assert list(df.columns) == ["x", "y"] and df["y"].tolist() == ["even", "odd"]


def test_device_move():
    dl = DataLoader(TensorDataset(torch.zeros(4, 2)), bs=2, device="cpu")
    assert next(iter(dl))[0].device.type == "cpu"
    dl = DataLoader(Squares(4), bs=2, device="meta")
    assert next(iter(dl))[0].device.type == "meta"
    dl = DataLoader(TensorDataset(torch.zeros(4, 2)), bs=2, device="meta")
    assert next(iter(dl))[0].device.type == "meta"
