"""Bad input: each fails early with a message that says what is wrong and where, or is handled gracefully."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from fastlayers.data import DataLoaders
from fastlayers.training import Callback, Learner, ProgressCallback, accuracy

from .conftest import make_dls, make_model


def test_loss_shape_mismatch_names_both_shapes():
    learn = Learner(make_dls(), make_model(n_class=5), nn.MSELoss())
    with pytest.raises(ValueError, match=r"MSELoss.*\(32, 5\).*\(32,\)"):
        learn.fit(1)
    assert learn.recorder.losses == []


def test_silent_broadcast_is_caught():
    x, y = torch.randn(64, 4), torch.randn(64)
    ds = torch.utils.data.TensorDataset(x, y)
    dls = DataLoaders.from_dsets(ds, ds, bs=16, device="cpu")
    learn = Learner(dls, nn.Linear(4, 1), nn.MSELoss())           # output (16, 1) vs targets (16,)
    with pytest.raises(ValueError, match=r"broadcast.*Reshape|\(16, 1\).*\(16,\)"):
        learn.fit(1)


def test_too_few_classes_for_targets():
    learn = Learner(make_dls(n_class=3), make_model(n_class=2), nn.CrossEntropyLoss())
    with pytest.raises(ValueError, match=r"CrossEntropyLoss failed on model output of shape \(32, 2\)"):
        learn.fit(1)


def test_loss_must_be_scalar():
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(reduction="none"))
    with pytest.raises(ValueError, match="single number.*reduction"):
        learn.fit(1)


def test_missing_loss_function_and_bad_arguments():
    with pytest.raises(ValueError, match="loss_func="):
        Learner(make_dls(), make_model())            # plain tensors carry no loss
    with pytest.raises(TypeError, match="torch.nn.Module"):
        Learner(make_dls(), lambda x: x, nn.CrossEntropyLoss())
    with pytest.raises(TypeError, match="DataLoaders"):
        Learner(object(), make_model(), nn.CrossEntropyLoss())
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss())
    with pytest.raises(ValueError, match="n_epoch"):
        learn.fit(-1)
    with pytest.raises(TypeError, match="Callback"):
        learn.add_cb(print)


def test_keyboard_interrupt_cleans_up_and_learner_stays_usable(capfd):
    class Interrupt(Callback):
        def after_batch(self):
            if self.training and self.learn.iter == 2 and not getattr(self, "fired", False):
                self.fired = True
                raise KeyboardInterrupt
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), cbs=Interrupt(), progress=True)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(2)
    assert learn.progress.bar is None                           # bar closed
    assert not learn.training and learn.xb == () and learn.dl is None
    assert all(p.grad is None for p in learn.model.parameters())
    learn.fit(1)                                                # usable again
    assert len(learn.recorder.values) == 1
    capfd.readouterr()


def test_keyboard_interrupt_in_lr_find_restores_model():
    class Interrupt(Callback):
        order = 70

        def after_batch(self):
            if self.learn.train_iter == 5:
                raise KeyboardInterrupt
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss())
    learn.fit(1)
    w = {k: v.clone() for k, v in learn.model.state_dict().items()}
    learn.add_cb(Interrupt())
    with pytest.raises(KeyboardInterrupt):
        learn.lr_find(show_plot=False)
    assert all(torch.equal(w[k], v) for k, v in learn.model.state_dict().items())
    assert "lr_finder" not in [c.name for c in learn.cbs]


def test_empty_validation_set_trains_and_reports_missing():
    x, y = torch.randn(64, 4), torch.randint(0, 3, (64,))
    tr = torch.utils.data.TensorDataset(x, y)
    va = torch.utils.data.TensorDataset(x[:0], y[:0])
    dls = DataLoaders.from_dsets(tr, va, bs=16, device="cpu")
    learn = Learner(dls, make_model(), nn.CrossEntropyLoss(), metrics=accuracy)
    learn.fit(2)
    assert [v[1:] for v in learn.recorder.values] == [[None, None], [None, None]]
    assert learn.recorder.values[0][0] is not None
    learn2 = Learner((dls.train,), make_model(), nn.CrossEntropyLoss(), metrics=accuracy)   # no valid loader
    learn2.fit(1)
    assert learn2.recorder.values[0][1:] == [None, None]


def test_empty_validation_set_prints_missing(capsys):
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    dls = DataLoaders.from_dsets(torch.utils.data.TensorDataset(x, y), torch.utils.data.TensorDataset(x[:0], y[:0]),
                                 bs=16, device="cpu")
    learn = Learner(dls, make_model(), nn.CrossEntropyLoss(), cbs=ProgressCallback())
    learn.fit(1)
    assert "#na#" in capsys.readouterr().out


def test_metric_that_raises_is_named():
    def bad_metric(pred, targ):
        raise RuntimeError("division by zero in my metric")
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), metrics=bad_metric)
    with pytest.raises(RuntimeError, match="Recorder.after_batch.*metric 'bad_metric' failed.*division by zero"):
        learn.fit(1)
    learn.metrics = [accuracy]
    learn.fit(1)                        # fixed metric, same learner
    assert learn.recorder.values[-1][2] is not None
