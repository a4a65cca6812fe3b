"""Plausible wrong implementations for exercise 07 (metrics): each must fail at least one check."""
from tests.mutants import Mutant

# ---------------------------------------------------------------------------------------------------------------
# accuracy
# ---------------------------------------------------------------------------------------------------------------

_ACCURACY = '''
def accuracy(inp, targ):
    if {test}:
        raise ValueError(f"scores of shape {{{inp_shape}}} do not match targets of shape {{{targ_shape}}}")
    return {result}
'''


def _accuracy(test="inp.shape[:-1] != targ.shape", inp_shape="tuple(inp.shape)", targ_shape="tuple(targ.shape)",
              result="(inp.argmax(dim=-1) == targ).float().mean()"):
    return _ACCURACY.format(test=test, inp_shape=inp_shape, targ_shape=targ_shape, result=result)


MUTANTS = [
    Mutant("accuracy: no shape test (targets of shape (N, 1) broadcast)", "accuracy_solution", '''
def accuracy(inp, targ):
    return (inp.argmax(dim=-1) == targ).float().mean()
'''),
    Mutant("accuracy: only the batch sizes are compared", "accuracy_solution",
           _accuracy(test="len(inp) != len(targ)")),
    Mutant("accuracy: the message shows torch.Size", "accuracy_solution",
           _accuracy(inp_shape="inp.shape", targ_shape="targ.shape")),
    Mutant("accuracy: the message names one shape only", "accuracy_solution", '''
def accuracy(inp, targ):
    if inp.shape[:-1] != targ.shape:
        raise ValueError(f"targets of shape {tuple(targ.shape)} do not match the scores")
    return (inp.argmax(dim=-1) == targ).float().mean()
'''),
    Mutant("accuracy: an assert instead of a ValueError", "accuracy_solution", '''
def accuracy(inp, targ):
    assert inp.shape[:-1] == targ.shape, f"{tuple(inp.shape)} vs {tuple(targ.shape)}"
    return (inp.argmax(dim=-1) == targ).float().mean()
'''),
    Mutant("accuracy: a tie counts as right when the target is among the top scores", "accuracy_solution",
           _accuracy(result="(inp == inp.max(dim=-1, keepdim=True).values).gather(-1, targ.unsqueeze(-1))"
                            ".squeeze(-1).float().mean()")),
    Mutant("accuracy: a tie goes to the last top score (stable sort)", "accuracy_solution",
           _accuracy(result="(inp.argsort(dim=-1, stable=True)[..., -1] == targ).float().mean()")),
    Mutant("accuracy: classes read along dim 1 (wrong for sequences)", "accuracy_solution",
           _accuracy(result="(inp.argmax(dim=1) == targ).float().mean()")),
    Mutant("accuracy: classes read along dim 0", "accuracy_solution", '''
def accuracy(inp, targ):
    if inp.shape[:-1] != targ.shape:
        raise ValueError(f"scores {tuple(inp.shape)}, targets {tuple(targ.shape)}")
    return (inp.argmax(0) == targ).float().mean()
'''),
    Mutant("accuracy: the number of correct rows, not their share", "accuracy_solution",
           _accuracy(result="(inp.argmax(dim=-1) == targ).float().sum()")),
    Mutant("accuracy: divided by the batch size (wrong for sequences)", "accuracy_solution",
           _accuracy(result="(inp.argmax(dim=-1) == targ).sum() / len(targ)")),
    Mutant("accuracy: a Python float", "accuracy_solution",
           _accuracy(result="(inp.argmax(dim=-1) == targ).float().mean().item()")),
    Mutant("accuracy: the dtype of the scores (float64 stays float64)", "accuracy_solution",
           _accuracy(result="(inp.argmax(dim=-1) == targ).to(inp.dtype).mean()")),
    Mutant("accuracy: scores shifted in place before the argmax", "accuracy_solution", '''
def accuracy(inp, targ):
    if inp.shape[:-1] != targ.shape:
        raise ValueError(f"scores {tuple(inp.shape)}, targets {tuple(targ.shape)}")
    with torch.no_grad():
        inp -= inp.max(dim=-1, keepdim=True).values  # numerically safer scores
    return (inp.argmax(dim=-1) == targ).float().mean()
'''),
]

# ---------------------------------------------------------------------------------------------------------------
# AvgMetric
# ---------------------------------------------------------------------------------------------------------------

def _metric(cls: str, arg: str, parts: dict) -> str:
    """The source of a metric class: __init__ as the exercise gives it, then reset, accumulate, value (and name)."""
    attr = arg.split("=")[0]
    lines = [f"class {cls}(ref.Metric):", f"    def __init__(self, {arg}):", f"        self.{attr} = {attr}",
             "        self.reset()", ""]
    for method in ("reset", "accumulate", "value", "name"):
        if method in parts:
            lines += (["    @property"] if method in ("value", "name") else []) + \
                     [f"    def {method}(self{', learn' if method == 'accumulate' else ''}):", parts[method], ""]
    return "\n" + "\n".join(lines)


_AVG_PARTS = dict(
    reset="        self.total, self.count = 0.0, 0",
    accumulate="        bs = len(learn.yb[0])\n"
               "        self.total += float(self.func(learn.pred, *learn.yb)) * bs\n"
               "        self.count += bs",
    value="        return self.total / self.count if self.count else None",
    name='        return getattr(self.func, "func", self.func).__name__',
)


def _avg(**parts):
    return _metric("AvgMetric", "func", {**_AVG_PARTS, **parts})


MUTANTS += [
    Mutant("AvgMetric: the plain mean of the batch results", "avg_metric_solution", _avg(
        reset="        self.values = []",
        accumulate="        self.values.append(float(self.func(learn.pred, *learn.yb)))",
        value="        return sum(self.values) / len(self.values) if self.values else None")),
    Mutant("AvgMetric: weighted total divided by the number of batches", "avg_metric_solution", _avg(
        reset="        self.total, self.count, self.batches = 0.0, 0, 0",
        accumulate="        bs = len(learn.yb[0])\n"
                   "        self.total += float(self.func(learn.pred, *learn.yb)) * bs\n"
                   "        self.count += bs\n"
                   "        self.batches += 1",
        value="        return self.total / self.batches if self.batches else None")),
    Mutant("AvgMetric: value 0.0 before any batch", "avg_metric_solution", _avg(
        value="        return self.total / self.count if self.count else 0.0")),
    Mutant("AvgMetric: value divides by zero before any batch", "avg_metric_solution", _avg(
        value="        return self.total / self.count")),
    Mutant("AvgMetric: value is a 0-d tensor (the total kept as a tensor)", "avg_metric_solution", _avg(
        accumulate="        bs = len(learn.yb[0])\n"
                   "        self.total = self.total + torch.as_tensor(self.func(learn.pred, *learn.yb)).detach() * bs\n"
                   "        self.count += bs")),
    Mutant("AvgMetric: assumes func returns a tensor (.item())", "avg_metric_solution", _avg(
        accumulate="        bs = len(learn.yb[0])\n"
                   "        self.total += self.func(learn.pred, *learn.yb).item() * bs\n"
                   "        self.count += bs")),
    Mutant("AvgMetric: reset forgets the total but not the count", "avg_metric_solution", '''
class AvgMetric(ref.Metric):
    def __init__(self, func):
        self.func = func
        self.count = 0
        self.reset()

    def reset(self):
        self.total = 0.0

    def accumulate(self, learn):
        bs = len(learn.yb[0])
        self.total += float(self.func(learn.pred, *learn.yb)) * bs
        self.count += bs

    @property
    def value(self):
        return self.total / self.count if self.count else None

    @property
    def name(self):
        return getattr(self.func, "func", self.func).__name__
'''),
    Mutant("AvgMetric: only the first target is passed", "avg_metric_solution", _avg(
        accumulate="        bs = len(learn.yb[0])\n"
                   "        self.total += float(self.func(learn.pred, learn.yb[0])) * bs\n"
                   "        self.count += bs")),
    Mutant("AvgMetric: value of the latest batch only", "avg_metric_solution", _avg(
        reset="        self.last = None",
        accumulate="        self.last = float(self.func(learn.pred, *learn.yb))",
        value="        return self.last")),
    Mutant("AvgMetric: name fails on a partial", "avg_metric_solution", _avg(
        name="        return self.func.__name__")),
    Mutant("AvgMetric: name from the class (the base class's default)", "avg_metric_solution", _avg(
        name="        return 'avg_metric'")),
    Mutant("AvgMetric: reading value divides the total in place", "avg_metric_solution", _avg(
        value="        if not self.count:\n"
              "            return None\n"
              "        self.total = self.total / self.count\n"
              "        self.count = 1\n"
              "        return self.total")),
    Mutant("AvgMetric: the running results are a list shared by every instance", "avg_metric_solution", '''
class AvgMetric(ref.Metric):
    results = []  # (value, batch size) of every batch since reset

    def __init__(self, func):
        self.func = func
        self.reset()

    def reset(self):
        self.results.clear()

    def accumulate(self, learn):
        self.results.append((float(self.func(learn.pred, *learn.yb)), len(learn.yb[0])))

    @property
    def value(self):
        n = sum(bs for _, bs in self.results)
        return sum(v * bs for v, bs in self.results) / n if n else None

    @property
    def name(self):
        return getattr(self.func, "func", self.func).__name__
'''),
]

# ---------------------------------------------------------------------------------------------------------------
# AvgSmoothLoss
# ---------------------------------------------------------------------------------------------------------------

_SMOOTH_PARTS = dict(
    reset="        self.count, self.val = 0, 0.0",
    accumulate="        self.count += 1\n"
               "        self.val = self.beta * self.val + (1 - self.beta) * float(learn.loss)",
    value="        if self.count == 0:\n"
          "            return None\n"
          "        return self.val / (1 - self.beta ** self.count)",
)


def _smooth(**parts):
    return _metric("AvgSmoothLoss", "beta=0.98", {**_SMOOTH_PARTS, **parts})


MUTANTS += [
    Mutant("AvgSmoothLoss: no bias correction", "smooth_loss_solution", _smooth(
        value="        return self.val if self.count else None")),
    Mutant("AvgSmoothLoss: correction one batch ahead", "smooth_loss_solution", _smooth(
        value="        if self.count == 0:\n"
              "            return None\n"
              "        return self.val / (1 - self.beta ** (self.count + 1))")),
    Mutant("AvgSmoothLoss: count increased after the value is used (divides by zero)", "smooth_loss_solution",
           _smooth(value="        if self.count == 0:\n"
                         "            return None\n"
                         "        return self.val / (1 - self.beta ** (self.count - 1))")),
    Mutant("AvgSmoothLoss: the correction is stored in the average", "smooth_loss_solution", _smooth(
        accumulate="        self.count += 1\n"
                   "        self.val = self.beta * self.val + (1 - self.beta) * float(learn.loss)\n"
                   "        self.val = self.val / (1 - self.beta ** self.count)",
        value="        return self.val if self.count else None")),
    Mutant("AvgSmoothLoss: beta weighs the new loss", "smooth_loss_solution", _smooth(
        accumulate="        self.count += 1\n"
                   "        self.val = (1 - self.beta) * self.val + self.beta * float(learn.loss)",
        value="        if self.count == 0:\n"
              "            return None\n"
              "        return self.val / (1 - (1 - self.beta) ** self.count)")),
    Mutant("AvgSmoothLoss: the plain mean of the losses", "smooth_loss_solution", _smooth(
        accumulate="        self.count += 1\n"
                   "        self.val += float(learn.loss)",
        value="        return self.val / self.count if self.count else None")),
    Mutant("AvgSmoothLoss: value is a tensor (the loss kept as a tensor)", "smooth_loss_solution", _smooth(
        accumulate="        self.count += 1\n"
                   "        self.val = self.beta * self.val + (1 - self.beta) * learn.loss.detach()")),
    Mutant("AvgSmoothLoss: value 0.0 before any batch", "smooth_loss_solution", _smooth(
        value="        return self.val / (1 - self.beta ** self.count) if self.count else self.val")),
    Mutant("AvgSmoothLoss: value divides by zero before any batch", "smooth_loss_solution", _smooth(
        value="        return self.val / (1 - self.beta ** self.count)")),
    Mutant("AvgSmoothLoss: reset keeps the batch count", "smooth_loss_solution", '''
class AvgSmoothLoss(ref.Metric):
    def __init__(self, beta=0.98):
        self.beta = beta
        self.count = 0
        self.reset()

    def reset(self):
        self.val = 0.0

    def accumulate(self, learn):
        self.count += 1
        self.val = self.beta * self.val + (1 - self.beta) * float(learn.loss)

    @property
    def value(self):
        if self.val == 0.0:
            return None
        return self.val / (1 - self.beta ** self.count)
'''),
    Mutant("AvgSmoothLoss: losses weighted by batch size", "smooth_loss_solution", _smooth(
        reset="        self.count, self.val, self.weight = 0, 0.0, 0.0",
        accumulate="        bs = len(learn.yb[0])\n"
                   "        self.count += 1\n"
                   "        self.val = self.beta * self.val + (1 - self.beta) * float(learn.loss) * bs\n"
                   "        self.weight = self.beta * self.weight + (1 - self.beta) * bs",
        value="        return self.val / self.weight if self.count else None")),
    Mutant("AvgSmoothLoss: the losses kept in a list shared by every instance", "smooth_loss_solution", '''
class AvgSmoothLoss(ref.Metric):
    losses = []

    def __init__(self, beta=0.98):
        self.beta = beta
        self.reset()

    def reset(self):
        self.losses.clear()

    def accumulate(self, learn):
        self.losses.append(float(learn.loss))

    @property
    def value(self):
        if not self.losses:
            return None
        val = 0.0
        for loss in self.losses:
            val = self.beta * val + (1 - self.beta) * loss
        return val / (1 - self.beta ** len(self.losses))
'''),
]

# ---------------------------------------------------------------------------------------------------------------
# F1Score
# ---------------------------------------------------------------------------------------------------------------

_F1_PARTS = dict(
    reset="        self.tp, self.fp, self.fn, self.rows = 0, 0, 0, 0",
    accumulate="        predicted = learn.pred.detach().argmax(dim=-1) == self.pos_label\n"
               "        actual = learn.yb[0] == self.pos_label\n"
               "        self.tp += int((predicted & actual).sum())\n"
               "        self.fp += int((predicted & ~actual).sum())\n"
               "        self.fn += int((~predicted & actual).sum())\n"
               "        self.rows += len(actual)",
    value="        if self.rows == 0:\n"
          "            return None\n"
          "        d = 2 * self.tp + self.fp + self.fn\n"
          "        return 2 * self.tp / d if d else 0.0",
)


def _f1(**parts):
    return _metric("F1Score", "pos_label=1", {**_F1_PARTS, **parts})


def _f1_predicted(expr):
    return _f1(accumulate=_F1_PARTS["accumulate"].replace(
        "learn.pred.detach().argmax(dim=-1) == self.pos_label", expr))


_PER_BATCH = _f1(
    reset="        self.scores, self.sizes = [], []",
    accumulate="        predicted = learn.pred.argmax(dim=-1) == self.pos_label\n"
               "        actual = learn.yb[0] == self.pos_label\n"
               "        tp = int((predicted & actual).sum())\n"
               "        d = 2 * tp + int((predicted & ~actual).sum()) + int((~predicted & actual).sum())\n"
               "        self.scores.append(2 * tp / d if d else 0.0)\n"
               "        self.sizes.append(len(actual))",
    value="        if not self.scores:\n"
          "            return None\n"
          "        return WEIGHTED")

MUTANTS += [
    Mutant("F1Score: the mean of per-batch F1 scores", "f1_score_solution",
           _PER_BATCH.replace("WEIGHTED", "sum(self.scores) / len(self.scores)")),
    Mutant("F1Score: per-batch F1 scores weighted by batch size", "f1_score_solution",
           _PER_BATCH.replace("WEIGHTED", "sum(s * n for s, n in zip(self.scores, self.sizes)) / sum(self.sizes)")),
    Mutant("F1Score: always measures class 1", "f1_score_solution", _f1(
        accumulate=_F1_PARTS["accumulate"].replace("== self.pos_label", "== 1"))),
    Mutant("F1Score: a probability threshold (a tie is not class 0 when pos_label is 0)", "f1_score_solution",
           _f1_predicted("learn.pred.detach().softmax(dim=-1)[:, self.pos_label] > 0.5")),
    Mutant("F1Score: a tie counts as class 1 (>= on the probability of class 1)", "f1_score_solution",
           _f1_predicted("(learn.pred.detach().softmax(dim=-1)[:, 1] >= 0.5).long() == self.pos_label")),
    Mutant("F1Score: divides by zero when the class never shows", "f1_score_solution", _f1(
        value="        if self.rows == 0:\n"
              "            return None\n"
              "        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)")),
    Mutant("F1Score: nan when the class never shows (tensor counts)", "f1_score_solution", _f1(
        value="        if self.rows == 0:\n"
              "            return None\n"
              "        return float(torch.tensor(2.0 * self.tp) / (2 * self.tp + self.fp + self.fn))")),
    Mutant("F1Score: None when the class never shows", "f1_score_solution", _f1(
        value="        d = 2 * self.tp + self.fp + self.fn\n"
              "        return 2 * self.tp / d if d else None")),
    Mutant("F1Score: value 0.0 before any batch", "f1_score_solution", _f1(
        value="        d = 2 * self.tp + self.fp + self.fn\n"
              "        return 2 * self.tp / d if d else 0.0")),
    Mutant("F1Score: counts kept as tensors (value is a 0-d tensor)", "f1_score_solution", _f1(
        accumulate="        predicted = learn.pred.detach().argmax(dim=-1) == self.pos_label\n"
                   "        actual = learn.yb[0] == self.pos_label\n"
                   "        self.tp += (predicted & actual).sum()\n"
                   "        self.fp += (predicted & ~actual).sum()\n"
                   "        self.fn += (~predicted & actual).sum()\n"
                   "        self.rows += len(actual)")),
    Mutant("F1Score: scikit-learn on stored predictions that still require grad", "f1_score_solution", '''
from sklearn.metrics import f1_score as sk_f1

class F1Score(ref.Metric):
    def __init__(self, pos_label=1):
        self.pos_label = pos_label
        self.reset()

    def reset(self):
        self.preds, self.targs = [], []

    def accumulate(self, learn):
        self.preds.append(learn.pred)
        self.targs.append(learn.yb[0])

    @property
    def value(self):
        if not self.preds:
            return None
        preds = torch.cat(self.preds).numpy().argmax(-1)
        return float(sk_f1(torch.cat(self.targs).numpy(), preds, pos_label=self.pos_label, zero_division=0.0))
'''),
    Mutant("F1Score: reset keeps the counts", "f1_score_solution", '''
class F1Score(ref.Metric):
    def __init__(self, pos_label=1):
        self.pos_label = pos_label
        self.tp, self.fp, self.fn = 0, 0, 0
        self.reset()

    def reset(self):
        self.rows = 0

    def accumulate(self, learn):
        predicted = learn.pred.detach().argmax(dim=-1) == self.pos_label
        actual = learn.yb[0] == self.pos_label
        self.tp += int((predicted & actual).sum())
        self.fp += int((predicted & ~actual).sum())
        self.fn += int((~predicted & actual).sum())
        self.rows += len(actual)

    @property
    def value(self):
        if self.rows == 0:
            return None
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else 0.0
'''),
    Mutant("F1Score: the accuracy of the pass", "f1_score_solution", _f1(
        reset="        self.right, self.rows = 0, 0",
        accumulate="        self.right += int((learn.pred.argmax(dim=-1) == learn.yb[0]).sum())\n"
                   "        self.rows += len(learn.yb[0])",
        value="        return self.right / self.rows if self.rows else None")),
    Mutant("F1Score: the precision only", "f1_score_solution", _f1(
        value="        if self.rows == 0:\n"
              "            return None\n"
              "        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0")),
    Mutant("F1Score: tp over tp + fp + fn (the Jaccard index)", "f1_score_solution", _f1(
        value="        if self.rows == 0:\n"
              "            return None\n"
              "        d = self.tp + self.fp + self.fn\n"
              "        return self.tp / d if d else 0.0")),
    Mutant("F1Score: targets relabelled in place for pos_label 0", "f1_score_solution", _f1(
        accumulate="        targ = learn.yb[0]\n"
                   "        if self.pos_label == 0:\n"
                   "            targ.sub_(1).neg_()  # make the class we measure 1\n"
                   "        predicted = learn.pred.detach().argmax(dim=-1) == self.pos_label\n"
                   "        actual = targ == 1\n"
                   "        self.tp += int((predicted & actual).sum())\n"
                   "        self.fp += int((predicted & ~actual).sum())\n"
                   "        self.fn += int((~predicted & actual).sum())\n"
                   "        self.rows += len(actual)")),
    Mutant("F1Score: counts in a dict shared by every instance", "f1_score_solution", '''
class F1Score(ref.Metric):
    counts = {"tp": 0, "fp": 0, "fn": 0, "rows": 0}

    def __init__(self, pos_label=1):
        self.pos_label = pos_label
        self.reset()

    def reset(self):
        self.counts.update(tp=0, fp=0, fn=0, rows=0)

    def accumulate(self, learn):
        predicted = learn.pred.detach().argmax(dim=-1) == self.pos_label
        actual = learn.yb[0] == self.pos_label
        self.counts["tp"] += int((predicted & actual).sum())
        self.counts["fp"] += int((predicted & ~actual).sum())
        self.counts["fn"] += int((~predicted & actual).sum())
        self.counts["rows"] += len(actual)

    @property
    def value(self):
        c = self.counts
        if c["rows"] == 0:
            return None
        d = 2 * c["tp"] + c["fp"] + c["fn"]
        return 2 * c["tp"] / d if d else 0.0
'''),
]

# ---------------------------------------------------------------------------------------------------------------
# The API itself: properties, and what a metric may keep of the learner
# ---------------------------------------------------------------------------------------------------------------

MUTANTS += [
    Mutant("AvgMetric: value and name are methods, not properties", "avg_metric_solution",
           _avg().replace("    @property\n", "")),
    Mutant("AvgMetric: keeps the learner and averages at the end", "avg_metric_solution", _avg(
        reset="        self.seen = []",
        accumulate="        self.seen.append(learn)  # the Learner is the same object after every batch",
        value="        if not self.seen:\n"
              "            return None\n"
              "        n = sum(len(l.yb[0]) for l in self.seen)\n"
              "        return sum(float(self.func(l.pred, *l.yb)) * len(l.yb[0]) for l in self.seen) / n")),
    Mutant("AvgSmoothLoss: value is a method, not a property", "smooth_loss_solution",
           _smooth().replace("    @property\n", "")),
    Mutant("F1Score: keeps the learner and counts at the end", "f1_score_solution", _f1(
        reset="        self.seen = []",
        accumulate="        self.seen.append(learn)",
        value="        if not self.seen:\n"
              "            return None\n"
              "        tp = fp = fn = 0\n"
              "        for l in self.seen:\n"
              "            predicted = l.pred.detach().argmax(dim=-1) == self.pos_label\n"
              "            actual = l.yb[0] == self.pos_label\n"
              "            tp += int((predicted & actual).sum())\n"
              "            fp += int((predicted & ~actual).sum())\n"
              "            fn += int((~predicted & actual).sum())\n"
              "        return 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0")),
    Mutant("F1Score: replaces learn.pred by the predicted classes", "f1_score_solution", _f1(
        accumulate="        learn.pred = learn.pred.detach().argmax(dim=-1)\n"
                   "        predicted = learn.pred == self.pos_label\n"
                   "        actual = learn.yb[0] == self.pos_label\n"
                   "        self.tp += int((predicted & actual).sum())\n"
                   "        self.fp += int((predicted & ~actual).sum())\n"
                   "        self.fn += int((~predicted & actual).sum())\n"
                   "        self.rows += len(actual)")),
]
