"""Checks for exercise 09 (sensor sequences): windows, normalization from the training split, padding, Conv1d+LSTM.

Each check chooses the inputs here, runs a probe (a module-level function) on the student's piece where it lives,
and judges the plain data that comes back against the reference library. The classifier is trained where it lives
and kept there; the check then sends it the held-out series (shuffled, with a little fresh noise) without their
labels, and scores its answers here. Hints name the idea, never the code.
"""
from __future__ import annotations

import secrets
import time
from typing import Any, Callable

from fastlayers.checks.framework import (call, check, expect_close, expect_count, expect_equal, expect_type, fail,
                                         keep, labelled, probe)

__all__ = ["windows", "normalize_splits", "pad_collate", "conv_lstm_padding", "conv_lstm_accuracy"]

PRELOAD = ["fastlayers.sensor"]  # the notebook's process imports these before it starts a notebook

TARGET_ACC = 0.9        # test accuracy on BasicMotions (4 classes: chance is 0.25; the solution reaches 1.0)
TRAIN_LIMIT_S = 30.0    # loading the data and training, on one thread (the solution: 2 to 4 s, 10 s on a busy machine)
EPOCHS, LR = 50, 1e-2   # the fit_one_cycle the statement names
NOISE = 0.02            # the held-out series' secret noise, in units of the normalized readings




def _expect_tuple(got: Any, n: int, what: str, called: str, hint: str) -> None:
    if not (isinstance(got, tuple) and len(got) == n):
        fail("wrong kind of result", called=called, expected=f"<a tuple {what}>", got=got, hint=hint)


# ----------------------------------------------------------------------------------------------------------------
# 1. windows
# ----------------------------------------------------------------------------------------------------------------

def windows_on(fn: Callable, recordings: list, step_labels: list, size: int, stride: int) -> Any:
    """Probe: fn(recordings, step_labels, size, stride); labels that are str subclasses (numpy's) travel as str."""
    out = call(fn, recordings, step_labels, size, stride)
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], list):
        return (out[0], [str(v) if isinstance(v, str) else v for v in out[1]])
    return out


_WORDS = ("walk", "run", "idle", "sit")

# (lengths, channels, size, stride, labels): recordings shorter than a window, exactly a window long, strides
# smaller, equal to and larger than the window, string and integer labels, labels in runs and labels in pairs
_WINDOW_CASES = (
    ((23, 17, 30), 2, 5, 5, "words"),
    ((23, 17, 30), 2, 4, 2, "words"),
    ((12, 3, 20, 8), 3, 8, 4, "ids"),
    ((40, 25), 1, 6, 9, "words"),
    ((31, 5, 16), 4, 10, 7, "ids"),
    ((9,), 2, 9, 1, "words"),
    ((26, 2, 19), 3, 6, 1, "word ties"),
    ((22, 15), 2, 4, 3, "id ties"),
)


def _step_labels(rng: Any, length: int, kind: str) -> list:
    if kind.endswith("ties"):  # blocks of 2 or 3 steps, alternating: even windows often hold a tie
        pool = ("run", "idle") if kind == "word ties" else (3, 1)  # the first label is neither the smallest nor last
        out, k = [], 0
        while len(out) < length:
            out += [pool[k % 2]] * int(rng.integers(2, 4))
            k += 1
        return out[:length]
    pool = _WORDS if kind == "words" else (0, 4, 7, 2)
    out = []
    while len(out) < length:  # runs of random length, as activities in a recording
        out += [pool[int(rng.integers(len(pool)))]] * int(rng.integers(1, 7))
    return [v if isinstance(v, str) else int(v) for v in out[:length]]


def _window_cases() -> list:
    import numpy as np
    rng = np.random.default_rng(90)
    cases = []
    for lengths, channels, size, stride, kind in _WINDOW_CASES:
        means, scales = rng.uniform(-20, 20, (channels, 1)), rng.uniform(0.1, 8, (channels, 1))
        recs = [(rng.normal(size=(channels, n)) * scales + means).astype(np.float32) for n in lengths]
        cases.append((recs, [_step_labels(rng, n, kind) for n in lengths], size, stride))
    return cases


@check(points=2, timeout=10)
def windows(student: Callable) -> None:
    """`windows(recordings, step_labels, size, stride)` -> (windows, labels): per recording, majority label."""
    import numpy as np
    from fastlayers.sensor import make_windows
    for recs, labels, size, stride in _window_cases():
        lengths = tuple(r.shape[1] for r in recs)
        called = (f"windows(<{len(recs)} recordings of {recs[0].shape[0]} channels and lengths {lengths}>, "
                  f"step_labels, size={size}, stride={stride})")
        with labelled(called):
            got = probe(windows_on, student, recs, labels, size, stride)
        exp_w, exp_l, rec_idx, starts = make_windows(recs, labels, size=size, stride=stride)
        exp_l = exp_l.tolist()
        _expect_tuple(got, 2, "(windows, labels)", called,
                      "Return two things as a tuple: the array of windows and the list of their labels.")
        got_w, got_l = got
        expect_type(got_w, np.ndarray, "a numpy array (n, channels, size)", called=called,
                    hint="Stack the windows into one numpy array, as the statement asks.")
        expect_type(got_l, list, "a list of labels", called=called,
                    hint="Return the labels as a Python list, one label per window.")
        if got_w.ndim != 3 or got_w.shape[0] != len(exp_w):
            fail("wrong number of windows", called=called, expected=f"<{len(exp_w)} windows of shape "
                 f"{exp_w.shape[1:]}>", got=f"<an array of shape {got_w.shape}>",
                 hint=_count_hint(got_w.shape[0] if got_w.ndim else -1, lengths, size, stride))
        expect_equal(tuple(got_w.shape), tuple(exp_w.shape), called=called,
                     hint="Each window keeps every channel: (channels, size), like a recording cut short.")
        expect_close(got_w, exp_w, rtol=1e-6, atol=1e-6, called=called,
                     hint="Windows come recording by recording, in order of their start; each holds every channel's "
                          "readings from its start step, for size steps.")
        expect_count(got_l, len(exp_l), called, "labels")
        for i, (g, e) in enumerate(zip(got_l, exp_l)):
            if g != e:
                steps = labels[int(rec_idx[i])][int(starts[i]):int(starts[i]) + size]
                fail("wrong label", called=called, expected=e, got=g,
                     where=f"window {i} (recording {int(rec_idx[i])}, start {int(starts[i])}): steps labelled "
                           f"{_short_labels(steps)}", hint=_label_hint(steps, g))


def _short_labels(steps: list) -> str:
    text = " ".join(str(s) for s in steps)
    return text if len(text) <= 120 else text[:116] + " ..."


def _count_hint(n_got: int, lengths: tuple, size: int, stride: int) -> str:
    """Name the usual mistake behind a wrong number of windows."""
    def count(total: int, step: int, last: int = 1) -> int:
        return len(range(0, total - size + last, step))
    if n_got == sum(count(n, stride, 0) for n in lengths):
        return ("A window whose last step is the recording's last step fits: it counts. A recording of exactly "
                "size steps gives one window.")
    if n_got == sum(count(n, size) for n in lengths) and size != stride:
        return "Consecutive windows start stride steps apart (stride may be smaller or larger than size)."
    if n_got == count(sum(lengths), stride):
        return ("Cut each recording on its own: a window never runs from the end of one recording into the start "
                "of the next.")
    if n_got > sum(count(n, stride) for n in lengths):
        return ("Only full windows count: a recording shorter than size gives no window, and steps at the end that "
                "do not fill a window are dropped.")
    return ("Windows start at steps 0, stride, 2*stride, ... of each recording, as long as all size steps of the "
            "window are inside that recording.")


def _label_hint(steps: list, got: Any) -> str:
    from collections import Counter
    counts = Counter(steps)
    best = max(counts.values())
    tied = [v for v in dict.fromkeys(steps) if counts[v] == best]
    if len(tied) > 1:
        return (f"This window has a tie ({', '.join(map(str, tied))} appear {best} times each): the statement says "
                "the tied label that occurs first in the window wins.")
    if got == steps[-1]:
        return "That is the label of the window's last step; a window takes the label most of its steps have."
    return "A window takes the label that most of its steps have (count the labels of its own steps only)."


# ----------------------------------------------------------------------------------------------------------------
# 2. normalize_splits
# ----------------------------------------------------------------------------------------------------------------

def normalize_on(fn: Callable, train: list, valid: list) -> dict:
    """Probe: fn(train, valid), and both lists as they are afterwards."""
    out = call(fn, train, valid, hint="Each series is (channels, length): one statistic per channel has to line up "
                                      "with the channel axis, the same for every time step.")
    return {"out": out, "train_after": train, "valid_after": valid}


# (train lengths, valid lengths, channel means, channel scales, dtype): channels of very different mean and scale,
# series of different lengths whose own means differ, few steps (where N and N - 1 differ), an empty valid split
_SPLIT_CASES = (
    ((12, 30, 7, 21), (9, 16), (3.0, -40.0, 0.5), (2.0, 10.0, 0.1), "float32"),
    ((3, 2), (4,), (1.0, 5.0), (1.0, 3.0), "float32"),
    ((50,), (), (-7.0, 0.0, 2.0, 30.0), (0.5, 4.0, 1.0, 20.0), "float32"),
    ((5, 40, 11), (25, 3, 8), (12.0,), (6.0,), "float64"),
    ((6, 13), (10,), (1000.0, -0.001), (0.5, 0.0002), "float64"),
)


def _split_cases() -> list:
    import numpy as np
    rng = np.random.default_rng(91)
    cases = []
    for n_train, n_valid, means, scales, dtype in _SPLIT_CASES:
        mean, scale = np.asarray(means)[:, None], np.asarray(scales)[:, None]

        def series(n: int, shift: float) -> Any:
            own = rng.normal(shift, 1.5, (len(means), 1)) * scale  # each series sits a little apart
            return (rng.normal(size=(len(means), n)) * scale + mean + own).astype(dtype)
        # validation far from training: statistics that peek at it come out visibly different
        cases.append(([series(n, 0.0) for n in n_train], [series(n, 4.0) for n in n_valid]))
    return cases


def _pooled(train: list, ddof: int = 0) -> tuple:
    import numpy as np
    steps = np.concatenate([np.asarray(s, np.float64) for s in train], axis=1)
    return steps.mean(1, keepdims=True), steps.std(1, keepdims=True, ddof=ddof)


def _scaled(series: list, mean: Any, std: Any) -> list:
    import numpy as np
    return [(np.asarray(s, np.float64) - mean) / std for s in series]


def _own(series: list) -> list:
    import numpy as np
    return [(s - s.mean(1, keepdims=True)) / s.std(1, keepdims=True) for s in (np.asarray(t, np.float64)
                                                                                for t in series)]


def _readings(train: list, valid: list) -> list:
    """Other readings of the statement, (hint, (train, valid)) each, to name the mistake that was made."""
    import numpy as np
    out = []
    sample = _pooled(train, ddof=1)
    out.append(("The standard deviation here is the population one: divide the squared deviations by the number of "
                "values N, not by N - 1 (with few steps the two differ a lot).", sample))
    per_series = [np.asarray(s, np.float64) for s in train]
    averaged = (np.mean([s.mean(1, keepdims=True) for s in per_series], axis=0),
                np.mean([s.std(1, keepdims=True) for s in per_series], axis=0))
    out.append(("Pool the steps: one mean and one std per channel over the time steps of all training series "
                "together. Averaging each series' own statistics weighs a short series like a long one and misses "
                "how far apart the series are.", averaged))
    if valid:
        out.append(("The statistics include the validation series: compute them on the training split only, then "
                    "apply them to both splits.", _pooled(train + valid)))
    steps = np.concatenate([np.asarray(s, np.float64) for s in train], axis=1)
    out.append(("Each channel has its own mean and std (one number per channel, not one for the whole array): "
                "channels measure different things on different scales.", (steps.mean(), steps.std())))
    readings = [(hint, (_scaled(train, *stats), _scaled(valid, *stats))) for hint, stats in out]
    readings.append(("Every series, training or validation, is scaled with the same training statistics, not with "
                     "its own.", (_own(train), _own(valid))))
    readings.append(("The validation series are scaled with the training statistics too, not with their own split's.",
                     (_scaled(train, *_pooled(train)), _scaled(valid, *_pooled(valid)) if valid else [])))
    return readings


def _all_close(got: list, expected: list) -> bool:
    import numpy as np
    try:
        return len(got) == len(expected) and all(
            np.shape(g) == np.shape(e) and np.allclose(np.asarray(g, np.float64), e, rtol=1e-4, atol=1e-4)
            for g, e in zip(got, expected))
    except Exception:  # noqa: BLE001  a mistake detector must never crash the check
        return False


@check(points=2, timeout=10)
def normalize_splits(student: Callable) -> None:
    """`normalize_splits(train, valid)` scales each channel with the pooled training mean and population std."""
    import numpy as np
    for train, valid in _split_cases():
        called = (f"normalize_splits(<{len(train)} training series of {train[0].shape[0]} channels and lengths "
                  f"{tuple(s.shape[1] for s in train)}>, <{len(valid)} validation series>)")
        with labelled(called):
            got = probe(normalize_on, student, train, valid)
        out = got.get("out") if isinstance(got, dict) else None
        _expect_tuple(out, 2, "(train_normalized, valid_normalized)", called,
                      "Return the two normalized lists as a tuple, training first.")
        stats = _pooled(train)
        for name, given, result, after in (("train", train, out[0], got.get("train_after")),
                                           ("valid", valid, out[1], got.get("valid_after"))):
            expect_type(result, list, "a list of numpy arrays", called=f"{called}: {name}_normalized",
                        hint="Return each split as a new Python list with one normalized array per series.")
            expect_count(result, len(given), f"{called}: {name}_normalized", "series",
                          hint=f"{name}_normalized holds one array per {name} series, in order; the training split "
                               "comes first in the tuple.")
            for i, r in enumerate(result):
                at = f"{called}: {name}_normalized[{i}]"
                expect_type(r, np.ndarray, "a numpy array", called=at,
                            hint="Each normalized series is a numpy array, like the series it comes from.")
                expect_equal(r.shape, given[i].shape, called=at, hint="A normalized series keeps its shape.")
            expect_count(after, len(given), called, f"{name} series after the call")
            for i, (a, g) in enumerate(zip(after, given)):
                if not (isinstance(a, np.ndarray) and a.shape == g.shape and np.array_equal(a, g)):
                    fail(f"the {name} series given were changed", called=called,
                         where=f"{name}[{i}]", hint="normalize_splits must not modify the arrays it is given (the "
                                                    "caller still uses the raw readings): build new arrays.")
        expected = (_scaled(train, *stats), _scaled(valid, *stats))
        if _all_close(out[0], expected[0]) and _all_close(out[1], expected[1]):
            continue
        hint = ("Per channel: the mean and the population standard deviation of every value the channel takes over "
                "all time steps of all training series pooled together; both splits are scaled with them.")
        if _all_close(out[0], expected[1]) and _all_close(out[1], expected[0]) and valid:
            hint = "The splits are swapped: return the training series first."
        for words, (r_train, r_valid) in _readings(train, valid):
            if _all_close(out[0], r_train) and _all_close(out[1], r_valid):
                hint = words
                break
        for name, result, exp in (("train", out[0], expected[0]), ("valid", out[1], expected[1])):
            for i, (r, e) in enumerate(zip(result, exp)):
                expect_close(r, e, rtol=1e-4, atol=1e-4, called=f"{called}: {name}_normalized[{i}]", hint=hint)


# ----------------------------------------------------------------------------------------------------------------
# 3. pad_collate
# ----------------------------------------------------------------------------------------------------------------

def collate_on(fn: Callable, batch: list) -> dict:
    """Probe: fn(batch), and the batch as it is afterwards."""
    out = call(fn, batch)
    return {"out": out, "batch_after": batch}


# (lengths, channels): real steps that read exactly 0 (also at the end of a series), one series alone, equal lengths
_COLLATE_CASES = (((5, 3, 8), 2), ((4, 4), 3), ((1, 6, 2, 6), 1), ((7,), 5), ((9, 2, 14, 3, 3, 11, 1, 6), 2))


def _collate_cases() -> list:
    import torch
    g = torch.Generator().manual_seed(92)
    cases = []
    for lengths, channels in _COLLATE_CASES:
        batch = []
        for k, n in enumerate(lengths):
            s = torch.randn(channels, n, generator=g) * 3 + 2
            if k % 2 == 0 and n > 1:
                s[:, -1] = 0.0          # the last real step reads 0 on every channel
            if k == 2:
                s[:, :] = 0.0           # a series of zeros is still real
            batch.append((s, torch.randint(0, 10, (), generator=g)))
        cases.append(batch)
    return cases


@check(points=2, timeout=10)
def pad_collate(student: Callable) -> None:
    """`pad_collate(batch)` pads `(series, label)` pairs at the end into `(x, mask, y)` of the stated types."""
    import torch
    from fastlayers.sensor import pad_collate as reference
    for batch in _collate_cases():
        lengths = tuple(s.shape[1] for s, _ in batch)
        called = f"pad_collate(<{len(batch)} series of {batch[0][0].shape[0]} channels and lengths {lengths}>)"
        with labelled(called):
            got = probe(collate_on, student, batch)
        out = got.get("out") if isinstance(got, dict) else None
        _expect_tuple(out, 3, "(x, mask, y)", called, "Return the padded series, the mask and the labels as a tuple.")
        exp_x, exp_mask, exp_y = reference(batch)
        x, mask, y = out
        for part, value, dtype, what, hint in (
                ("x", x, torch.float32, "a float32 tensor", "x holds the readings: a float32 tensor."),
                ("mask", mask, torch.bool, "a torch.bool tensor",
                 "The mask is a boolean tensor (dtype torch.bool), True on real steps: a mask of 1.0/0.0 or 1/0 is "
                 "a number tensor, which indexing and masking read differently."),
                ("y", y, torch.int64, "a LongTensor (int64)",
                 "y holds class indices: one int64 tensor of shape (n,), as the loss function expects.")):
            at = f"{called} -> {part}"
            expect_type(value, torch.Tensor, what, called=at, hint=hint)
            if value.dtype != dtype:
                fail("wrong dtype", called=at, expected=f"<{what}>", got=f"<a tensor of dtype {value.dtype}>",
                     hint=hint)
        expect_equal(tuple(x.shape), tuple(exp_x.shape), called=f"{called} -> x.shape",
                     hint="x is (n, channels, longest length in this batch): series in rows, channels first.")
        expect_equal(x, exp_x, called=f"{called} -> x", hint=_x_hint(x, batch))
        expect_equal(tuple(mask.shape), tuple(exp_mask.shape), called=f"{called} -> mask.shape",
                     hint="The mask has one row per series and one column per step: (n, longest).")
        expect_equal(mask, exp_mask, called=f"{called} -> mask", hint=_mask_hint(mask, exp_mask, exp_x))
        expect_equal(tuple(y.shape), tuple(exp_y.shape), called=f"{called} -> y.shape",
                     hint="y is one label per series: shape (n,), also for a batch of one.")
        expect_equal(y, exp_y, called=f"{called} -> y", hint="y holds the labels in the order of the batch.")
        after = got.get("batch_after")
        expect_count(after, len(batch), called, "pairs in the batch after the call")
        for i, (pair, (s, label)) in enumerate(zip(after, batch)):
            if not (isinstance(pair, tuple) and len(pair) == 2 and torch.equal(torch.as_tensor(pair[0]), s)
                    and torch.equal(torch.as_tensor(pair[1]), label)):
                fail("the batch given was changed", called=called, where=f"batch[{i}]",
                     hint="pad_collate must not modify the series it is given: copy them into a new tensor.")


def _x_hint(x: Any, batch: list) -> str:
    import torch
    longest = max(s.shape[1] for s, _ in batch)
    try:
        front = all(torch.equal(x[i, :, longest - s.shape[1]:], s) for i, (s, _) in enumerate(batch))
        order = sorted(range(len(batch)), key=lambda i: -batch[i][0].shape[1])
        ranked = all(torch.equal(x[r, :, :batch[i][0].shape[1]], batch[i][0]) for r, i in enumerate(order))
    except Exception:  # noqa: BLE001  a mistake detector must never crash the check
        front = ranked = False
    if front:
        return ("The padding comes first: each series starts at step 0 of its row and the zeros go after it, so step "
                "t is the same moment in every series.")
    if ranked:
        return "The rows are sorted by length: keep the series in the order of the batch (the labels follow it)."
    return "Row i holds series i from step 0 to its length, and zeros after it, up to the longest length."


def _mask_hint(mask: Any, exp_mask: Any, exp_x: Any) -> str:
    try:
        if bool((mask == ~exp_mask).all()):
            return "The mask is inverted: True marks the real steps, False the padding."
        if bool((mask == (exp_x != 0).any(1)).all()):
            return ("A real reading can be exactly 0 (here on every channel at once): which steps are real follows "
                    "from each series' length, not from its values.")
    except Exception:  # noqa: BLE001
        pass
    return "mask[i, t] is True exactly for the steps t that series i really has, and False on its padding."


# ----------------------------------------------------------------------------------------------------------------
# 4. ConvLSTMClassifier: padding, structure, dependence on the series
# ----------------------------------------------------------------------------------------------------------------

def _layer_of(module: Any) -> list:
    """[kind, in, out] of a layer: the prescribed kinds by what they are, anything else by its class name."""
    from torch import nn
    if isinstance(module, nn.Conv1d):
        return ["Conv1d", module.in_channels, module.out_channels]
    if isinstance(module, nn.LSTM):
        return ["LSTM", module.input_size, module.hidden_size]
    if isinstance(module, nn.Linear):
        return ["Linear", module.in_features, module.out_features]
    return [type(module).__name__, None, None]


def _log_layer(log: list, module: Any, inputs: Any) -> None:
    if len(log) < 500:
        log.append(_layer_of(module))


def classifier_outputs(cls: Callable, c_in: int, n_out: int, x: Any, mask: Any, series: list) -> dict:
    """Probe: build cls(c_in, n_out) (seeded) and, in eval mode, its scores for the padded batch (recording the layers
    that run, in order), for each series alone with an all-True mask, and for each series alone with no mask."""
    import torch
    from functools import partial
    torch.manual_seed(0)
    model = call(cls, c_in, n_out)
    if not isinstance(model, torch.nn.Module):
        return {"kind": type(model).__name__}
    model.eval()
    layers: list = []
    hooks = [m.register_forward_pre_hook(partial(_log_layer, layers)) for m in model.modules() if m is not model]
    with torch.no_grad():
        try:
            batched = call(model, x, mask)
        finally:
            for h in hooks:
                h.remove()
        alone = [call(model, s[None], torch.ones(1, s.shape[-1], dtype=torch.bool)) for s in series]
        bare = [call(model, s[None]) for s in series]
    return {"kind": "module", "layers": layers, "batched": batched, "alone": alone, "bare": bare}


# (c_in, n_out, lengths, extra padding after the longest): two series of the same length, a series of 2 steps,
# a batch with steps that no series has
_PADDING_CASES = ((3, 4, (12, 25, 40, 25), 0), (1, 2, (2, 9, 30), 0), (6, 5, (20, 20, 7), 6))

STRUCTURE_HINT = ("The statement prescribes the layers: a Conv1d on the raw readings (c_in input channels), then an "
                  "LSTM reading its outputs in order, then a Linear layer giving n_out scores. Create them as "
                  "attributes in __init__ (PyTorch does not see layers kept in a plain list) and use them in "
                  "forward.")


def _padding_inputs(c_in: int, lengths: tuple, extra: int, seed: int) -> tuple:
    import torch
    from fastlayers.sensor import pad_series
    g = torch.Generator().manual_seed(seed)
    series = [torch.randn(c_in, n, generator=g) * 2 + 1 for n in lengths]
    x, mask = pad_series(series)
    if extra:
        x = torch.cat([x, torch.zeros(x.shape[0], c_in, extra)], dim=-1)
        mask = torch.cat([mask, torch.zeros(mask.shape[0], extra, dtype=torch.bool)], dim=-1)
    return series, x, mask


def _expect_scores(value: Any, shape: tuple, called: str) -> None:
    import torch
    expect_type(value, torch.Tensor, "a tensor of scores", called=called,
                hint="forward returns the scores as one tensor, a row of n_out scores per series.")
    if tuple(value.shape) != shape or not value.dtype.is_floating_point:
        fail("wrong shape of scores", called=called, expected=f"<a float tensor of shape {shape}>",
             got=f"<a tensor of shape {tuple(value.shape)}, dtype {value.dtype}>",
             hint="forward returns one row of n_out scores per series in x: shape (n, n_out).")
    if not bool(torch.isfinite(value).all()):
        fail("scores that are not finite numbers", called=called, got=value,
             hint="Look for a division by a length or a count that can be 0, or a log of 0.")


def _expect_structure(layers: Any, c_in: int, n_out: int, called: str) -> None:
    if not isinstance(layers, list) or not all(isinstance(l, list) and len(l) == 3 for l in layers):
        fail("the layers of the forward pass cannot be read", called=called, hint=STRUCTURE_HINT)
    kinds = [l[0] for l in layers]
    ran = " -> ".join(dict.fromkeys(str(k) for k in kinds)) or "no layer at all"
    conv = next((i for i, l in enumerate(layers) if l[0] == "Conv1d" and l[1] == c_in), None)
    lstm = next((i for i, l in enumerate(layers) if l[0] == "LSTM" and conv is not None and i > conv), None)
    head = next((i for i, l in enumerate(layers) if l[0] == "Linear" and l[2] == n_out and lstm is not None
                 and i > lstm), None)
    for found, summary in ((conv, f"no Conv1d with {c_in} input channels reads the readings"),
                           (lstm, "no LSTM runs after the Conv1d"),
                           (head, f"no Linear layer with {n_out} outputs runs after the LSTM")):
        if found is None:
            fail(summary, called=called, expected="<Conv1d(c_in, ...) -> ... -> LSTM -> ... -> Linear(..., n_out)>",
                 got=f"<layers run in forward: {ran}>", hint=STRUCTURE_HINT)


@check(points=3, timeout=20)
def conv_lstm_padding(student_cls: Callable) -> None:
    """Conv1d, then LSTM, then Linear; a series gets the same scores alone and padded (eval mode), scores that
    depend on the series."""
    import torch
    for case, (c_in, n_out, lengths, extra) in enumerate(_PADDING_CASES):
        series, x, mask = _padding_inputs(c_in, lengths, extra, seed=93 + case)
        called = f"ConvLSTMClassifier({c_in}, {n_out}) in eval mode"
        batch_call = f"model(x, mask) with x of shape {tuple(x.shape)}: series of lengths {lengths}, padded with zeros"
        with labelled(called):
            got = probe(classifier_outputs, student_cls, c_in, n_out, x, mask, series)
        if not isinstance(got, dict) or got.get("kind") != "module":
            fail("wrong kind of result", called=f"ConvLSTMClassifier({c_in}, {n_out})", expected="<an nn.Module>",
                 got=f"<a {got.get('kind') if isinstance(got, dict) else type(got).__name__}>",
                 hint="ConvLSTMClassifier subclasses nn.Module: calling the class builds the model.")
        _expect_structure(got.get("layers"), c_in, n_out, batch_call)
        batched, alone, bare = got.get("batched"), got.get("alone"), got.get("bare")
        _expect_scores(batched, (len(series), n_out), batch_call)
        expect_count(alone, len(series), called, "answers")
        expect_count(bare, len(series), called, "answers")
        for i, (a, b) in enumerate(zip(alone, bare)):
            _expect_scores(a, (1, n_out), f"model(series {i} alone, all-True mask)")
            _expect_scores(b, (1, n_out), f"model(series {i} alone) with mask=None")
        alone_rows = torch.cat(alone)
        for i in range(len(series)):
            for j in range(i):
                if float((alone_rows[i] - alone_rows[j]).abs().max()) <= 1e-6:
                    fail("two different series got the same scores", called=f"{called}: series {j} and {i} alone",
                         expected="<scores that depend on the readings>", got=alone_rows[i],
                         where=f"series {j} and {i}, of lengths {lengths[j]} and {lengths[i]}",
                         hint="The scores of a series must come from that series: an answer that is constant, "
                              "depends only on the length, or is normalized across the series of a batch (a batch "
                              "of one then always scores the same) cannot classify anything.")
        for i, n in enumerate(lengths):
            expect_close(batched[i], alone_rows[i], rtol=1e-4, atol=1e-5, called=batch_call,
                         summary=f"padding changed the scores of series {i} ({n} real steps of {x.shape[-1]})",
                         hint=_padding_hint(n, x.shape[-1]))
            expect_close(bare[i][0], alone_rows[i], rtol=1e-4, atol=1e-5,
                         called=f"model(series {i} alone) with mask=None", summary="mask=None changed the scores",
                         hint="With mask=None every step is real: the scores equal those with an all-True mask.")


def _padding_hint(n: int, total: int) -> str:
    if n == total:
        return ("Even this series, which fills the batch, changed: a layer mixes the series of a batch (in eval mode "
                "each series must be computed on its own).")
    return ("The steps after a series' length are padding and must change nothing: zero them before the "
            "convolution, and read or pool the LSTM outputs over the series' own real steps only (for a short "
            "series, the batch's last output comes after its padding).")


# ----------------------------------------------------------------------------------------------------------------
# 5. ConvLSTMClassifier: accuracy on BasicMotions, scored here
# ----------------------------------------------------------------------------------------------------------------

def train_classifier(cls: Callable, epochs: int, lr: float) -> Any:
    """Probe: build cls(6, 4) (seeded), train it with fit_one_cycle on BasicMotions on one thread; keep it here."""
    import torch
    from fastlayers.sensor import SensorDataLoaders
    from fastlayers.training import Learner
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small convolutions and LSTMs run fastest on one thread, and a busy machine stays fair
    try:
        torch.manual_seed(0)
        dls = SensorDataLoaders.from_aeon("BasicMotions", bs=16, seed=0)
        model = call(cls, 6, 4)
        if not isinstance(model, torch.nn.Module):
            return {"kind": type(model).__name__}
        learn = Learner(dls, model, progress=False)
        call(learn.fit_one_cycle, epochs, lr,
             hint="Training calls forward on batches of 16 series with no mask and backpropagates through the scores "
                  "it returns: they must stay connected to the layers' weights, so the optimizer can train them.")
    finally:
        torch.set_num_threads(threads)
    return keep(model)


def predict(model: Any, x: Any) -> Any:
    """Probe: the kept model's scores for `x`, in eval mode (no labels travel)."""
    import torch
    model.eval()
    with torch.no_grad():
        return call(model, x)


_HELD_OUT: list = []


def _held_out() -> tuple:
    """The BasicMotions test split as the reference SensorDataLoaders serve it (normalized), and its label ids."""
    import torch
    if not _HELD_OUT:
        from fastlayers.sensor import SensorDataLoaders
        ds = SensorDataLoaders.from_aeon("BasicMotions", bs=16, seed=0).valid_ds
        x = torch.stack([t.as_subclass(torch.Tensor) for t in ds.x])
        y = torch.stack([torch.as_tensor(v).as_subclass(torch.Tensor) for v in ds.y]).long()
        _HELD_OUT.append((x, y))
    x, y = _HELD_OUT[0]
    return x.clone(), y.clone()


@check(points=3, timeout=60)
def conv_lstm_accuracy(student_cls: Callable) -> None:
    """Trained with fit_one_cycle on BasicMotions where it lives, the classifier's answers on the held-out series
    (shuffled, with secret noise, sent without labels) reach the target accuracy; training stays in the time limit."""
    import torch
    x, y = _held_out()
    called = f"Learner(BasicMotions, ConvLSTMClassifier(6, 4)).fit_one_cycle({EPOCHS}, {LR:g})"
    start = time.perf_counter()
    with labelled(called):
        model = probe(train_classifier, student_cls, EPOCHS, LR)
    seconds = time.perf_counter() - start
    if isinstance(model, dict):
        fail("wrong kind of result", called="ConvLSTMClassifier(6, 4)", expected="<an nn.Module>",
             got=f"<a {model.get('kind', 'dict')}>", hint="ConvLSTMClassifier subclasses nn.Module.")
    g = torch.Generator().manual_seed(secrets.randbits(62))  # a fresh order and noise on every run
    order = torch.randperm(len(y), generator=g)
    x, y = x[order] + NOISE * torch.randn(x.shape, generator=g), y[order]
    asked = f"the trained model on the {len(y)} held-out series (shuffled, without labels), x of shape {tuple(x.shape)}"
    with labelled(asked):
        scores = probe(predict, model, x)
    _expect_scores(scores, (len(y), 4), asked)
    acc = float((scores.argmax(-1) == y).float().mean())
    if acc < TARGET_ACC:
        fail(f"test accuracy {acc:.3f} is below the target {TARGET_ACC}", called=called,
             expected=f"<at least {TARGET_ACC} of the {len(y)} held-out series right>",
             got=f"<{round(acc * len(y))} of {len(y)} right>", hint=_accuracy_hint(acc))
    if seconds > TRAIN_LIMIT_S:
        fail(f"loading the data and training took {seconds:.0f} s, over the limit of {TRAIN_LIMIT_S:.0f} s",
             called=called, got=f"<{seconds:.1f} s>",
             hint="Keep the model small: 64 convolution filters and 64 LSTM units are plenty for 6 channels.")


def _accuracy_hint(acc: float) -> str:
    if acc <= 0.3 + 1e-9:
        return ("That is about chance (4 classes): check that every layer is an attribute set in __init__ (so the "
                "optimizer trains it) and that forward returns raw scores, one row per series.")
    return ("Pass conv_lstm_padding first. The class is decided by the whole series: summarize every real step of "
            "the LSTM's output (an average over the real steps works well here), not a single early step, and give "
            "the layers room (around 64 filters and 64 units, a kernel of about 5).")
