"""TfmdLists and Datasets: lazy pipelines, split_idx on subsets, n_inp, decode, show, new items."""
import pytest

from fastlayers.core import TensorCategory, Transform
from fastlayers.data import Categorize, Datasets, TfmdLists


class TrainOnly(Transform):
    split_idx = 0
    def encodes(self, x: int): return x + 1000


def test_tfmdlists_lazy_and_subsets_know_their_split():
    tl = TfmdLists([1, 2, 3, 4], [TrainOnly()], splits=[[0, 1], [2, 3]])
    assert tl[0] == 1  # the whole list has no split_idx: train-only transform does nothing
    assert list(tl.train) == [1001, 1002]
    assert list(tl.valid) == [3, 4]
    assert tl.train.split_idx == 0 and tl.valid.split_idx == 1


def test_datasets_items_are_tuples_and_n_inp():
    dsets = Datasets(list(range(6)), [[lambda o: o * 2], [lambda o: o % 2, Categorize()]], splits=[[0, 1, 2, 3], [4, 5]])
    x, y = dsets[3]
    assert x == 6 and type(y) is TensorCategory and y.item() == 1
    assert dsets.n_inp == 1 and len(dsets.train) == 4 and len(dsets.valid) == 2
    assert list(dsets.vocab) == [0, 1] and dsets.c == 2
    assert dsets.decode(dsets[3]) == (6, "1")  # decoded labels are Category strings (they can show themselves)
    three = Datasets(list(range(3)), [[lambda o: o], [lambda o: o], [lambda o: o]])
    assert three.n_inp == 2 and Datasets(list(range(3)), [[lambda o: o]]).n_inp == 1


def test_datasets_show_each_element():
    shown = []

    class Tag(str):
        def show(self, ctx=None, **kw):
            shown.append(str(self))
            return ctx

    dsets = Datasets(["a", "b"], [[Tag], [lambda o: Tag(o.upper())]])
    dsets.show(dsets[1])
    assert shown == ["b", "B"]


def test_new_items_use_set_up_pipelines_with_validation_behaviour():
    dsets = Datasets([1, 2, 3, 4], [[TrainOnly()], ["abab".__getitem__, Categorize()]], splits=[[0, 1], [2, 3]])
    test = dsets.new([7, 8], with_labels=False)
    assert len(test.tls) == 1 and test[0] == (7,)  # validation behaviour: train-only transform skipped


def test_pipelines_of_different_lengths_refused():
    from fastlayers.data import TfmdLists as TL
    with pytest.raises(ValueError, match="different lengths"):
        Datasets(tls=[TL([1, 2], None), TL([1], None)])
