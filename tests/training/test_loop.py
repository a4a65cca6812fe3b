"""The training loop: event order, cancellation, callback ordering and two-way effects."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from fastlayers.training import (Callback, CancelBackwardException, CancelBatchException, CancelEpochException,
                                 CancelFitException, CancelStepException, CancelTrainException,
                                 CancelValidException, Learner, SGD)

from .conftest import EventLog, make_dls, make_model

BATCH_TRAIN = ["before_batch", "after_pred", "after_loss", "before_backward", "after_backward", "before_step",
               "after_step", "after_batch"]
BATCH_VALID = ["before_batch", "after_pred", "after_loss", "after_batch"]


def learner(**kw) -> Learner:
    dls = kw.pop("dls", None) or make_dls(n_train=64, n_valid=32, bs=32)
    return Learner(dls, make_model(), nn.CrossEntropyLoss(), **kw)


def test_event_order_full_fit():
    log = EventLog()
    learn = learner(cbs=log)
    assert log.events == ["after_create"]
    learn.fit(1)
    expected = (["after_create", "before_fit", "before_epoch", "before_train"] + BATCH_TRAIN * 2 +
                ["after_train", "before_validate"] + BATCH_VALID + ["after_validate", "after_epoch", "after_fit"])
    assert log.events == expected


def _raiser(event: str, exc: type, only_first: bool = True):
    class Raise(Callback):
        order = 50

        def __init__(self):
            self.done = False

    def f(self):
        if not (only_first and self.done):
            self.done = True
            raise exc()
    setattr(Raise, event, f)
    return Raise()


@pytest.mark.parametrize("event, exc, stage", [
    ("before_batch", CancelBatchException, "batch"),
    ("before_backward", CancelBackwardException, "backward"),
    ("before_step", CancelStepException, "step"),
    ("before_train", CancelTrainException, "train"),
    ("before_validate", CancelValidException, "validate"),
    ("before_epoch", CancelEpochException, "epoch"),
    ("before_fit", CancelFitException, "fit"),
])
def test_every_cancel_runs_after_cancel_then_after(event, exc, stage):
    log = EventLog()
    learn = learner(cbs=[log, _raiser(event, exc)])
    learn.fit(1)
    ev = log.events
    i = ev.index(f"after_cancel_{stage}")
    assert ev[i + 1] == f"after_{stage}", ev[i - 2:i + 3]
    assert ev[-1] == "after_fit"
    # the body of the cancelled stage did not run past the raise
    assert ev[i - 1] == event


def test_cancel_step_skips_the_update_but_not_after_step():
    learn = learner(cbs=_raiser("before_step", CancelStepException, only_first=False), opt_func=SGD, lr=0.1)
    before = [p.detach().clone() for p in learn.model.parameters()]
    learn.fit(1)
    after = list(learn.model.parameters())
    # only BatchNorm running statistics may change: no parameter was updated
    assert all(torch.equal(a, b) for a, b in zip(before, after))


def test_cancel_fit_in_batch_stops_everything():
    log = EventLog()
    learn = learner(cbs=[log, _raiser("after_loss", CancelFitException)])
    learn.fit(3)
    assert log.events.count("before_batch") == 1
    assert log.events[-2:] == ["after_cancel_fit", "after_fit"]
    assert "after_cancel_batch" not in log.events   # a fit cancel is not a batch cancel


def test_callbacks_run_by_order_stable_for_ties():
    calls = []

    def make(name, order):
        cls = type(name, (Callback,), {"order": order, "before_fit": lambda self: calls.append(name)})
        return cls()
    learn = learner(cbs=[make("C", 5), make("A", -20), make("B", 5), make("D", 0)])
    learn.fit(0)
    assert calls == ["A", "D", "C", "B"]
    names = [type(c).__name__ for c in learn.sorted_cbs()]
    assert names.index("TrainEvalCallback") < names.index("Recorder")


def test_callback_edits_batch_two_way():
    class ZeroInputs(Callback):
        def before_batch(self):
            self.learn.xb = (torch.zeros_like(self.learn.xb[0]),)

    class Seen(Callback):
        order = 90

        def after_pred(self):
            self.sums = getattr(self, "sums", []) + [float(self.xb[0].abs().sum())]
    seen = Seen()
    learn = learner(cbs=[ZeroInputs(), seen])
    learn.fit(1)
    assert seen.sums and all(s == 0 for s in seen.sums)


def test_callback_replaces_loss_and_pred():
    class DoubleLoss(Callback):
        def after_loss(self):
            self.learn.loss_grad = self.learn.loss_grad * 0   # zero gradient: nothing should move

    learn = learner(cbs=DoubleLoss(), opt_func=SGD, lr=1.0)
    before = [p.detach().clone() for p in learn.model.parameters()]
    learn.fit(1)
    assert all(torch.allclose(a, b) for a, b in zip(before, learn.model.parameters()))


def test_cancel_epoch_skips_validation():
    log = EventLog()

    class SkipEpoch(Callback):
        def after_train(self):
            raise CancelEpochException()
    learn = learner(cbs=[log, SkipEpoch()])
    learn.fit(2)
    assert "before_validate" not in log.events
    assert log.events.count("after_cancel_epoch") == 2
    assert learn.recorder.values[0][1] is None      # valid loss reported missing


def test_train_eval_pct_train_and_modes():
    seen = []

    class Watch(Callback):
        def before_batch(self):
            seen.append((self.training, self.model.training, round(self.pct_train, 6)))
    learn = learner(cbs=Watch(), dls=make_dls(n_train=5 * 8, n_valid=8, bs=8))
    learn.fit(2)
    train = [s for s in seen if s[0]]
    assert [s[2] for s in train] == [round(i / 10, 6) for i in range(10)]
    assert all(s[1] for s in train) and all(not s[1] for s in seen if not s[0])
    assert learn.train_iter == 10 and abs(learn.pct_train - 1.0) < 1e-9


def test_validation_has_no_grad():
    class Check(Callback):
        def after_loss(self):
            if not self.training:
                assert not self.loss_grad.requires_grad
            self.checked = True
    c = Check()
    learner(cbs=c).fit(1)
    assert c.checked


def test_error_in_callback_names_callback_and_event():
    class Broken(Callback):
        def after_pred(self):
            raise KeyError("oops")
    learn = learner(cbs=Broken())
    with pytest.raises(KeyError, match=r"Broken\.after_pred.*oops"):
        learn.fit(1)
    learn.remove_cb(Broken)
    learn.fit(1)                        # still usable


def test_add_remove_and_temporary_callbacks():
    learn = learner()
    log = EventLog()
    with learn.added_cbs(log):
        assert learn.event_log is log
        learn.fit(1)
    assert log not in learn.cbs and not hasattr(learn, "event_log")
    n = len(log.events)
    learn.fit(1)
    assert len(log.events) == n
    learn.fit(1, cbs=log)
    assert len(log.events) > n and log not in learn.cbs


def test_show_training_loop_lists_events_and_callbacks(capsys):
    learner().show_training_loop()
    out = capsys.readouterr().out
    assert "before_fit: TrainEvalCallback, Recorder" in out
    assert "after_cancel_step" in out and "after_create" not in out
    lines = out.splitlines()
    assert lines[0].startswith("before_fit") and lines[-1].startswith("after_fit")
    assert lines[1].startswith("  before_epoch")
    indent = {l.strip().split(":")[0]: len(l) - len(l.lstrip()) for l in lines}
    for stage in ("fit", "epoch", "train", "validate", "batch", "backward", "step"):
        # a stage's before, after_cancel and after events line up: they frame the same block
        assert indent[f"before_{stage}"] == indent[f"after_cancel_{stage}"] == indent[f"after_{stage}"], stage
    assert indent["after_pred"] == indent["before_batch"] + 2


def test_recorder_logs_lrs_losses_and_values():
    learn = learner(metrics=[lambda p, t: (p.argmax(1) == t).float().mean()])
    learn.fit(2, lr=0.003)
    rec = learn.recorder
    assert len(rec.lrs) == 4 and all(lr == 0.003 for lr in rec.lrs)
    assert len(rec.losses) == 4 and len(rec.values) == 2
    assert rec.metric_names == ["epoch", "train_loss", "valid_loss", "<lambda>", "time"]
    assert rec.values[-1][0] == pytest.approx(rec.losses[-1])
    assert rec.hps["wd"] == [0.01] * 4 and rec.hps["mom"] == [0.9] * 4 and rec.hps["lr"] == rec.lrs


def test_valid_loss_is_batch_size_weighted_mean():
    dls = make_dls(n_train=32, n_valid=40, bs=32)         # valid batches of 32 and 8
    learn = Learner(dls, make_model(), nn.CrossEntropyLoss())
    learn.fit(1)
    preds, targs = learn.get_preds()
    learn.model.eval()
    with torch.no_grad():
        x = torch.cat([b[0] for b in dls.valid])
        expected = nn.CrossEntropyLoss()(learn.model(x), targs)
    assert learn.recorder.values[0][1] == pytest.approx(float(expected), rel=1e-5)


def test_no_bar_writes_nothing_to_stderr(capfd):
    from fastlayers.training import set_progress
    set_progress(True)
    learn = learner()
    assert any(type(c).__name__ == "ProgressCallback" for c in learn.cbs)
    with learn.no_bar():
        learn.fit(1)
    assert capfd.readouterr().err == ""
    learn.fit(1)
    out = capfd.readouterr()
    assert "train_loss" in out.out and "valid" in out.err    # table on stdout, bar on stderr
    assert not any(type(c).__name__ == "ProgressCallback" for c in learner(progress=False).cbs)


def test_assigning_loop_state_on_callback_is_an_error():
    class Wrong(Callback):
        def after_loss(self):
            self.loss = self.loss * 2          # should be self.learn.loss
    learn = learner(cbs=Wrong())
    with pytest.raises(AttributeError, match=r"assign to self\.learn\.loss"):
        learn.fit(1)


def test_plots_draw(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    learn = learner()
    learn.fit_one_cycle(2)
    ax = learn.recorder.plot_loss(skip_start=0)
    assert len(ax.lines) == 2                          # train and valid
    axs = learn.recorder.plot_sched()
    assert [a.get_title() for a in axs[0]] == ["lr", "mom"]
    learn.lr_find(num_it=10, show_plot=True)


def test_same_class_callbacks_coexist_but_defaults_are_replaced():
    from fastlayers.training import ParamScheduler, Recorder, SchedLin
    learn = learner()
    a, b = ParamScheduler({"lr": SchedLin(1e-3, 1e-4)}), ParamScheduler({"wd": SchedLin(0.0, 0.1)})
    learn.add_cbs([a, b])
    assert a in learn.cbs and b in learn.cbs
    rec = Recorder(train_metrics=True)
    learn.add_cb(rec)
    assert [c for c in learn.cbs if isinstance(c, Recorder)] == [rec] and learn.recorder is rec

    class Loss(Callback):               # its name would be "loss": it must not hide learn.loss
        pass
    learn.add_cb(Loss())
    learn.fit(1)
    assert isinstance(learn.recorder.hps["wd"][0], float)
    assert not isinstance(learn.loss, Callback)
