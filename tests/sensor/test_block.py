"""Tests for SeriesBlock (series in the DataBlock API) and SeriesNormalize as a core Transform."""
import numpy as np
import pytest
import torch

from fastlayers.core import Pipeline, TensorSeries, Transform, TransformError
from fastlayers.data import CategoryBlock, DataBlock, IndexSplitter, TfmdLists
from fastlayers.sensor import SeriesBlock, SeriesDL, SeriesNormalize, ToSeries, machine_readings, sensor_learner

torch.set_num_threads(1)


def _ragged(n: int = 40, seed: int = 0, shift: float = 0.0):
    "Variable-length machine readings (lengths 16..32), optionally shifted far away from the rest."
    X, y = machine_readings(n, 32, 3, variable_length=True, seed=seed)
    return [x + np.float32(shift) for x in X], list(y)


def _block_dls(X, y, n_valid: int, bs: int = 8, **block_kw):
    "A DataBlock over indices: the last `n_valid` series are the validation split."
    n = len(X)
    db = DataBlock(blocks=(SeriesBlock(**block_kw), CategoryBlock()), get_x=lambda i: X[i], get_y=lambda i: y[i],
                   splitter=IndexSplitter(range(n - n_valid, n)))
    return db.dataloaders(list(range(n)), bs=bs)


# ---------------------------------------------------------------- SeriesNormalize is a Transform
def test_series_normalize_is_a_transform_with_setups_and_decodes():
    rng = np.random.default_rng(0)
    train = [rng.normal(3, 2, (2, n)).astype(np.float32) for n in (5, 9, 14)]
    norm = SeriesNormalize().setup(train)
    assert isinstance(norm, Transform)
    steps = np.concatenate(train, axis=1)
    np.testing.assert_allclose(norm.mean, steps.mean(1), rtol=1e-5)
    np.testing.assert_allclose(norm.std, steps.std(1), rtol=1e-5)
    x = TensorSeries(torch.from_numpy(train[1]))
    out = norm(x)
    assert isinstance(out, TensorSeries)                                   # the semantic type survives
    torch.testing.assert_close(out.as_plain().mean(1), torch.from_numpy((train[1].mean(1) - norm.mean) / norm.std))
    back = norm.decode(out)
    assert isinstance(back, TensorSeries)
    torch.testing.assert_close(back.as_plain(), x.as_plain(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(norm.decode(norm(train[0])), train[0], rtol=1e-5, atol=1e-5)   # numpy too
    # a batch (n, channels, length) uses the same per-channel statistics
    batch = torch.from_numpy(np.stack([train[1], train[1]]))
    torch.testing.assert_close(norm(batch)[1], out.as_plain())


def test_series_normalize_statistics_from_training_split_of_a_pipeline():
    rng = np.random.default_rng(1)
    train = [rng.normal(0, 1, (2, 10)).astype(np.float32) for _ in range(6)]
    valid = [rng.normal(100, 30, (2, 10)).astype(np.float32) for _ in range(3)]
    norm = SeriesNormalize()
    # train_setup=False asked by the caller: the transform still only looks at the training split
    tl = TfmdLists(train + valid, [ToSeries(), norm], splits=[list(range(6)), list(range(6, 9))], do_setup=False)
    tl.setup(train_setup=False)
    np.testing.assert_allclose(norm.mean, np.concatenate(train, 1).mean(1), rtol=1e-5)
    assert np.all(np.abs(norm.mean) < 2)                                   # the validation level (100) never got in
    torch.testing.assert_close(tl.decode(tl[7]).as_plain(), torch.from_numpy(valid[1]), rtol=1e-5, atol=1e-4)


def test_series_normalize_keeps_given_stats_and_checks_channels():
    norm = SeriesNormalize(mean=[1.0, 2.0], std=[2.0, 4.0]).setup([np.zeros((2, 3), np.float32)])
    np.testing.assert_allclose(norm.mean, [1.0, 2.0])                     # given statistics are not recomputed
    np.testing.assert_allclose(norm(np.array([[3.0], [6.0]], np.float32)), [[1.0], [1.0]])
    with pytest.raises(ValueError, match="series has 3 channels but the statistics were computed on 2"):
        norm(torch.zeros(3, 4))
    with pytest.raises(RuntimeError, match="setup"):
        SeriesNormalize()(torch.zeros(2, 4))


# ---------------------------------------------------------------- SeriesBlock
def test_to_series_types_and_bad_input():
    out = ToSeries()([1.0, 2.0, 3.0])                                      # 1-D: one channel
    assert isinstance(out, TensorSeries) and out.shape == (1, 3) and out.dtype == torch.float32
    assert ToSeries()(np.zeros((2, 5), np.float64)).shape == (2, 5)
    with pytest.raises(ValueError, match=r"contains NaN \(first at channel 0, step 1\).*fill_nan"):
        ToSeries()(np.array([[0.0, np.nan, 1.0]]))
    np.testing.assert_array_equal(ToSeries(fill_nan="ffill")(np.array([[0.0, np.nan, 1.0]])).numpy(), [[0, 0, 1]])
    with pytest.raises(ValueError, match="must be \\(channels, length\\)"):
        ToSeries()(np.zeros((2, 3, 4)))


def test_series_block_pads_masks_and_normalizes_from_training_split():
    X, y = _ragged(24, seed=0)
    Xv, yv = _ragged(8, seed=1, shift=50.0)                                 # validation far from training
    dls = _block_dls(X + Xv, y + yv, n_valid=8)
    assert isinstance(dls.train, SeriesDL) and isinstance(dls.valid, SeriesDL)
    assert dls.n_inp == 2 and dls.c == 5                                    # (x, mask) are the inputs
    norm = next(t for t in dls.train_ds.tls[0].tfms.fs if isinstance(t, SeriesNormalize))
    np.testing.assert_allclose(norm.mean, np.concatenate(X, 1).mean(1), rtol=1e-4, atol=1e-5)
    x, mask, yb = dls.valid.one_batch()
    assert isinstance(x, TensorSeries) and mask.dtype == torch.bool and x.shape[-1] == mask.shape[-1]
    lengths = mask.sum(1)
    assert lengths.tolist() == [s.shape[1] for s in Xv]                     # valid keeps its order
    assert int(lengths.max()) == x.shape[-1] and (lengths < x.shape[-1]).any()
    assert x[~mask.unsqueeze(1).expand_as(x)].abs().sum() == 0             # padding is zeros, after normalization
    assert x.as_plain()[mask.unsqueeze(1).expand_as(x)].mean() > 10        # validation normalized with train stats
    # decode: real steps only, original units, label names
    items = dls.valid.decode_batch((x, mask, yb), max_n=3)
    for (xs, label), orig, lab in zip(items, Xv, yv):
        assert xs.shape == orig.shape
        np.testing.assert_allclose(xs.as_subclass(torch.Tensor).numpy(), orig, rtol=1e-4, atol=1e-3)
        assert label == lab
    tb = dls.test_dl([24, 2]).one_batch()                                  # items go through get_x: indices here
    assert len(tb) == 2 and tb[1].sum(1).tolist() == [Xv[0].shape[1], X[2].shape[1]]   # unlabelled: (x, mask)


def test_series_block_without_padding_and_bad_splits():
    X, y = machine_readings(12, 20, 2, seed=0)
    dls = _block_dls(list(X), list(y), n_valid=4, pad=False)
    assert dls.n_inp == 1
    x, yb = dls.train.one_batch()
    assert x.shape == (8, 2, 20)
    X2, y2 = _ragged(12)
    dls2 = _block_dls(X2, y2, n_valid=4, pad=False)
    with pytest.raises(RuntimeError, match="different shapes"):
        dls2.train.one_batch()
    # validation series with other channels than the training ones
    bad = list(X[:8]) + [np.zeros((3, 20), np.float32)] * 4
    dls3 = _block_dls(bad, list(y), n_valid=4)
    with pytest.raises(TransformError, match="3 channels but the statistics were computed on 2"):
        dls3.valid.one_batch()
    with pytest.raises(TransformError, match="NaN"):
        _block_dls([np.full((2, 20), np.nan, np.float32)] + list(X[1:]), list(y), n_valid=4)


@pytest.mark.slow
def test_series_block_trains_with_sensor_learner():
    X, y = machine_readings(120, 48, 3, noise=0.05, variable_length=True, seed=0)
    dls = _block_dls(list(X), list(y), n_valid=30, bs=16)
    torch.manual_seed(0)
    learn = sensor_learner(dls, progress=False, arch_kwargs=dict(channels=(32, 64, 32)))
    learn.fit_one_cycle(12, 1e-2)
    preds, targs = learn.get_preds()
    # 5 balanced classes: chance is 0.2; seeds 0-2 reach 0.77-0.80 on these short ragged series
    assert (preds.argmax(-1) == targs).float().mean() >= 0.6
    import matplotlib
    matplotlib.use("Agg")
    assert len(dls.show_batch(max_n=4)) == 4
    assert len(learn.show_results(max_n=3)) == 3
