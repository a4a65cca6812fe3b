"""Lesson 04 (course/04_learner_callbacks.ipynb, exercises/04_learner_callbacks/):
Learner: the training loop, with events that two-way callbacks can read, change and cancel."""
from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
from torch import nn

from ..core import listify
from ..data.loader import default_device, resolve_device

from .checkpoint import atomic_save, load_weights, read_checkpoint
from .callback import (Callback, CancelBackwardException, CancelBatchException, CancelEpochException,
                       CancelFitException, CancelStepException, CancelTrainException, CancelValidException,
                       CastToTensor, EVENTS, TrainEvalCallback)
from .callbacks import MixedPrecision
from .lr_finder import lr_find, valley
from .metrics import Metric
from .optimizer import Adam
from .progress import ProgressCallback, progress_defaults
from .recorder import Recorder, as_metric
from .schedule import ParamScheduler, SchedCos, SchedNo, combine_scheds, combined_cos
from .transfer import norm_bias_params, trainable_params

__all__ = ["Learner", "default_device", "GatherPredsCallback"]


def _as_loaders(dls: Any) -> Any:
    """Anything with .train and .valid as it is; a list or tuple of one or two loaders wrapped in DataLoaders."""
    if hasattr(dls, "train") and hasattr(dls, "valid"):
        return dls
    if isinstance(dls, (list, tuple)) and 1 <= len(dls) <= 2:
        from fastlayers.data import DataLoaders   # wraps plain torch loaders: tuples, on one device
        return DataLoaders(*dls)
    raise TypeError(f"Learner needs DataLoaders (with .train and .valid) or a (train, valid) pair of loaders, "
                    f"got {type(dls).__name__}")


_FAST_STAGES = frozenset(("backward", "step"))
_STAGE_EVENTS = {s: (f"before_{s}", f"after_cancel_{s}", f"after_{s}")
                 for s in ("fit", "epoch", "train", "validate", "batch", "backward", "step")}


class Learner:
    """Trains `model` on `dls` with `loss_func` and an optimizer from `opt_func`, firing events for callbacks."""

    def __init__(self, dls: Any, model: nn.Module, loss_func: Callable | None = None, opt_func: Callable = Adam,
                 lr: float = 1e-3, splitter: Callable = trainable_params, cbs: Any = None,
                 metrics: Any = None, wd: float | None = None, wd_bn_bias: bool = False, train_bn: bool = True,
                 moms: tuple = (0.95, 0.85, 0.95), path: str | Path = ".", model_dir: str | Path = "models",
                 progress: bool | None = None, default_cbs: bool = True) -> None:
        self.dls = _as_loaders(dls)
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if loss_func is None:
            loss_func = getattr(self.dls, "loss_func", None)
            if loss_func is None:
                raise ValueError("Learner needs a loss function and the data does not provide one: pass "
                                 "loss_func=..., e.g. nn.CrossEntropyLoss() for classes or nn.MSELoss() for numbers")
        self.model, self.loss_func, self.opt_func, self.lr, self.splitter = model, loss_func, opt_func, lr, splitter
        self.wd, self.wd_bn_bias, self.train_bn, self.moms = wd, wd_bn_bias, train_bn, moms
        self.path, self.model_dir = Path(path), Path(model_dir)
        self.metrics = metrics
        self.opt, self.training, self.epoch, self.n_epoch, self.iter, self.train_iter = None, False, 0, 1, 0, 0
        self.pct_train, self.dl, self.xb, self.yb, self.pred, self.loss = 0.0, None, (), (), None, None
        self._n_inp = None
        self.device = resolve_device(getattr(self.dls, "device", None))   # the data's device, else the default
        self.model.to(self.device)
        self.cbs: list[Callback] = []
        self._event_map: dict[str, list[Callback]] | None = None
        self._quiet: frozenset | None = None
        if default_cbs:
            self.add_cbs([TrainEvalCallback(), Recorder(), CastToTensor()])
            show = progress_defaults.show_progress if progress is None else progress
            if show:
                self.add_cb(ProgressCallback())
        self.add_cbs(cbs)
        self("after_create")

    # -- metrics ---------------------------------------------------------------------------------
    @property
    def metrics(self) -> list[Metric]:
        return self._metrics

    @metrics.setter
    def metrics(self, ms: Any) -> None:
        ms = [] if ms is None else (list(ms) if isinstance(ms, (list, tuple)) else [ms])
        self._metrics = [as_metric(m) for m in ms]

    # -- callbacks -------------------------------------------------------------------------------
    def add_cb(self, cb: Callback | type) -> "Learner":
        """Attach a callback (a class is instantiated); it becomes `learn.<cb.name>`."""
        if isinstance(cb, type):
            cb = cb()
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be Callback instances or classes, got {type(cb).__name__}")
        if cb.unique:                    # e.g. a new Recorder replaces the default one
            self.remove_cbs([c for c in self.cbs if type(c) is type(cb) and c is not cb])
        cb.learn = self
        if not isinstance(getattr(type(self), cb.name, None), property) and \
                isinstance(getattr(self, cb.name, cb), Callback):     # never hide loop state like learn.loss
            setattr(self, cb.name, cb)
        self.cbs.append(cb)
        self._event_map, self._quiet = None, None
        return self

    def add_cbs(self, cbs: Any) -> "Learner":
        """`add_cb` for each of `cbs`."""
        for cb in listify(cbs):
            self.add_cb(cb)
        return self

    def remove_cb(self, cb: Callback | type) -> "Learner":
        """Detach a callback (or every callback of a class)."""
        targets = [c for c in self.cbs if (isinstance(cb, type) and isinstance(c, cb)) or c is cb]
        for c in targets:
            self.cbs.remove(c)
            if getattr(self, c.name, None) is c:
                delattr(self, c.name)
            c.learn = None
        self._event_map, self._quiet = None, None
        return self

    def remove_cbs(self, cbs: Any) -> "Learner":
        """`remove_cb` for each of `cbs`."""
        for cb in listify(cbs):
            self.remove_cb(cb)
        return self

    @contextlib.contextmanager
    def added_cbs(self, cbs: Any) -> Iterator["Learner"]:
        """Callbacks attached only inside the `with` block."""
        cbs = [cb() if isinstance(cb, type) else cb for cb in listify(cbs)]
        self.add_cbs(cbs)
        try:
            yield self
        finally:
            self.remove_cbs(cbs)

    @contextlib.contextmanager
    def removed_cbs(self, cbs: Any) -> Iterator["Learner"]:
        """Callbacks detached only inside the `with` block."""
        cbs = [c for c in listify(cbs) if c in self.cbs]
        self.remove_cbs(cbs)
        try:
            yield self
        finally:
            self.add_cbs(cbs)

    @contextlib.contextmanager
    def distrib_ctx(self, backend: str | None = None, seed: int = 0) -> Iterator["Learner"]:
        """Train on every process torchrun started (DistributedDataParallel, sharded data); alone, nothing changes."""
        from .distributed import distrib_ctx
        with distrib_ctx(self, backend=backend, seed=seed):
            yield self

    @contextlib.contextmanager
    def no_bar(self) -> Iterator["Learner"]:
        """No progress bar or metrics table inside the `with` block (nothing is written to stderr)."""
        with self.removed_cbs([c for c in self.cbs if isinstance(c, ProgressCallback)]):
            yield self

    def sorted_cbs(self) -> list[Callback]:
        """Callbacks in running order: by `order`, ties in the order they were added."""
        return sorted(self.cbs, key=lambda c: c.order)

    def _cbs_for(self, event: str) -> list[Callback]:
        """Callbacks that implement `event`, in order (cached: the loop asks for every event of every batch)."""
        if self._event_map is None:
            self._event_map = {}
        cbs = self._event_map.get(event)
        if cbs is None:
            cbs = self._event_map[event] = [c for c in self.sorted_cbs() if c.handles(event)]
        return cbs

    def _quiet_stages(self) -> frozenset:
        """Per-batch stages (backward, step) that no callback listens to (cached with the event map)."""
        self._quiet = frozenset(s for s in _FAST_STAGES if not any(self._cbs_for(e) for e in _STAGE_EVENTS[s]))
        return self._quiet

    def __call__(self, event: str) -> None:
        """Fire `event`: run it on every callback that implements it, in order."""
        cbs = self._event_map.get(event) if self._event_map is not None else None   # inlined: hot path
        for cb in (cbs if cbs is not None else self._cbs_for(event)):
            cb(event)

    def show_training_loop(self) -> None:
        """Print every event of a fit, with the callbacks that run at it, indented by stage."""
        indent, closed = 0, set()
        for e in EVENTS[1:]:   # after_create fires once, outside fit
            stage = e.removeprefix("after_cancel_").removeprefix("after_")
            if e.startswith("after_") and stage in _STAGE_EVENTS and stage not in closed:
                indent -= 2        # after_cancel_X and after_X close stage X: both sit level with before_X
                closed.add(stage)
            names = [type(c).__name__ for c in self._cbs_for(e)]
            print(" " * max(indent, 0) + e + (": " + ", ".join(names) if names else ""))
            if e.startswith("before_"):
                indent += 2
                closed.discard(e.removeprefix("before_"))

    # -- the loop --------------------------------------------------------------------------------
    def _with_events(self, f: Callable[[], None], stage: str, cancel: type) -> None:
        """before_<stage>; f(); on `cancel`: after_cancel_<stage>; then always after_<stage>."""
        before, after_cancel, after = _STAGE_EVENTS[stage]
        if stage in (self._quiet if self._quiet is not None else self._quiet_stages()):
            return f()      # fast path: no callback listens to this per-batch stage, so none can cancel it
        try:
            self(before)
            f()
        except cancel:
            self(after_cancel)
        self(after)

    def create_opt(self) -> None:
        """Build the optimizer from the splitter's parameter groups; no weight decay on norm/bias by default."""
        groups = self.splitter(self.model)
        self.opt = self.opt_func(groups, lr=self.lr)
        if not self.wd_bn_bias and hasattr(self.opt, "state") and isinstance(self.opt.state, dict) \
                and not isinstance(getattr(self.opt, "opt", None), torch.optim.Optimizer):
            for p in norm_bias_params(self.model):
                self.opt.state.setdefault(p, {})["do_wd"] = False
        self._frozen_keep = {id(p) for p in norm_bias_params(self.model, with_bias=False)} if self.train_bn else set()

    def fit(self, n_epoch: int, lr: Any = None, wd: float | None = None, cbs: Any = None,
            reset_opt: bool = False) -> None:
        """Train for `n_epoch` epochs; `lr` may be a number, a list per group, or a slice."""
        if not isinstance(n_epoch, int) or n_epoch < 0:
            raise ValueError(f"n_epoch must be a non-negative int, got {n_epoch!r}")
        with self.added_cbs(cbs):
            if reset_opt or self.opt is None:
                self.create_opt()
            wd = self.wd if wd is None else wd
            if wd is not None:
                self.opt.set_hypers(wd=wd)
            self.opt.set_hypers(lr=self.lr if lr is None else lr)
            self.n_epoch, self._loss_checked = n_epoch, False
            try:
                self._with_events(self._do_fit, "fit", CancelFitException)
            finally:
                self._end_cleanup()

    def _end_cleanup(self) -> None:
        # Runs however fit ends (also on errors and Ctrl-C), so the learner stays usable.
        for cb in list(self.cbs):
            if hasattr(cb, "cleanup"):
                cb.cleanup()
        if self.opt is not None:
            self.opt.zero_grad()
        self.dl, self.xb, self.yb, self.pred, self.loss = None, (), (), None, None
        self.training = False

    def _do_fit(self) -> None:
        for epoch in range(self.n_epoch):
            self.epoch = epoch
            self._with_events(self._do_epoch, "epoch", CancelEpochException)

    def _do_epoch(self) -> None:
        self._do_epoch_train()
        self._do_epoch_validate()

    def _do_epoch_train(self) -> None:
        self.dl = self.dls.train
        self._with_events(self.all_batches, "train", CancelTrainException)

    def _do_epoch_validate(self, ds_idx: int = 1, dl: Any = None) -> None:
        if dl is None:
            dl = self.dls.valid if ds_idx == 1 else self.dls.train
        self.dl = dl if dl is not None else []
        with torch.no_grad():
            self._with_events(self.all_batches, "validate", CancelValidException)

    def all_batches(self) -> None:
        """Run `one_batch` on every batch of `self.dl`."""
        self.n_iter = len(self.dl)
        self._n_inp = getattr(self.dls, "n_inp", None)   # looked up once per pass, not per batch
        for i, b in enumerate(self.dl):
            self.one_batch(i, b)

    def one_batch(self, i: int, b: Any) -> None:
        """Move batch `b` to the device, split it into xb/yb, and run the batch stage."""
        self.iter, self.pred, self.loss = i, None, None   # a cancelled batch must not look like the previous one
        self._split(self._to_device(b))
        self._with_events(self._do_one_batch, "batch", CancelBatchException)

    def _to_device(self, b: Any) -> tuple:
        b = tuple(b) if isinstance(b, (list, tuple)) else (b,)
        dev = self.device
        for x in b:      # a plain loop: this runs for every batch, and usually finds nothing to move
            if isinstance(x, torch.Tensor) and x.device != dev:
                return tuple(x.to(dev) if isinstance(x, torch.Tensor) else x for x in b)
        return b

    def _split(self, b: tuple) -> None:
        n_inp = self._n_inp
        if n_inp is None:
            n_inp = max(len(b) - 1, 1)
        self.xb, self.yb = b[:n_inp], b[n_inp:]

    def _do_one_batch(self) -> None:
        self.pred = self.model(*self.xb)
        self("after_pred")
        if len(self.yb):
            self.loss_grad = self.loss_func(self.pred, *self.yb) if self._loss_checked else self._first_loss()
            self.loss = self.loss_grad.detach()
        self("after_loss")
        if not self.training or not len(self.yb):
            return
        self._with_events(self._backward, "backward", CancelBackwardException)
        self._with_events(self._step, "step", CancelStepException)
        self.opt.zero_grad()

    def _first_loss(self) -> torch.Tensor:
        """The first loss of a fit, checked: shapes that do not fit fail here with both shapes named."""
        shapes = (f"model output of shape {_shape(self.pred)} and targets of shape "
                  f"{', '.join(_shape(y) for y in self.yb)}")
        name = getattr(self.loss_func, "__name__", type(self.loss_func).__name__)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                loss = self.loss_func(self.pred, *self.yb)
            except (RuntimeError, ValueError, IndexError, TypeError) as e:
                raise ValueError(f"loss function {name} failed on {shapes}: {e}. Check that the model's last "
                                 f"layer has one output per class (or per target value).") from e
        for w in caught:
            if "size" in str(w.message) and "broadcast" in str(w.message):
                raise ValueError(f"loss function {name} got {shapes}: torch would broadcast them and compute "
                                 f"a wrong loss. Reshape the model output or the targets so they match.")
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise ValueError(f"loss function {name} must return a single number, got "
                             f"{_shape(loss) if isinstance(loss, torch.Tensor) else type(loss).__name__} "
                             f"(did you forget reduction='mean'?)")
        self._loss_checked = True
        return loss

    def _backward(self) -> None:
        self.loss_grad.backward()

    def _step(self) -> None:
        self.opt.step()

    # -- schedules -------------------------------------------------------------------------------
    def _lr_array(self, lr: Any) -> Any:
        if self.opt is None:
            self.create_opt()
        self.opt.set_hypers(lr=self.lr if lr is None else lr)
        import numpy as np
        return np.array([h["lr"] for h in self.opt.hypers])

    def fit_one_cycle(self, n_epoch: int, lr_max: Any = None, div: float = 25.0, div_final: float = 1e5,
                      pct_start: float = 0.25, wd: float | None = None, moms: tuple | None = None,
                      cbs: Any = None, reset_opt: bool = False) -> None:
        """One cycle: lr warms up (cosine) to `lr_max` then anneals; momentum does the opposite."""
        if reset_opt or self.opt is None:
            self.create_opt()
        lr_max = self._lr_array(lr_max)
        moms = self.moms if moms is None else moms
        scheds = {"lr": combined_cos(pct_start, lr_max / div, lr_max, lr_max / div_final),
                  "mom": combined_cos(pct_start, *moms)}
        self.fit(n_epoch, lr=lr_max, wd=wd, cbs=[ParamScheduler(scheds)] + listify(cbs))

    def fit_flat_cos(self, n_epoch: int, lr: Any = None, div_final: float = 1e5, pct_start: float = 0.75,
                     wd: float | None = None, cbs: Any = None, reset_opt: bool = False) -> None:
        """Constant lr for `pct_start` of training, then cosine annealing."""
        if reset_opt or self.opt is None:
            self.create_opt()
        lr = self._lr_array(lr)
        sched = combine_scheds([pct_start, 1 - pct_start], [SchedNo(lr, lr), SchedCos(lr, lr / div_final)])
        self.fit(n_epoch, lr=lr, wd=wd, cbs=[ParamScheduler({"lr": sched})] + listify(cbs))

    def lr_find(self, start_lr: float = 1e-7, end_lr: float = 10, num_it: int = 100, stop_div: bool = True,
                show_plot: bool = True, suggest_funcs: tuple = (valley,)) -> Any:
        """Train with an exponentially growing lr, then restore the model; return suggested lrs."""
        return lr_find(self, start_lr, end_lr, num_it, stop_div, show_plot, suggest_funcs)

    # -- transfer learning ------------------------------------------------------------------------
    def freeze_to(self, n: int) -> None:
        """Train only parameter groups from `n` on (normalization layers always keep training)."""
        if self.opt is None:
            self.create_opt()
        self.opt.freeze_to(n, self._frozen_keep)

    def freeze(self) -> None:
        """Train only the last parameter group (the head)."""
        if self.opt is None:
            self.create_opt()
        self.opt.freeze(self._frozen_keep)

    def unfreeze(self) -> None:
        """Train every parameter group."""
        self.freeze_to(0)

    def fine_tune(self, epochs: int, base_lr: float = 2e-3, freeze_epochs: int = 1, lr_mult: float = 100,
                  pct_start: float = 0.3, div: float = 5.0, **kwargs: Any) -> None:
        """Train the head for `freeze_epochs`, then everything for `epochs` with discriminative lrs."""
        self.freeze()
        self.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99, **kwargs)
        base_lr /= 2
        self.unfreeze()
        self.fit_one_cycle(epochs, slice(base_lr / lr_mult, base_lr), pct_start=pct_start, div=div, **kwargs)

    # -- precision ---------------------------------------------------------------------------------
    def to_fp16(self, **kwargs: Any) -> "Learner":
        """Train in mixed precision from now on (fp16 with loss scaling on CUDA, bf16 on the CPU); returns self."""
        return self.add_cb(MixedPrecision(**kwargs))      # unique: replaces an earlier one

    def to_fp32(self) -> "Learner":
        """Back to full precision (removes MixedPrecision); returns self."""
        return self.remove_cb(MixedPrecision)

    # -- inference ---------------------------------------------------------------------------------
    def _loader(self, ds_idx: int, dl: Any) -> Any:
        """`dl` if given, else the validation (ds_idx=1) or training (ds_idx=0) loader."""
        if dl is None:
            dl = self.dls.valid if ds_idx == 1 else self.dls.train
        if dl is None:
            raise ValueError("there is no validation loader to run on; pass dl=... (e.g. learn.dls.test_dl(items))")
        return dl

    def validate(self, ds_idx: int = 1, dl: Any = None, cbs: Any = None) -> list:
        """[loss, *metrics] on a loader (the validation set by default), computed as after an epoch of `fit`."""
        dl = self._loader(ds_idx, dl)
        rec = getattr(self, "recorder", None)
        if not isinstance(rec, Recorder):
            raise ValueError("validate reads the loss and metrics from the Recorder, which this Learner does not "
                             "have (it was created with default_cbs=False): add one with learn.add_cb(Recorder())")
        kept, rec.log = rec.log, []
        with self.added_cbs(cbs):
            self.training, self._loss_checked = False, False
            try:
                self._do_epoch_validate(dl=dl)
            finally:
                self._end_cleanup()
                result, rec.log = rec.log, kept
        return result

    def get_preds(self, ds_idx: int = 1, dl: Any = None, with_input: bool = False, with_decoded: bool = False,
                  with_loss: bool = False, act: Callable | None = None) -> tuple:
        """(preds, targs[, decoded][, losses]) over a loader; preds go through the loss's activation."""
        dl = self._loader(ds_idx, dl)
        gather = GatherPredsCallback(with_input=with_input)
        quiet = [c for c in self.cbs if isinstance(c, (Recorder, ProgressCallback))]
        with self.removed_cbs(quiet), self.added_cbs(gather):
            self.training = False
            self._loss_checked = True
            try:
                self._do_epoch_validate(dl=dl)
            finally:
                self._end_cleanup()
        preds, targs = gather.result()
        act = act or _activation(self.loss_func)
        res = [act(preds), targs]
        if with_input:
            res.insert(0, gather.inputs())
        if with_decoded:
            res.append(_decodes(self.loss_func)(res[1 if with_input else 0]))
        if with_loss:
            res.append(self._item_losses(preds, targs))
        return tuple(res)

    def _item_losses(self, preds: torch.Tensor, targs: Any) -> torch.Tensor:
        if targs is None:
            raise ValueError("with_loss=True needs targets, but the loader gave none")
        lf = self.loss_func
        if hasattr(lf, "reduction"):
            import copy
            lf = copy.copy(lf)
            lf.reduction = "none"
            out = lf(preds, targs)
            return out.view(len(preds), -1).mean(1)
        return torch.stack([self.loss_func(preds[i:i + 1], targs[i:i + 1]) for i in range(len(preds))])

    def show_results(self, ds_idx: int = 1, dl: Any = None, max_n: int = 9, shuffle: bool = True,
                     **kwargs: Any) -> Any:
        """Show `max_n` items of one batch with their targets and the model's decoded predictions, drawn by the
        `show_results` registered for the data's types (a table for plain tensors)."""
        from ..data.show import show_results
        dl = self._loader(ds_idx, dl)
        if shuffle and hasattr(dl, "new"):
            dl = dl.new(shuffle=True, drop_last=False)  # other items each call, as in fastai
        b = self._to_device(dl.one_batch())
        decoded = self.get_preds(dl=[b], with_decoded=True)[2]
        vocab = getattr(self.dls, "vocab", None)
        outs = [vocab[int(d)] if vocab is not None and d.numel() == 1 and not d.is_floating_point() else d
                for d in decoded[:max_n]]
        n_inp = getattr(self.dls, "n_inp", None) or max(len(b) - 1, 1)
        y = b[n_inp] if len(b) > n_inp else None
        return show_results(b[0], y, dl.decode_batch(b, max_n), outs, max_n=max_n, **kwargs)

    def tta(self, ds_idx: int = 1, dl: Any = None, n: int = 4, item_tfms: Any = None, batch_tfms: Any = None,
            beta: float | None = 0.25, use_max: bool = False) -> tuple:
        """Test-time augmentation: (predictions, targets) blending `n` augmented passes with a plain one."""
        from .tta import tta
        return tta(self, ds_idx, dl, n, item_tfms, batch_tfms, beta, use_max)

    def summary(self) -> Any:
        """The model layer by layer on one batch (output shapes, parameters, trainable), the parameter totals,
        the optimizer, loss and callbacks; shows as text in a notebook."""
        from .summary import summary
        return summary(self)

    def predict(self, item: Any) -> tuple:
        """(decoded prediction, raw decoded index/value, probabilities) for one item."""
        if hasattr(self.dls, "test_dl"):
            dl = self.dls.test_dl([item])
        else:
            x = item[0] if isinstance(item, (tuple, list)) else item
            dl = [(torch.as_tensor(x)[None],)]
        preds, _, dec = self.get_preds(dl=dl, with_decoded=True)
        idx = dec[0]
        vocab = getattr(self.dls, "vocab", None)
        decoded = vocab[int(idx)] if vocab is not None and idx.numel() == 1 and not idx.is_floating_point() \
            else idx
        return decoded, idx, preds[0]

    # -- persistence -------------------------------------------------------------------------------
    def _file(self, file: str | Path) -> Path:
        file = Path(file)
        if file.suffix == "":
            file = file.with_suffix(".pth")
        return file if file.is_absolute() else self.path / self.model_dir / file

    def save(self, file: str | Path, with_opt: bool = True) -> Path:
        """Save weights (and optimizer state) atomically: written to a temporary file, then renamed."""
        path = self._file(file)
        from .distributed import is_main_process
        if not is_main_process():  # under torchrun every process holds the same weights: rank 0 writes them
            return path
        state = {"model": getattr(self.model, "module", self.model).state_dict()}  # never the DDP wrapper's keys
        if with_opt and self.opt is not None:
            state["opt"] = self.opt.state_dict()
        atomic_save(state, path)
        return path

    def load(self, file: str | Path, with_opt: bool = True, strict: bool = True) -> "Learner":
        """Load weights (and optimizer state) saved by `save`; a different architecture fails clearly."""
        path = self._file(file)
        if not path.exists():
            raise FileNotFoundError(f"no checkpoint at {path}; saved ones: "
                                    f"{sorted(p.name for p in path.parent.glob('*.pth')) if path.parent.exists() else []}")
        state = read_checkpoint(path, map_location=self.device)
        sd = state["model"] if isinstance(state, dict) and "model" in state else state
        load_weights(self.model, sd, strict=strict, source=f"checkpoint {path}")   # all or nothing
        if with_opt and isinstance(state, dict) and "opt" in state:
            if self.opt is None:
                self.create_opt()
            try:
                self.opt.load_state_dict(state["opt"])
            except (ValueError, KeyError) as e:
                warnings.warn(f"weights loaded but not the optimizer state: {e}")
        return self

    def export(self, fname: str | Path = "export.pkl") -> Path:
        """Save model and data pipelines (never the data) for `load_learner`."""
        from .export import export
        return export(self, fname)


class GatherPredsCallback(Callback):
    """Collects predictions, targets (and inputs) of a validation pass."""
    order = 70

    def __init__(self, with_input: bool = False) -> None:
        self.with_input = with_input
        self.preds, self.targs, self.inps = [], [], []

    def after_batch(self) -> None:
        self.preds.append(self.learn.pred.detach().float().cpu())
        if len(self.learn.yb):
            self.targs.append(self.learn.yb[0].detach().cpu())
        if self.with_input:
            self.inps.append(self.learn.xb[0].detach().cpu())

    def result(self) -> tuple:
        if not self.preds:
            raise ValueError("get_preds: the loader produced no batches")
        return torch.cat(self.preds), (torch.cat(self.targs) if self.targs else None)

    def inputs(self) -> torch.Tensor:
        return torch.cat(self.inps)


def _is_ce(lf: Any) -> bool:
    return isinstance(lf, nn.CrossEntropyLoss) or lf is torch.nn.functional.cross_entropy


def _is_bce(lf: Any) -> bool:
    return isinstance(lf, nn.BCEWithLogitsLoss) or lf is torch.nn.functional.binary_cross_entropy_with_logits


def _activation(lf: Any) -> Callable:
    if hasattr(lf, "activation"):
        return lf.activation
    if _is_ce(lf):
        return lambda x: torch.softmax(x, dim=-1)
    if _is_bce(lf):
        return torch.sigmoid
    return lambda x: x


def _decodes(lf: Any) -> Callable:
    if hasattr(lf, "decodes"):
        return lf.decodes
    if _is_ce(lf):
        return lambda x: x.argmax(dim=-1)
    if _is_bce(lf):
        return lambda x: x > 0.5
    return lambda x: x


def _shape(t: Any) -> str:
    return str(tuple(t.shape)) if hasattr(t, "shape") else type(t).__name__

