"""The fastai calls students bring with them work here too: validate, summary, show_results, tta, to_fp16/to_fp32,
callbacks from functions, a one-pipeline Datasets' vocab, tokenize1, the classification report."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from fastlayers.core import Transform
from fastlayers.data import Categorize, DataLoaders, Datasets
from fastlayers.training import (Callback, ClassificationInterpretation, Learner, MixedPrecision, Recorder,
                                 accuracy)

from .conftest import make_dls, make_model

ITEMS = list(range(40))


def get_x(i: int) -> torch.Tensor:
    return torch.tensor([float(i % 10), 1.0])


def get_y(i: int) -> str:
    return "big" if i % 10 >= 5 else "small"


class AddOne(Transform):
    """A training-only 'augmentation' with a known effect, so test-time augmentation can be computed by hand."""
    split_idx = 0

    def encodes(self, x: torch.Tensor) -> torch.Tensor:
        return x + 1 if x.is_floating_point() else x   # inputs only: class ids are integers


def labelled_dls(x_tfms: list | None = None) -> DataLoaders:
    dsets = Datasets(ITEMS, [[get_x, *(x_tfms or [])], [get_y, Categorize()]], splits=(ITEMS[:30], ITEMS[30:]))
    return dsets.dataloaders(bs=4, device="cpu")


def test_validate_returns_the_loss_and_metrics_an_epoch_records():
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), metrics=accuracy)
    learn.fit(1)
    values = [list(v) for v in learn.recorder.values]
    loss, acc = learn.validate()
    assert [loss, acc] == pytest.approx(learn.recorder.values[-1][1:])
    assert [list(v) for v in learn.recorder.values] == values        # validating records nothing
    preds, targs = learn.get_preds(ds_idx=0)
    loss0, acc0 = learn.validate(ds_idx=0)
    assert acc0 == pytest.approx(float((preds.argmax(1) == targs).float().mean()))
    assert learn.validate(dl=learn.dls.valid) == pytest.approx([loss, acc])


def test_validate_needs_the_recorder():
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), default_cbs=False)
    with pytest.raises(ValueError, match="Recorder"):
        learn.validate()
    learn.add_cb(Recorder())
    assert len(learn.validate()) == 1


def test_summary_lists_layers_shapes_parameters_and_what_trains():
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss(), cbs=MixedPrecision(device_type="cpu"))
    next(learn.model[0].parameters()).requires_grad_(False)   # a frozen first layer (its weight)
    bn = learn.model[2]
    stats = bn.running_mean.clone()
    learn.model.train()
    text = learn.summary()
    lines = text.splitlines()
    assert lines[0] == "Sequential (Input shape: 32 x 4)"
    rows = [line.split() for line in lines if line.split()[:1] in (["Linear"], ["ReLU"], ["BatchNorm1d"])]
    assert rows == [["Linear", "32", "x", "8", "40", "True"], ["ReLU", "32", "x", "8"],
                    ["BatchNorm1d", "32", "x", "8", "16", "True"], ["Linear", "32", "x", "3", "27", "True"]]
    assert "Total params: 83" in text and "Total trainable params: 51" in text
    assert "Total non-trainable params: 32" in text
    assert "Optimizer used: Adam" in text and "Loss function: CrossEntropyLoss()" in text
    assert "  - MixedPrecision" in text and "  - Recorder" in text
    assert repr(text) == str(text)                               # a notebook shows the text, not a quoted string
    assert learn.model.training and torch.equal(bn.running_mean, stats)   # one batch, and nothing changed


def test_show_results_shows_targets_and_decoded_predictions():
    learn = Learner(labelled_dls(), nn.Linear(2, 2), metrics=accuracy)
    df = learn.show_results(max_n=3, shuffle=False)
    assert isinstance(df, pd.DataFrame) and len(df) == 3 and list(df.columns) == ["x", "y", "prediction"]
    x = torch.stack([get_x(i) for i in ITEMS[30:33]])
    with torch.no_grad():
        expected = [learn.dls.vocab[int(i)] for i in learn.model(x).argmax(1)]
    assert list(df["prediction"]) == expected and list(df["y"]) == [get_y(i) for i in ITEMS[30:33]]
    assert len(learn.show_results(max_n=3)) == 3                 # shuffled: any three items


def test_show_results_draws_images_with_target_and_prediction():
    from fastlayers.vision import ImageDataLoaders
    images = np.random.default_rng(0).integers(0, 255, (24, 8, 8), dtype="uint8")
    dls = ImageDataLoaders.from_arrays(images, [i % 2 for i in range(24)], bs=8, seed=0)
    learn = Learner(dls, nn.Sequential(nn.Flatten(), nn.Linear(64, 2)), progress=False)
    axes = learn.show_results(max_n=4)
    assert len(axes) == 4 and all(" / " in ax.get_title() for ax in axes)


def test_tta_blends_augmented_and_plain_predictions():
    learn = Learner(labelled_dls([AddOne()]), nn.Linear(2, 2))
    plain, targs = learn.get_preds()
    x = torch.stack([get_x(i) for i in ITEMS[30:]])
    with torch.no_grad():
        augmented = torch.softmax(learn.model(x + 1), 1)        # what the training transform gives
    preds, targs2 = learn.tta(n=3)
    assert torch.equal(targs2, targs)
    assert torch.allclose(preds, 0.75 * augmented + 0.25 * plain, atol=1e-6)
    (aug, plain2), _ = learn.tta(beta=None)
    assert torch.allclose(aug, augmented, atol=1e-6) and torch.allclose(plain2, plain)
    assert torch.allclose(learn.tta(use_max=True)[0], torch.maximum(augmented, plain), atol=1e-6)
    doubled, _ = learn.tta(beta=0, item_tfms=AddOne())          # extra item transforms join the training ones
    tripled, _ = learn.tta(beta=0, item_tfms=AddOne(), batch_tfms=AddOne())
    with torch.no_grad():
        assert torch.allclose(doubled, torch.softmax(learn.model(x + 2), 1), atol=1e-6)
        assert torch.allclose(tripled, torch.softmax(learn.model(x + 3), 1), atol=1e-6)


def test_tta_explains_what_it_needs():
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss())
    with pytest.raises(TypeError, match="loader built from Datasets"):
        learn.tta()


def test_to_fp16_and_back():
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss())
    assert learn.to_fp16(device_type="cpu") is learn
    assert [type(c) for c in learn.cbs].count(MixedPrecision) == 1
    learn.to_fp16(device_type="cpu")                          # twice: still one
    assert [type(c) for c in learn.cbs].count(MixedPrecision) == 1
    learn.fit(1)
    assert learn.mixed_precision.use_dtype == torch.bfloat16
    assert learn.to_fp32() is learn and not any(isinstance(c, MixedPrecision) for c in learn.cbs)


def test_callbacks_built_from_functions():
    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss())
    calls: list[str] = []
    cb = Callback(before_fit=lambda: calls.append("fit"), after_batch=lambda: calls.append(f"b{learn.iter}"))
    learn.fit(1, cbs=cb)
    n_batches = len(learn.dls.train) + len(learn.dls.valid)
    assert calls[0] == "fit" and len(calls) == 1 + n_batches and repr(cb) == "Callback(before_fit, after_batch)"
    with pytest.raises(TypeError, match="after_bacth=...\\): not an event"):
        Callback(after_bacth=print)
    with pytest.raises(TypeError, match="needs a function"):
        Callback(after_batch=3)


def test_a_callback_function_can_cancel():
    from fastlayers.training import CancelFitException

    learn = Learner(make_dls(), make_model(), nn.CrossEntropyLoss())

    def stop_at_the_second_epoch():
        if learn.epoch == 1:
            raise CancelFitException()
    learn.fit(3, cbs=Callback(before_epoch=stop_at_the_second_epoch))
    assert len(learn.recorder.values) == 1


def test_a_single_pipeline_datasets_has_the_vocab_of_its_categorize():
    dsets = Datasets(["b", "a", "b", "c"], [[Categorize()]])
    assert list(dsets.vocab) == ["a", "b", "c"] and dsets.c == 3 and dsets.loss_func is not None
    assert dsets[0] == (1,) or int(dsets[0][0]) == 1


def test_classification_report_per_class(capsys):
    learn = Learner(labelled_dls(), nn.Linear(2, 2), metrics=accuracy)
    learn.fit(3, lr=0.1)
    interp = ClassificationInterpretation.from_learner(learn)
    interp.print_classification_report()
    out = capsys.readouterr()
    lines = {line.split()[0]: line.split() for line in out.out.splitlines() if line.split()}
    assert {"big", "small", "accuracy"} <= set(lines) and out.err == ""
    acc = float((interp.decoded == interp.targs).float().mean())
    assert float(lines["accuracy"][1]) == pytest.approx(acc, abs=0.005)
