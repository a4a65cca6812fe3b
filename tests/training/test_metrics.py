"""Metrics: the Metric API, batch-size weighting, smoothed loss, metrics computed once per pass."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score
from torch import nn

from fastlayers.training import (AvgLoss, AvgMetric, AvgSmoothLoss, F1Score, Learner, Precision, Recall, RocAuc,
                                 accuracy, error_rate, skm_metric)

from .conftest import make_dls, make_model


def fake(pred=None, targ=None, loss=None):
    return SimpleNamespace(pred=pred, yb=(targ,) if targ is not None else (torch.zeros(1),), loss=loss)


def test_smooth_loss_measured_values():
    m = AvgSmoothLoss()
    assert m.value is None      # nothing accumulated yet: no value, as for every metric
    out = []
    for loss in (1.0, 2.0, 3.0, 4.0):
        m.accumulate(fake(loss=torch.tensor(loss)))
        out.append(float(m.value))
    assert out == pytest.approx([1.0, 1.505049, 2.013466, 2.525248], rel=2e-6)   # facts: float32, 6 decimals
    m.reset()
    assert m.value is None
    m.accumulate(fake(loss=torch.tensor(7.0)))
    assert float(m.value) == pytest.approx(7.0)


def test_accuracy_and_error_rate():
    pred = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    targ = torch.tensor([1, 0, 0, 0])
    assert float(accuracy(pred, targ)) == pytest.approx(0.75)
    assert float(error_rate(pred, targ)) == pytest.approx(0.25)
    with pytest.raises(ValueError, match=r"shape \(4, 2\).*\(4, 1\)"):
        accuracy(pred, targ[:, None])


def test_avg_metric_weights_by_batch_size():
    m = AvgMetric(accuracy)
    m.reset()
    m.accumulate(fake(torch.tensor([[0.0, 1.0]] * 3), torch.tensor([1, 1, 1])))     # 3 of 3 right
    m.accumulate(fake(torch.tensor([[0.0, 1.0]]), torch.tensor([0])))               # 0 of 1 right
    assert m.value == pytest.approx(0.75)       # not (1 + 0) / 2
    assert m.name == "accuracy"
    assert AvgMetric(accuracy).value is None


def test_avg_loss_weights_by_batch_size():
    m = AvgLoss()
    m.reset()
    m.accumulate(fake(targ=torch.zeros(3), loss=torch.tensor(1.0)))
    m.accumulate(fake(targ=torch.zeros(1), loss=torch.tensor(5.0)))
    assert m.value == pytest.approx(2.0)


def _accumulate_in_batches(metric, preds, targs, bs=7):
    metric.reset()
    for i in range(0, len(preds), bs):
        metric.accumulate(fake(preds[i:i + bs], targs[i:i + bs]))
    return metric.value


def test_f1_precision_recall_computed_once_not_averaged():
    g = torch.Generator().manual_seed(1)
    preds, targs = torch.randn(50, 2, generator=g), torch.randint(0, 2, (50,), generator=g)
    hard = preds.argmax(1).numpy()
    assert _accumulate_in_batches(F1Score(), preds, targs) == pytest.approx(f1_score(targs.numpy(), hard))
    assert _accumulate_in_batches(Precision(), preds, targs) == pytest.approx(precision_score(targs.numpy(), hard))
    assert _accumulate_in_batches(Recall(), preds, targs) == pytest.approx(recall_score(targs.numpy(), hard))
    # averaging per-batch F1 would give a different number here
    per_batch = np.mean([f1_score(targs[i:i + 7].numpy(), hard[i:i + 7], zero_division=0) for i in range(0, 50, 7)])
    assert per_batch != pytest.approx(f1_score(targs.numpy(), hard))


def test_roc_auc_and_sklearn_wrapper():
    g = torch.Generator().manual_seed(2)
    preds, targs = torch.randn(40, 2, generator=g), torch.randint(0, 2, (40,), generator=g)
    probs = torch.softmax(preds, 1)[:, 1].numpy()
    assert _accumulate_in_batches(RocAuc(), preds, targs) == pytest.approx(roc_auc_score(targs.numpy(), probs))
    from sklearn.metrics import balanced_accuracy_score
    m = skm_metric(balanced_accuracy_score)
    assert _accumulate_in_batches(m, preds, targs) == pytest.approx(
        balanced_accuracy_score(targs.numpy(), preds.argmax(1).numpy()))
    assert m.name == "balanced_accuracy_score"


def test_metrics_in_learner_match_get_preds():
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), metrics=[accuracy, F1Score(average="macro")])
    learn.fit(2, lr=1e-2)
    preds, targs = learn.get_preds()
    assert learn.recorder.values[-1][2] == pytest.approx(float(accuracy(preds, targs)))
    assert learn.recorder.values[-1][3] == pytest.approx(
        f1_score(targs.numpy(), preds.argmax(1).numpy(), average="macro"))
    assert learn.recorder.metric_names[3:5] == ["accuracy", "f1_score"]


def test_non_callable_metric_is_rejected():
    with pytest.raises(TypeError, match="metrics must be"):
        Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), metrics=["accuracy"])


def test_the_metrics_table_shows_epoch_times_as_minutes_and_seconds(capsys):
    from fastlayers.training.progress import ProgressCallback, format_time
    assert [format_time(s) for s in (0.4, 1.6, 59.5, 61, 3725)] == ["00:00", "00:02", "01:00", "01:01", "1:02:05"]
    import torch
    from torch import nn
    from torch.utils.data import TensorDataset
    from fastlayers.data import DataLoaders
    from fastlayers.training import Learner
    x = torch.randn(32, 2)
    dls = DataLoaders.from_dsets(TensorDataset(x, x.sum(1, keepdim=True)), TensorDataset(x, x.sum(1, keepdim=True)), bs=8)
    learn = Learner(dls, nn.Linear(2, 1), nn.MSELoss(), progress=False, cbs=[ProgressCallback()])
    learn.fit(1)
    row = capsys.readouterr().out.splitlines()[-1].split()
    assert row[0] == "0" and row[-1] == "00:00", row
