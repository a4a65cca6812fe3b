"""The default sensor recipe: its rules (batch size, steps, stride, lr) and how the learner applies them."""
import numpy as np
import pytest
import torch

from fastlayers.sensor import (FCN, RECIPE_LR, RECIPE_STEPS, RECIPE_WORK, SensorDataLoaders, ValidateEvery,
                               pad_series, recipe_bs, recipe_epochs, recipe_steps, recipe_stride, sensor_learner, sensor_recipe)


def test_batch_size_is_a_tenth_of_the_training_set_within_8_and_64():
    assert [recipe_bs(n) for n in (1, 20, 50, 79, 80, 270, 640, 10_000)] == [8, 8, 8, 8, 8, 27, 64, 64]
    with pytest.raises(ValueError, match="empty"):
        recipe_bs(0)


def test_training_length_is_counted_in_steps_with_a_floor_in_epochs():
    assert recipe_epochs(2) == RECIPE_STEPS // 2            # 20 series, bs 8: many epochs, same number of steps
    assert recipe_epochs(7, steps=100) == 20                # ceil(100 / 7) = 15 < the 20-epoch floor
    assert recipe_epochs(10, steps=1500) * 10 == 1500
    assert recipe_epochs(7, steps=1500) * 7 >= 1500         # rounded up, never fewer steps
    assert recipe_epochs(1000) == 20                        # large sets: every series still seen 20 times
    with pytest.raises(ValueError, match="no batches"):
        recipe_epochs(0)


def test_long_batches_get_fewer_steps_within_the_work_budget():
    assert recipe_steps(bs=8, model_len=24) == RECIPE_STEPS
    assert recipe_steps(bs=20, model_len=427) == RECIPE_WORK // (20 * 427) < RECIPE_STEPS
    assert recipe_steps(bs=64, model_len=10**7) == 1
    r = sensor_recipe(n_train=200, bs=20, n_batches=10, max_len=427)
    assert r.steps <= RECIPE_STEPS and r.steps * 20 * 427 <= RECIPE_WORK + 10 * 20 * 427   # rounded up to epochs


def test_stride_keeps_the_network_at_most_512_steps_long():
    assert [recipe_stride(n) for n in (24, 512, 513, 1460, 5000)] == [1, 1, 2, 3, 10]


def test_recipe_combines_the_rules_and_explains_itself():
    r = sensor_recipe(n_train=100, bs=10, n_batches=10, max_len=1460)
    assert (r.epochs, r.steps, r.stride, r.lr) == (150, 1500, 3, RECIPE_LR)
    assert r.valid_every == 15
    text = str(r)
    assert "100 training series" in text and "bs 10" in text and "stride 3" in text


def _dls(n=30, length=40, channels=2, bs=None, lengths=None):
    rng = np.random.default_rng(0)
    if lengths is None:
        X = rng.normal(size=(n, channels, length)).astype(np.float32)
    else:
        X = [rng.normal(size=(channels, int(k))).astype(np.float32) for k in lengths]
    y = np.array(["a", "b", "c"] * (len(X) // 3))
    return SensorDataLoaders.from_arrays(X, y, X[:6], y[:6], bs=bs, seed=0)


def test_loaders_pick_the_batch_size_from_the_training_set_unless_given():
    assert _dls(n=30).train.bs == 8 and _dls(n=300).train.bs == 30 and _dls(n=300, bs=16).train.bs == 16


def test_learner_carries_the_recipe_of_its_data_and_strides_long_series():
    learn = sensor_learner(_dls(n=30, length=1100), progress=False)
    r = learn.recipe
    assert (r.n_train, r.bs, r.n_batches, r.max_len, r.stride) == (30, 8, 3, 1100, 3)
    assert isinstance(learn.model.net, FCN) and learn.model.net.stride == 3
    assert learn.model(torch.randn(2, 2, 1100)).shape == (2, 3)
    assert learn.model.head.max_len == 1100            # the ridge head's dilations span the longest series
    # an explicit stride wins, and an arch without one is built as it is
    assert sensor_learner(_dls(length=1100), arch_kwargs={"stride": 1}, progress=False).model.net.stride == 1
    assert sensor_learner(_dls(length=1100), arch="gru", progress=False).recipe.stride == 3


def test_strided_fcn_does_not_depend_on_padding():
    torch.manual_seed(0)
    model = FCN(2, 3, channels=(4, 8, 4), stride=3)
    series = [torch.randn(2, n) for n in (10, 14, 17)]
    model.train()
    model(*pad_series(series))
    model.eval()
    with torch.no_grad():
        alone = torch.cat([model(s[None]) for s in series])
        batched = model(*pad_series(series))
    torch.testing.assert_close(batched, alone, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="stride"):
        FCN(1, 2, stride=0)


def test_fit_recipe_validates_about_ten_times_and_always_at_the_end(capsys):
    learn = sensor_learner(_dls(n=30, length=16), progress=True)
    learn.fit_recipe(epochs=25, lr=1e-3)
    validated = [i for i, v in enumerate(learn.recorder.values) if v[1] is not None]
    assert validated == [2, 5, 8, 11, 14, 17, 20, 23, 24]
    table = [line for line in capsys.readouterr().out.splitlines() if line[:1].isdigit()]
    assert [int(line.split()[0]) for line in table] == validated    # rows only for validated epochs
    assert all(cb.table for cb in learn.cbs if hasattr(cb, "table"))  # the table is back on afterwards


def test_validate_every_rejects_nonsense():
    with pytest.raises(ValueError):
        ValidateEvery(0)


def test_show_results_per_class_draws_one_panel_per_class_with_readable_titles():
    import matplotlib
    matplotlib.use("Agg")
    learn = sensor_learner(_dls(n=30, length=16), progress=False)
    axes = learn.show_results(per_class=True)
    titles = [ax.get_title() for ax in axes]
    assert len(axes) == 3 and [t.splitlines()[0] for t in titles] == ["true: a", "true: b", "true: c"]
    assert all(t.splitlines()[1].startswith("predicted: ") for t in titles)
    with pytest.raises(ValueError, match="labelled"):
        learn.show_results(dl=learn.dls.test_dl(np.zeros((2, 2, 16), dtype=np.float32)), per_class=True)


def test_series_norm_scales_each_series_on_its_real_steps_only():
    from fastlayers.sensor import series_norm
    x, mask = pad_series([torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[10.0, 30.0, 50.0, 70.0, 90.0]])])
    out = series_norm(x, mask)
    first = (torch.tensor([1.0, 2.0, 3.0]) - 2.0) / torch.tensor([1.0, 2.0, 3.0]).std(unbiased=False)
    torch.testing.assert_close(out[0, 0, :3], first, rtol=1e-4, atol=1e-4)
    assert out[0, 0, 3:].abs().sum() == 0                                   # padding stays zero
    torch.testing.assert_close(out[1, 0], series_norm(x[1:, :, :5])[0, 0])  # 10..90 has the shape of 1..9
    assert FCN(3, 2).blocks[0].conv.in_channels == 6 and FCN(3, 2, shape_channels=False).blocks[0].conv.in_channels == 3


def test_every_convolutional_arch_reads_level_and_shape_unless_told_not_to():
    from fastlayers.sensor import InceptionTime, ResNet1d
    assert ResNet1d(3, 2).blocks[0].convs[0].conv.in_channels == 6
    assert ResNet1d(3, 2, shape_channels=False).blocks[0].convs[0].conv.in_channels == 3
    assert InceptionTime(3, 2).modules_[0].bottleneck.in_channels == 6
    assert InceptionTime(3, 2, shape_channels=False).modules_[0].bottleneck.in_channels == 3
    # two series that differ only by scale: without the per-series copy a network sees one as nearly flat
    torch.manual_seed(0)
    x = torch.randn(1, 1, 30)
    for make in (FCN, ResNet1d, InceptionTime):
        model = make(1, 2).eval()
        seen = model.read(torch.cat([x, 1000 * x]), None)
        torch.testing.assert_close(seen[0, 1], seen[1, 1], rtol=1e-4, atol=1e-4)   # same shape channel
        assert not torch.allclose(seen[0, 0], seen[1, 0])                           # level kept beside it
