"""get_preds, predict, save/load, export/load_learner, and interpretation (also for plain torch data)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from fastlayers.data import Categorize, DataLoaders, Datasets
from fastlayers.training import ClassificationInterpretation, Learner, accuracy, load_learner

from .conftest import make_dls, make_model

G = torch.Generator().manual_seed(3)
X = torch.randn(60, 4, generator=G)
Y = ["cat" if float(x[0] + x[1]) > 0 else "dog" for x in X]


def get_x(i: int) -> torch.Tensor:
    return X[i]


def get_y(i: int) -> str:
    return Y[i]


def labelled_dls() -> DataLoaders:
    dsets = Datasets(list(range(60)), tfms=[[get_x], [get_y, Categorize()]],
                     splits=(list(range(40)), list(range(40, 60))))
    return dsets.dataloaders(bs=10, device="cpu")


def test_get_preds_shapes_activation_and_losses():
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss())
    learn.fit(1)
    inp, preds, targs, dec, losses = learn.get_preds(with_input=True, with_decoded=True, with_loss=True)
    assert preds.shape == (64, 3) and targs.shape == (64,) and inp.shape == (64, 4)
    assert torch.allclose(preds.sum(1), torch.ones(64), atol=1e-5)           # softmax applied
    assert torch.equal(dec, preds.argmax(1))
    learn.model.eval()
    with torch.no_grad():
        raw = learn.model(inp)
    assert torch.allclose(losses, nn.CrossEntropyLoss(reduction="none")(raw, targs), atol=1e-5)
    assert float(losses.mean()) == pytest.approx(learn.recorder.values[-1][1], rel=1e-5)
    assert learn.recorder.values and len(learn.recorder.values) == 1          # get_preds logs nothing


def test_predict_decodes_with_vocab_and_export_round_trip(tmp_path):
    learn = Learner(labelled_dls(), nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)), path=tmp_path,
                    metrics=accuracy)
    learn.fit(8, lr=3e-2)
    label, idx, probs = learn.predict(7)
    assert label in ("cat", "dog") and label == learn.dls.vocab[int(idx)]
    assert probs.shape == (2,) and float(probs.sum()) == pytest.approx(1.0, abs=1e-5)
    path = learn.export("export.pkl")
    assert path.stat().st_size < 50_000                          # the model and pipelines, not the data
    learn2 = load_learner(path)
    label2, idx2, probs2 = learn2.predict(7)
    assert label2 == label and torch.allclose(probs2, probs, atol=1e-6)
    assert list(learn2.dls.vocab) == list(learn.dls.vocab)


def test_export_plain_torch_learner_and_lambda_error(tmp_path):
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), path=tmp_path)
    learn.fit(1)
    x = next(iter(learn.dls.valid))[0][0]
    learn2 = load_learner(learn.export())
    assert torch.allclose(learn2.predict(x)[2], learn.predict(x)[2], atol=1e-6)
    bad = Learner(make_dls(), make_model(), lambda p, t: nn.functional.cross_entropy(p, t), path=tmp_path)
    with pytest.raises(TypeError, match="cannot export.*module-level"):
        bad.export("bad.pkl")
    assert not (tmp_path / "bad.pkl").exists()


def test_save_load_weights_and_optimizer(tmp_path):
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), path=tmp_path)
    learn.fit(1)
    learn.save("stage1")
    w = {k: v.clone() for k, v in learn.model.state_dict().items()}
    steps = {id(p): s.get("step") for p, s in learn.opt.state.items()}
    learn.fit(1)
    learn.load("stage1")
    assert all(torch.equal(w[k], v) for k, v in learn.model.state_dict().items())
    assert sorted(s.get("step") for s in learn.opt.state.values()) == sorted(steps.values())
    with pytest.raises(FileNotFoundError, match="stage1.pth"):
        learn.load("nope")


def test_load_checkpoint_of_other_architecture_fails_clearly(tmp_path):
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), path=tmp_path)
    learn.save("small")
    other = Learner(make_dls(), make_model(hidden=16), nn.CrossEntropyLoss(), path=tmp_path)
    with pytest.raises(ValueError, match="(?s)does not fit this model.*different architecture.*size mismatch"):
        other.load("small")


def test_interpretation_on_plain_torch_datasets_and_model():
    class Folder(torch.utils.data.Dataset):
        """Like a torchvision dataset: items plus a `classes` attribute."""
        classes = ["a", "b", "c"]

        def __init__(self, x, y):
            self.x, self.y = x, y

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return self.x[i], self.y[i]
    base = make_dls()
    xs = torch.cat([b[0] for b in base.valid])
    ys = torch.cat([b[1] for b in base.valid])
    dls = (torch.utils.data.DataLoader(Folder(xs, ys), batch_size=16, shuffle=True),
           torch.utils.data.DataLoader(Folder(xs, ys), batch_size=16))
    learn = Learner(dls, make_model(), nn.CrossEntropyLoss())
    learn.fit(1)
    interp = ClassificationInterpretation.from_learner(learn)
    cm = interp.confusion_matrix()
    assert cm.shape == (3, 3) and int(cm.sum()) == len(xs)
    assert torch.equal(cm.diag().sum(), (interp.decoded == ys).sum())
    for actual, pred, n in interp.most_confused():
        assert actual != pred and n == int(cm[Folder.classes.index(actual), Folder.classes.index(pred)])
    losses, idx = interp.top_losses(5)
    assert torch.all(losses[:-1] >= losses[1:]) and float(losses[0]) == pytest.approx(float(interp.losses.max()))
    import matplotlib
    matplotlib.use("Agg")
    interp.plot_confusion_matrix()
    interp.plot_top_losses(4)


def test_interpretation_without_class_names_uses_indices():
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss())
    interp = ClassificationInterpretation.from_learner(learn)
    assert interp.vocab == [0, 1, 2]


def test_export_keeps_learner_subclass(tmp_path):
    learn = MyLearner(make_dls(), make_model(), nn.CrossEntropyLoss(), path=tmp_path)
    assert type(load_learner(learn.export())) is MyLearner


class MyLearner(Learner):
    """A Learner subclass, as application layers define (text, sensor)."""


def test_saved_files_get_normal_permissions(tmp_path):
    import os
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), path=tmp_path)
    umask = os.umask(0)
    os.umask(umask)
    assert (learn.save("w").stat().st_mode & 0o777) == 0o666 & ~umask
