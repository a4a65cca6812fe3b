"""Checks for exercise 09 (sensor sequences): windows, normalization from the training split, padding, Conv1d+LSTM."""
from __future__ import annotations

import time
from typing import Callable

from fastlayers.checks.framework import call, check, expect_close, expect_equal, expect_true, fail

__all__ = ["windows", "normalize_splits", "pad_collate", "conv_lstm_padding", "conv_lstm_accuracy"]

TARGET_ACC, TRAIN_LIMIT_S = 0.9, 90.0


def _recordings(seed: int):
    "Three recordings of different lengths with per-step labels that change partway."
    import numpy as np
    rng = np.random.default_rng(seed)
    recs, labels = [], []
    for length in (23, 17, 30):
        recs.append(rng.normal(size=(2, length)).astype(np.float32))
        cut = int(rng.integers(3, length - 3))
        labels.append(["idle"] * cut + ["run"] * (length - cut))
    return recs, labels


@check(points=2, timeout=20)
def windows(student: Callable) -> None:
    """`windows(recordings, step_labels, size, stride)` -> (windows, labels): per recording, majority label."""
    import numpy as np
    from fastlayers.sensor import make_windows
    for seed, size, stride in [(0, 5, 5), (1, 4, 2), (2, 6, 3), (3, 10, 7)]:
        recs, labels = _recordings(seed)
        ref_w, ref_l, _, _ = make_windows(recs, labels, size=size, stride=stride)
        called = f"windows(<3 recordings of 23, 17, 30 steps>, step_labels, size={size}, stride={stride})"
        got = call(student, recs, labels, size, stride)
        expect_true(isinstance(got, tuple) and len(got) == 2, "windows must return a tuple (windows, labels)",
                    called=called, got=type(got).__name__)
        got_w, got_l = np.asarray(got[0]), [str(v) for v in got[1]]
        expect_equal(got_w.shape, ref_w.shape, called=called, hint=(
            "Cut each recording on its own: a window that would run past the end of a recording is dropped, never "
            "completed with the start of the next one. Full windows start at 0, stride, 2*stride, ... while "
            "start + size <= length."))
        expect_close(got_w, ref_w, called=called, hint="window i of a recording is recording[:, start:start + size]")
        expect_equal(got_l, [str(v) for v in ref_l], called=called, hint=(
            "Each window's label is the most common label among its steps (ties go to the label seen first)."))


@check(points=2, timeout=20)
def normalize_splits(student: Callable) -> None:
    """`normalize_splits(train, valid)` scales each channel with mean/std over every training step only."""
    import numpy as np
    from fastlayers.sensor import SeriesNormalize
    rng = np.random.default_rng(9)
    train = [rng.normal(3, 2, (3, n)).astype(np.float32) * np.array([[1], [10], [0.1]], np.float32)
             for n in (12, 30, 7, 21)]
    valid = [rng.normal(40, 5, (3, n)).astype(np.float32) for n in (9, 16)]   # far from the training data
    norm = SeriesNormalize().setup(train)
    called = "normalize_splits(<4 training series>, <2 validation series>)"
    got = call(student, [t.copy() for t in train], [v.copy() for v in valid])
    expect_true(isinstance(got, tuple) and len(got) == 2, "normalize_splits must return (train, valid)",
                called=called, got=type(got).__name__)
    got_train, got_valid = got
    hint = ("Statistics come from the training series only, per channel, over all their time steps together "
            "(np.concatenate(train, axis=1).mean(axis=1)): a series with more steps weighs more.")
    expect_close([np.asarray(t) for t in got_train], [norm(t) for t in train], rtol=1e-4, atol=1e-4,
                 called=called, hint=hint)
    leak = SeriesNormalize().setup(train + valid)
    if all(np.allclose(np.asarray(g), leak(v), atol=1e-4) for g, v in zip(got_valid, valid)):
        fail("the validation series were normalized with statistics that include the validation data",
             called=called, hint="Compute mean and std on the training split only, then apply them to both splits.")
    expect_close([np.asarray(v) for v in got_valid], [norm(v) for v in valid], rtol=1e-4, atol=1e-4,
                 called=called, hint="Normalize the validation series with the *training* statistics.")


@check(points=2, timeout=20)
def pad_collate(student: Callable) -> None:
    """`pad_collate(batch)` pads `(series, label)` pairs at the end into `(x, mask, y)`."""
    import torch
    from fastlayers.sensor import pad_collate as ref_collate
    torch.manual_seed(0)
    for lengths in [(5, 3, 8), (4, 4), (1, 6, 2, 6)]:
        batch = [(torch.randn(2, n), torch.tensor(i % 3)) for i, n in enumerate(lengths)]
        called = f"pad_collate(<{len(lengths)} series of 2 channels and lengths {lengths}>)"
        got = call(student, batch)
        expect_true(isinstance(got, tuple) and len(got) == 3, "pad_collate must return a tuple (x, mask, y)",
                    called=called, got=type(got).__name__)
        ref = ref_collate(batch)
        expect_equal(tuple(got[0].shape), tuple(ref[0].shape), called=called,
                     hint="x is (n, channels, longest length in this batch)")
        expect_close(got[0], ref[0], called=called, hint="Keep each series at the start and pad with zeros after it.")
        expect_equal(got[1].bool().tolist(), ref[1].tolist(), called=called,
                     hint="mask[i, t] is True exactly for the real (unpadded) steps of series i.")
        expect_equal(torch.as_tensor(got[2]).tolist(), ref[2].tolist(), called=called, hint="y stacks the labels.")


def _build(student_cls: Callable, c_in: int, n_out: int):
    import torch
    model = call(student_cls, c_in, n_out)
    expect_true(isinstance(model, torch.nn.Module), "ConvLSTMClassifier(c_in, n_out) must build an nn.Module",
                called=f"ConvLSTMClassifier({c_in}, {n_out})", got=type(model).__name__)
    return model


@check(points=3, timeout=30)
def conv_lstm_padding(student_cls: Callable) -> None:
    """A series gets the same prediction alone and padded inside a batch (eval mode)."""
    import torch
    from fastlayers.sensor import pad_series
    torch.manual_seed(0)
    model = _build(student_cls, 3, 4)
    series = [torch.randn(3, n) for n in (12, 25, 40)]
    x, mask = pad_series(series)
    model.eval()
    with torch.no_grad():
        batched = call(model, x, mask)
        expect_equal(tuple(batched.shape), (3, 4), called="model(x, mask) with x of shape (3, 3, 40)",
                     hint="forward returns one row of n_out scores per series")
        alone = torch.cat([call(model, s[None], torch.ones(1, s.shape[1], dtype=torch.bool)) for s in series])
        unmasked = call(model, series[2][None])
    expect_close(batched, alone, rtol=1e-4, atol=1e-5, called="model(x, mask) vs model(series, all-True mask)",
                 hint="Padding changed a prediction. Read the LSTM output at each series' own last real step "
                      "(or pool over real steps only), not out[:, -1], which for short series comes after zeros.")
    expect_close(unmasked, alone[2:], rtol=1e-4, atol=1e-5, called="model(series) with mask=None",
                 hint="With mask=None every step is real.")


@check(points=3, timeout=240)
def conv_lstm_accuracy(student_cls: Callable) -> None:
    """Trained with fit_one_cycle on BasicMotions, the classifier reaches the target test accuracy in time."""
    import torch
    from fastlayers.sensor import SensorDataLoaders
    from fastlayers.training import Learner, accuracy
    torch.manual_seed(0)
    dls = SensorDataLoaders.from_aeon("BasicMotions", bs=16, seed=0)
    model = _build(student_cls, 6, 4)
    learn = Learner(dls, model, metrics=accuracy, progress=False)
    start = time.perf_counter()
    call(learn.fit_one_cycle, 15, 1e-2)
    seconds = time.perf_counter() - start
    preds, targs = learn.get_preds()
    acc = float((preds.argmax(-1) == targs).float().mean())
    expect_true(acc >= TARGET_ACC, f"test accuracy {acc:.3f} is below the target {TARGET_ACC}",
                called="Learner(BasicMotions, ConvLSTMClassifier(6, 4)).fit_one_cycle(15, 1e-2)", got=acc, hint=(
                    "A Conv1d (kernel ~5, 'same' padding, 64 filters) + BatchNorm + ReLU before a 64-unit LSTM, "
                    "and the mean of the LSTM outputs over real steps, reaches 1.0 here."))
    expect_true(seconds < TRAIN_LIMIT_S, f"training took {seconds:.0f} s, over the {TRAIN_LIMIT_S:.0f} s limit",
                called="fit_one_cycle(15, 1e-2)", got=seconds, hint="Use a smaller model.")
