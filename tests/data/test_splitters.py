"""Splitters partition items; bad splits (empty, leaking, out of range) are refused with a clear message."""
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from fastlayers.data import (ColSplitter, Datasets, FuncSplitter, GrandparentSplitter, IndexSplitter, RandomSplitter,
                             check_splits)


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 300), st.floats(0.05, 0.95), st.integers(0, 10_000))
def test_random_splitter_partitions(n, pct, seed):
    train, valid = RandomSplitter(pct, seed=seed)(list(range(n)))
    assert sorted(train + valid) == list(range(n))
    assert len(valid) == int(pct * n)


def test_random_splitter_seeded_is_reproducible():
    items = list(range(100))
    assert RandomSplitter(0.2, seed=3)(items) == RandomSplitter(0.2, seed=3)(items)
    assert RandomSplitter(0.2, seed=3)(items) != RandomSplitter(0.2, seed=4)(items)
    with pytest.raises(ValueError, match="valid_pct"):
        RandomSplitter(1.5)


@settings(max_examples=30, deadline=None)
@given(st.sets(st.integers(0, 49), max_size=49))
def test_index_splitter_partitions(valid):
    train, v = IndexSplitter(valid)(list(range(50)))
    assert v == sorted(valid) and sorted(train + v) == list(range(50))


def test_index_splitter_out_of_range():
    with pytest.raises(IndexError, match="outside"):
        IndexSplitter([10])(list(range(5)))


def test_func_col_grandparent():
    assert FuncSplitter(lambda o: o % 3 == 0)(list(range(7))) == ([1, 2, 4, 5], [0, 3, 6])
    df = pd.DataFrame({"x": range(4), "is_valid": [False, True, False, True]})
    assert ColSplitter()(df) == ([0, 2], [1, 3])
    with pytest.raises(KeyError, match="no column 'valid'"):
        ColSplitter("valid")(df)
    paths = ["d/train/cat/1.png", "d/valid/dog/2.png", "d/train/dog/3.png", "d/test/cat/4.png"]
    assert GrandparentSplitter()(paths) == ([0, 2], [1])


def test_empty_split_is_an_error():
    with pytest.raises(ValueError, match="valid split is empty"):
        check_splits([[0, 1, 2], []], 3)
    with pytest.raises(ValueError, match="valid split is empty"):
        Datasets(list(range(3)), [[lambda o: o]], splits=FuncSplitter(lambda o: False)(list(range(3))))


def test_leaking_split_is_an_error():
    leaky = lambda items: ([0, 1, 2], [2, 3])  # noqa: E731  (a user-written splitter with a mistake)
    with pytest.raises(ValueError, match="leaks: item 2 is in both train and valid"):
        Datasets(list(range(4)), [[lambda o: o]], splits=leaky(range(4)))
