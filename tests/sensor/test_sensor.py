"""Tests for fastlayers.sensor: loading and bad input, windows, normalization, padding invariance, models, loaders."""
import numpy as np
import pandas as pd
import pytest
import torch

from fastlayers.sensor import (FCN, ConvLSTM, GRUClassifier, InceptionTime, LSTMClassifier, MaskedBatchNorm1d,
                               ResNet1d, SensorDataLoaders, SeriesAugment, SeriesNormalize, channel_stats, jitter,
                               machine_readings, magnitude_warp, make_windows, pad_collate, pad_series, scaling,
                               sensor_learner, series_from_df, split_by_time, to_series_list, window_label,
                               window_slice, window_starts)

torch.set_num_threads(1)


# ---------------------------------------------------------------- loading and bad input
def test_to_series_list_accepts_3d_and_ragged():
    out = to_series_list(np.zeros((4, 2, 10)))
    assert len(out) == 4 and out[0].shape == (2, 10) and out[0].dtype == np.float32
    ragged = to_series_list([np.zeros((2, 5)), np.ones((2, 7))])
    assert [s.shape[1] for s in ragged] == [5, 7]


def test_nan_is_an_error_naming_position_and_fix():
    x = np.zeros((3, 2, 6), np.float32)
    x[1, 1, 4] = np.nan
    with pytest.raises(ValueError, match=r"X\[1\] contains NaN \(first at channel 1, step 4\).*fill_nan"):
        to_series_list(x)


def test_nan_fill_options():
    x = np.array([[[np.nan, 1.0, np.nan, 3.0, np.nan]]], np.float32)
    np.testing.assert_array_equal(to_series_list(x, fill_nan="ffill")[0], [[1, 1, 1, 3, 3]])
    np.testing.assert_array_equal(to_series_list(x, fill_nan=0.0)[0], [[0, 1, 0, 3, 0]])
    with pytest.raises(ValueError, match="all NaN"):
        to_series_list(np.full((1, 1, 3), np.nan), fill_nan="ffill")


@pytest.mark.parametrize("bad, match", [
    (np.zeros((4, 10)), "2-D"),
    ([np.zeros((2, 5)), np.zeros((3, 5))], r"channel counts \[2, 3\]"),
    ([np.zeros((2, 0))], "no time steps"),
    ([np.full((1, 3), np.inf)], "inf"),
    ([], "no series"),
])
def test_bad_series_input(bad, match):
    with pytest.raises(ValueError, match=match):
        to_series_list(bad)


def test_channel_count_differs_between_splits():
    with pytest.raises(ValueError, match=r"X_valid mixes channel counts \[2, 3\] \(the training split has 3\)"):
        SensorDataLoaders.from_arrays(np.zeros((4, 3, 8)), list("abab"), np.zeros((2, 2, 8)), list("ab"))


def test_missing_labels_are_reported():
    with pytest.raises(ValueError, match=r"1 series have no label in y \(first at index 2\)"):
        SensorDataLoaders.from_arrays(np.zeros((4, 1, 8)), ["a", "b", None, "a"])
    with pytest.raises(ValueError, match="got 3 labels in y for 4 series"):
        SensorDataLoaders.from_arrays(np.zeros((4, 1, 8)), ["a", "b", "a"])
    with pytest.raises(ValueError, match="y is None"):
        SensorDataLoaders.from_arrays(np.zeros((4, 1, 8)), None)


def test_series_from_df_sorts_by_time_and_checks_labels():
    df = pd.DataFrame({"id": [1, 1, 1, 2, 2], "t": [2, 0, 1, 1, 0], "a": [2., 0., 1., 11., 10.],
                       "b": [5., 3., 4., 0., 0.], "label": ["x", "x", "x", "y", "y"]})
    ids, series, labels = series_from_df(df, "id", "t", ["a", "b"], "label")
    assert ids == [1, 2] and list(labels) == ["x", "y"]
    np.testing.assert_array_equal(series[0], [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(series[1], [[10, 11], [0, 0]])
    with pytest.raises(ValueError, match=r"columns \['c'\] are not in the DataFrame"):
        series_from_df(df, "id", "t", ["a", "c"], "label")
    df.loc[0, "label"] = "z"
    with pytest.raises(ValueError, match="several labels"):
        series_from_df(df, "id", "t", ["a", "b"], "label")


def test_aeon_bundled_dataset_loads_offline():
    dls = SensorDataLoaders.from_aeon("BasicMotions", bs=16, seed=0)
    assert len(dls.train_ds) == 40 and len(dls.valid_ds) == 40 and dls.c == 4 and dls.n_inp == 1
    x, y = dls.one_batch()
    assert x.shape == (16, 6, 100)


# ---------------------------------------------------------------- windows
def test_window_starts_and_labels():
    assert window_starts(10, 4, 3) == [0, 3, 6]
    assert window_starts(3, 4, 1) == []
    assert window_label(list("aabbb")) == "b"
    assert window_label(list("abba")) == "a"          # a tie goes to the label seen first
    assert window_label(list("aab"), "last") == "b"
    with pytest.raises(ValueError, match="size and stride must be positive"):
        window_starts(10, 0, 1)


def test_windows_never_straddle_recordings():
    recs = [np.tile(np.arange(10.0), (2, 1)), 100 + np.tile(np.arange(7.0), (2, 1))]
    steps = [["a"] * 10, ["b"] * 7]
    w, lab, rec, start = make_windows(recs, steps, size=4, stride=2)
    assert w.shape == (4 + 2, 2, 4)
    for win, r, s in zip(w, rec, start):
        np.testing.assert_array_equal(win, recs[r][:, s:s + 4])   # every window is one piece of one recording
    assert list(lab) == ["a"] * 4 + ["b"] * 2
    with pytest.raises(ValueError, match="no window of size 20 fits"):
        make_windows(recs, steps, size=20)
    with pytest.raises(ValueError, match="9 step labels"):
        make_windows(recs[:1], [["a"] * 9], size=4)


def test_split_by_time_keeps_windows_on_one_side():
    rec = np.arange(20.0)[None]
    train, valid, tl, vl = split_by_time([rec], [list(range(20))], valid_pct=0.25)
    assert train[0].shape[1] == 15 and valid[0].shape[1] == 5 and vl[0] == [15, 16, 17, 18, 19]
    wt, *_ = make_windows(train, None, size=5, stride=1)
    wv, *_ = make_windows(valid, None, size=5, stride=1)
    assert wt.max() < 15 <= wv.min()                                  # no window mixes train and valid steps


# ---------------------------------------------------------------- normalization
def test_channel_stats_weight_every_step_once():
    a, b = np.array([[0.0, 2.0]]), np.array([[4.0, 4.0, 4.0, 4.0]])
    mean, std = channel_stats([a, b])
    steps = np.array([0, 2, 4, 4, 4, 4.0])
    np.testing.assert_allclose(mean, [steps.mean()], rtol=1e-6)
    np.testing.assert_allclose(std, [steps.std()], rtol=1e-6)
    _, flat_std = channel_stats([np.ones((1, 5))])
    assert flat_std[0] == 1.0                                          # a flat channel is not divided by zero


def test_normalize_uses_training_split_only_and_decodes():
    rng = np.random.default_rng(0)
    X = rng.normal(5, 2, (20, 3, 30)).astype(np.float32)
    Xv = rng.normal(50, 9, (5, 3, 30)).astype(np.float32)           # very different validation data
    dls = SensorDataLoaders.from_arrays(X, ["a", "b"] * 10, Xv, ["a"] * 5, bs=8)
    np.testing.assert_allclose(dls.normalize.mean, X.mean(axis=(0, 2)), rtol=1e-5)
    x = torch.tensor(Xv[0])
    torch.testing.assert_close(dls.normalize.decode(dls.normalize(x)), x, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="series has 2 channels but the statistics were computed on 3"):
        dls.normalize(torch.zeros(2, 4))
    with pytest.raises(RuntimeError, match="setup"):
        SeriesNormalize()(np.zeros((1, 3)))


# ---------------------------------------------------------------- padding and masks
def test_pad_series_and_collate():
    x, mask = pad_series([torch.ones(2, 3), 2 * torch.ones(2, 5)])
    assert x.shape == (2, 2, 5) and mask.tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    assert x[0, :, 3:].abs().sum() == 0
    xb, mb, yb = pad_collate([(torch.ones(1, 2), 0), (torch.ones(1, 4), 1)])
    assert xb.shape == (2, 1, 4) and yb.tolist() == [0, 1]
    with pytest.raises(ValueError, match="different channel counts"):
        pad_series([torch.ones(2, 3), torch.ones(3, 3)])


ARCHS = [
    lambda c, n: FCN(c, n, channels=(8, 16, 8)),
    lambda c, n: ResNet1d(c, n, channels=(8, 8, 16)),
    lambda c, n: InceptionTime(c, n, nf=4, depth=3, kernels=(9, 5, 3)),
    lambda c, n: ConvLSTM(c, n, conv_channels=8, hidden=8),
    lambda c, n: ConvLSTM(c, n, conv_channels=8, hidden=8, bidirectional=True, pool="max"),
    lambda c, n: LSTMClassifier(c, n, hidden=8),
    lambda c, n: LSTMClassifier(c, n, hidden=8, bidirectional=True, layers=2),
    lambda c, n: GRUClassifier(c, n, hidden=8, bidirectional=True),
    lambda c, n: GRUClassifier(c, n, hidden=8, pool="mean"),
]


@pytest.mark.parametrize("make", ARCHS)
def test_prediction_does_not_depend_on_padding(make):
    torch.manual_seed(0)
    model = make(3, 4)
    series = [torch.randn(3, n) for n in (9, 12, 15)]
    model.train()
    model(*pad_series(series))                                     # one training step of BatchNorm statistics
    model.eval()
    with torch.no_grad():
        alone = torch.cat([model(s[None], torch.ones(1, s.shape[1], dtype=torch.bool)) for s in series])
        x, mask = pad_series(series)
        batched = model(x, mask)
        x_long = torch.cat([x, torch.randn(3, 3, 10)], dim=-1)       # extra padding holding garbage
        mask_long = torch.cat([mask, torch.zeros(3, 10, dtype=torch.bool)], dim=-1)
        longer = model(x_long, mask_long)
    torch.testing.assert_close(batched, alone, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(longer, alone, rtol=1e-4, atol=1e-5)


def test_masked_batchnorm_statistics_ignore_padding():
    torch.manual_seed(0)
    bn = MaskedBatchNorm1d(2)
    x, mask = pad_series([torch.randn(2, 5), torch.randn(2, 8)])
    x_garbage = x + 100 * (~mask).unsqueeze(1)
    out = bn(x_garbage, mask)
    real = torch.cat([x[0, :, :5], x[1]], dim=-1)
    torch.testing.assert_close(bn.running_mean, 0.1 * real.mean(-1), rtol=1e-4, atol=1e-6)
    expected = (real - real.mean(-1, keepdim=True)) / torch.sqrt(real.var(-1, unbiased=False, keepdim=True) + bn.eps)
    torch.testing.assert_close(torch.cat([out[0, :, :5], out[1]], dim=-1), expected, rtol=1e-4, atol=1e-5)
    assert out[0, :, 5:].abs().sum() == 0


def test_models_check_their_input():
    with pytest.raises(ValueError, match="built for 3 channels but the batch has 2"):
        FCN(3, 2)(torch.zeros(1, 2, 10))
    with pytest.raises(ValueError, match=r"\(n, channels, length\)"):
        LSTMClassifier(1, 2)(torch.zeros(4, 10))
    model = ConvLSTM(2, 3, kernel_size=5)
    x, mask = pad_series([torch.randn(2, 10), torch.randn(2, 3)])
    with pytest.raises(ValueError, match="at least 5 steps .*receptive field.* got one with 3 steps"):
        model(x, mask)
    with pytest.raises(ValueError, match="at least 5 steps"):
        model(torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="pool must be"):
        LSTMClassifier(1, 2, pool="first")
    with pytest.raises(ValueError, match="even"):
        FCN(1, 2, kernels=(8, 5, 3))


def test_last_step_pooling_reads_the_real_last_step():
    "The hidden state used must be the one after each series' own last reading."
    torch.manual_seed(0)
    model = LSTMClassifier(1, 2, hidden=4).eval()
    s = torch.randn(1, 6)
    with torch.no_grad():
        expected = model.head(model.rnn(s.T[None])[0][:, -1])
        x, mask = pad_series([s, torch.randn(1, 11)])
        torch.testing.assert_close(model(x, mask)[:1], expected)


# ---------------------------------------------------------------- augmentation
def test_augmentations_keep_shape_and_change_values():
    g = torch.Generator().manual_seed(0)
    x = 2 + torch.sin(torch.linspace(0, 6, 50)).repeat(3, 1)
    for aug in (jitter, scaling, magnitude_warp, window_slice):
        out = aug(x, generator=g)
        assert out.shape == x.shape and not torch.allclose(out, x), aug.__name__
    scaled = scaling(x, generator=g)
    ratio = scaled / x
    assert torch.allclose(ratio, ratio[:, :1].expand_as(ratio), atol=1e-4)   # one factor per channel


def test_augment_is_train_only():
    aug = SeriesAugment(p=1.0, seed=0)
    x = torch.randn(2, 20)
    assert aug(x, split_idx=1) is x and aug(x) is x
    assert not torch.allclose(aug(x, split_idx=0), x)
    X, y = machine_readings(40, 32, 2, seed=1)
    dls = SensorDataLoaders.from_arrays(X, y, seed=0, bs=8, augment=SeriesAugment(p=1.0, seed=0))
    v1, v2 = dls.valid.one_batch()[0], dls.valid.one_batch()[0]
    torch.testing.assert_close(v1, v2)                                # validation batches are never augmented
    i = 0
    assert not torch.allclose(dls.train_ds[i][0], dls.train_ds[i][0])


# ---------------------------------------------------------------- synthetic data
def test_machine_readings_shapes_and_balance():
    X, y = machine_readings(100, 40, 3, seed=0)
    assert X.shape == (100, 3, 40) and X.dtype == np.float32
    assert sorted(pd.Series(y).value_counts().tolist()) == [20] * 5
    Xr, _ = machine_readings(10, 40, 2, variable_length=True, seed=0)
    assert all(20 <= s.shape[1] <= 40 for s in Xr) and len({s.shape[1] for s in Xr}) > 1
    X2, y2 = machine_readings(100, 40, 3, seed=0)
    np.testing.assert_array_equal(X, X2)
    with pytest.raises(ValueError, match="unknown fault"):
        machine_readings(5, 32, faults=("normal", "fire"))
    assert set(y) == {"normal", "spike", "drift", "vibration", "stuck"}


# ---------------------------------------------------------------- loaders and learner
def test_loaders_variable_length_batches_and_decode():
    X, y = machine_readings(60, 40, 2, variable_length=True, seed=0)
    dls = SensorDataLoaders.from_arrays(X, y, valid_pct=0.25, seed=0, bs=16)
    assert dls.n_inp == 2 and dls.c == 5 and len(dls.valid_ds) == 15
    x, mask, yb = dls.valid.one_batch()
    assert mask.dtype == torch.bool and x.shape[-1] == mask.shape[-1] == int(mask.sum(1).max())
    item = dls.valid.decode_batch((x, mask, yb), max_n=1)[0]
    i = 0
    original = [s for s in X if s.shape[1] == item[0].shape[-1]]
    assert any(np.allclose(item[0].numpy(), s, atol=1e-4) for s in original)   # real steps, original units
    assert item[1] in set(y)
    test = dls.test_dl([X[0], X[1]])
    tb = next(iter(test))
    assert len(tb) == 2 and tb[0].shape[0] == 2


def test_from_df_with_valid_ids():
    rows = [(i, t, float(i + t), "a" if i % 2 else "b") for i in range(6) for t in range(8)]
    df = pd.DataFrame(rows, columns=["id", "t", "v", "label"])
    dls = SensorDataLoaders.from_df(df, "id", "t", ["v"], "label", valid_ids=[4, 5], bs=2)
    assert len(dls.train_ds) == 4 and len(dls.valid_ds) == 2
    with pytest.raises(ValueError, match="valid_ids"):
        SensorDataLoaders.from_df(df, "id", "t", ["v"], "label", valid_ids=[99])


@pytest.mark.slow
def test_sensor_learner_trains_on_synthetic_faults():
    torch.manual_seed(0)
    X, y = machine_readings(150, 64, 3, noise=0.05, seed=0)
    dls = SensorDataLoaders.from_arrays(X, y, seed=0, bs=16)
    learn = sensor_learner(dls, progress=False, arch_kwargs=dict(channels=(32, 64, 32)))
    learn.fit_one_cycle(20, 1e-2)
    preds, targs = learn.get_preds()
    assert (preds.argmax(-1) == targs).float().mean() >= 0.75        # 5 balanced classes: chance is 0.2
    import matplotlib
    matplotlib.use("Agg")
    assert len(dls.show_batch(max_n=4)) == 4
    assert len(learn.show_results(max_n=3)) == 3


def test_sensor_learner_bad_arch():
    X, y = machine_readings(20, 32, 1, seed=0)
    dls = SensorDataLoaders.from_arrays(X, y, seed=0)
    with pytest.raises(ValueError, match="unknown arch 'transformer'"):
        sensor_learner(dls, arch="transformer")
