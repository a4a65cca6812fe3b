"""The ridge head on random convolution features, and the ensemble the default sensor recipe predicts with."""
import pickle

import numpy as np
import pytest
import torch

from fastlayers.sensor import (FCN, RandomConvHead, RecipeEnsemble, SensorDataLoaders, pad_series, ridge_loo,
                               sensor_learner, training_series)


def test_ridge_leave_one_out_predictions_are_those_of_refits_without_each_series():
    g = torch.Generator().manual_seed(0)
    X, Y = torch.randn(12, 30, generator=g), torch.randn(12, 2, generator=g)
    w, b, alpha, loo = ridge_loo(X, Y, alphas=(0.5,))
    Xd, Yd = X.double(), Y.double()
    for i in range(12):                        # refit on the other 11 with the same penalty, predict series i
        keep = [j for j in range(12) if j != i]
        xm, ym = Xd[keep].mean(0), Yd[keep].mean(0)
        Xc = Xd[keep] - xm
        wi = torch.linalg.solve(Xc.T @ Xc + 0.5 * torch.eye(30, dtype=torch.float64), Xc.T @ (Yd[keep] - ym))
        torch.testing.assert_close(loo[i].double(), (Xd[i] - xm) @ wi + ym, rtol=1e-4, atol=1e-4)
    # and the full fit is ordinary ridge with an intercept
    xm, ym = Xd.mean(0), Yd.mean(0)
    Xc = Xd - xm
    w_ref = torch.linalg.solve(Xc.T @ Xc + 0.5 * torch.eye(30, dtype=torch.float64), Xc.T @ (Yd - ym))
    torch.testing.assert_close(w.double(), w_ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(b.double(), ym - xm @ w_ref, rtol=1e-4, atol=1e-5)


def test_ridge_picks_a_strong_penalty_for_noise_and_a_weak_one_for_a_clean_signal():
    g = torch.Generator().manual_seed(1)
    X = torch.randn(40, 200, generator=g)
    noise = torch.randn(40, 1, generator=g)
    clean = X[:, :1] * 3.0
    assert ridge_loo(X, noise)[2] == 1e3       # nothing to learn: shrink everything
    assert ridge_loo(X, clean)[2] <= 10.0


def _two_shapes(n=40, length=60, seed=0, height=2.0, noise=0.3):
    "Class 0: a bump in the first half; class 1: in the second half; noisy, random levels."
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 1, length, generator=g) * noise + torch.randn(n, 1, 1, generator=g)
    t = torch.arange(length).float()
    centre = torch.where(y == 0, length * 0.25, length * 0.75)
    x[:, 0] += height * torch.exp(-((t[None] - centre[:, None]) / 4.0) ** 2)
    return x, y


def test_head_learns_shapes_it_was_never_shown_and_is_calibrated_on_left_out_series():
    torch.manual_seed(0)
    x, y = _two_shapes()
    head = RandomConvHead(1, 2, max_len=60, n_features=2000).fit(x, y)
    assert head.n_features == 84 * (2000 // 84) and bool(head.fitted)
    xt, yt = _two_shapes(seed=1)
    assert float((head(xt).argmax(-1) == yt).float().mean()) >= 0.95
    feats = head.features(xt)
    assert feats.shape == (40, head.n_features) and feats.min() >= 0 and feats.max() <= 1
    # a hard version: its confidence on new series is about its accuracy on them (1.0 would be overconfident)
    torch.manual_seed(0)
    head = RandomConvHead(1, 2, max_len=60, n_features=2000).fit(*_two_shapes(height=1.0, noise=1.0))
    xt, yt = _two_shapes(n=400, seed=1, height=1.0, noise=1.0)
    probs = torch.softmax(head(xt), -1)
    acc, confidence = float((probs.argmax(-1) == yt).float().mean()), float(probs.max(-1).values.mean())
    assert acc > 0.75 and abs(confidence - acc) < 0.05 and head.alpha > 1


def test_features_of_a_series_do_not_depend_on_its_batch_or_its_padding():
    torch.manual_seed(0)
    series = [torch.randn(2, n) for n in (30, 45, 61)]
    x, mask = pad_series(series)
    head = RandomConvHead(2, 3, max_len=61, n_features=1000).fit(x, torch.tensor([0, 1, 2]), mask)
    alone = torch.cat([head.features(s[None]) for s in series])
    torch.testing.assert_close(head.features(x, mask), alone)
    torch.testing.assert_close(head.features(x, mask, chunk=1), alone)
    # every kernel sums some channels: a channel no kernel reads would make no difference
    assert head.channels.sum(1).min() >= 1


def test_head_refuses_what_it_cannot_fit():
    head = RandomConvHead(2, 3, max_len=20, n_features=500)
    with pytest.raises(ValueError, match="channels|length"):
        head.fit(torch.randn(5, 3, 20), torch.zeros(5))
    with pytest.raises(ValueError, match="label"):
        head.fit(torch.randn(5, 2, 20), torch.zeros(4))
    with pytest.raises(ValueError):
        RandomConvHead(0, 3, max_len=20)


def test_head_remembers_repeated_batches_exactly_and_forgets_them_when_refit_or_saved():
    torch.manual_seed(0)
    x, y = _two_shapes(n=20)
    head = RandomConvHead(1, 2, max_len=60, n_features=500).fit(x, y)
    first = head(x)
    assert head.remembered_features(x, None) is head.remembered_features(x.clone(), None)
    changed = x.clone()
    changed[3, 0, 7] += 1e-3                     # one reading differs: computed again, not remembered
    assert head.remembered_features(changed, None) is not head.remembered_features(x, None)
    torch.testing.assert_close(head.remembered_features(changed, None), head.features(changed))
    assert pickle.loads(pickle.dumps(head))._memo == []
    torch.testing.assert_close(pickle.loads(pickle.dumps(head))(x), first)
    head.fit(x, 1 - y)
    assert len(head._memo) == 0


def test_ensemble_trains_the_network_alone_and_averages_tempered_probabilities_in_evaluation():
    torch.manual_seed(0)
    x, y = _two_shapes(n=20)
    net, head = FCN(1, 2, channels=(4, 8, 4)), RandomConvHead(1, 2, max_len=60, n_features=500)
    ens = RecipeEnsemble(net, head, net_temperature=2.0)
    ens.eval()
    torch.testing.assert_close(ens(x), net(x))                     # an unfitted head takes no part
    head.fit(x, y)
    expected = (torch.softmax(net(x) / 2.0, -1) + torch.softmax(head(x), -1)) / 2
    torch.testing.assert_close(ens(x).exp(), expected)
    ens.train()
    torch.testing.assert_close(ens(x), net(x))                     # what the loss sees while training
    with pytest.raises(ValueError, match="temperature"):
        RecipeEnsemble(net, head, net_temperature=0)


def _dls(n=30, length=40, lengths=None, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(n, 2, length)).astype(np.float32) if lengths is None
         else [rng.normal(size=(2, int(k))).astype(np.float32) for k in lengths])
    y = np.array(["a", "b", "c"] * (len(X) // 3))
    return SensorDataLoaders.from_arrays(X, y, X[:6], y[:6], seed=0)


def test_the_default_learner_solves_the_head_once_and_trains_its_network_exactly_as_alone():
    def run(random_features):
        torch.manual_seed(0)
        learn = sensor_learner(_dls(), progress=False, random_features=random_features)
        learn.fit_recipe(epochs=3)
        return learn
    ens, alone = run(True), run(False)
    assert isinstance(ens.model, RecipeEnsemble) and isinstance(alone.model, FCN)
    assert bool(ens.model.head.fitted)
    for a, b in zip(ens.model.net.state_dict().values(), alone.model.state_dict().values()):
        assert torch.equal(a, b)
    coef = ens.model.head.coef.clone()
    ens.fit_recipe(epochs=1)                                       # a second fit keeps the head as solved
    assert torch.equal(ens.model.head.coef, coef)
    probs, _ = ens.get_preds()
    torch.testing.assert_close(probs.sum(-1), torch.ones(len(probs)))


def test_training_series_reads_the_split_whole_padded_and_without_augmentation():
    calls = []

    def augment(x, split_idx=0):
        calls.append(split_idx)
        return x * 0
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(2, int(k))).astype(np.float32) for k in (20, 25, 30) * 4]
    y = np.array(["a", "b", "c"] * 4)
    dls = SensorDataLoaders.from_arrays(X, y, X[:3], y[:3], seed=0, augment=augment)
    x, mask, labels = training_series(dls)
    assert x.shape == (12, 2, 30) and mask.sum(1).tolist() == [20, 25, 30] * 4 and calls == []
    assert x.abs().sum() > 0 and sorted(labels.tolist()) == [0] * 4 + [1] * 4 + [2] * 4
    torch.manual_seed(0)
    assert training_series(dls, max_series=5)[0].shape[0] == 5
    learn = sensor_learner(dls, progress=False)          # unequal lengths: the head reads the mask
    learn.fit_recipe(epochs=2)
    assert bool(learn.model.head.fitted)


def test_head_remembers_no_more_than_its_budget(monkeypatch):
    import fastlayers.sensor.rocket as rocket
    torch.manual_seed(0)
    x, y = _two_shapes(n=40)
    head = RandomConvHead(1, 2, max_len=60, n_features=500).fit(x, y)
    per_batch = 10 * head.n_features + 10 * 60          # features and input of a batch of 10 series
    monkeypatch.setattr(rocket, "MEMO_FLOATS", 2 * per_batch)
    for lo in (0, 10, 0):
        head.remembered_features(x[lo:lo + 10], None)
    assert len(head._memo) == 2                          # the two most recent batches, within the budget
    head.remembered_features(x, None)                    # 40 series: more than the whole budget
    assert len(head._memo) == 0
    assert head.features(x, chunk=3).shape == head.features(x).shape


def test_with_one_training_series_the_learner_warns_and_predicts_with_the_network_alone():
    X = np.random.default_rng(0).normal(size=(2, 1, 30)).astype(np.float32)
    dls = SensorDataLoaders.from_arrays(X[:1], ["a"], X[1:], ["a"], seed=0)
    learn = sensor_learner(dls, progress=False)
    with pytest.warns(UserWarning, match="two training series"):
        learn.fit(1)
    assert not bool(learn.model.head.fitted)


def test_a_trained_ensemble_exports_as_a_program_that_predicts_like_the_learner(tmp_path):
    from fastlayers.training import export_program, load_program, raw_batch
    torch.manual_seed(0)
    dls = _dls(n=30, length=40)
    learn = sensor_learner(dls, progress=False, path=tmp_path)
    learn.fit_recipe(epochs=2)
    items = list(np.random.default_rng(2).normal(size=(5, 2, 40)).astype(np.float32))
    program, names = load_program(export_program(learn, "sensor.pt2", items[:2]))
    probs = program(*raw_batch(dls, items))                     # another batch size than the traced one
    expected = torch.stack([learn.predict(x)[2] for x in items])
    torch.testing.assert_close(probs, expected, rtol=1e-4, atol=1e-5)
    assert names == ["a", "b", "c"]
