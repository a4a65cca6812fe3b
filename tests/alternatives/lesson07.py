"""Correct solutions to exercise 07 written differently from solutions/: each must keep full marks."""

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'accuracy_solution': ['''
def accuracy(inp, targ):
    if tuple(inp.shape[:-1]) != tuple(targ.shape):
        raise ValueError("shapes differ: scores %s, targets %s" % (tuple(inp.shape), tuple(targ.shape)))
    predicted = inp.max(dim=-1).indices
    return (predicted == targ).sum().float() / targ.numel()
''', '''
def accuracy(inp, targ):
    if list(inp.shape[:-1]) != list(targ.shape):
        raise ValueError(f"accuracy needs targets of shape {tuple(inp.shape[:-1])} for scores {tuple(inp.shape)}, "
                         f"got targets of shape {tuple(targ.shape)}")
    flat = inp.detach().reshape(-1, inp.shape[-1])
    hits = flat.argmax(1) == targ.reshape(-1)
    return torch.mean(hits.to(torch.float32))
''', '''
def accuracy(inp, targ):
    expected = tuple(inp.shape)[:-1]
    if expected != tuple(targ.shape):
        raise ValueError(f"{tuple(inp.shape)} and {tuple(targ.shape)} do not go together")
    return torch.count_nonzero(torch.eq(torch.argmax(inp, -1), targ)) / targ.numel()
'''],
    'avg_metric_solution': ['''
class AvgMetric(ref.Metric):
    def __init__(self, func):
        self.func = func
        self.reset()

    def reset(self):
        self.seen = []  # (batch result, batch size)

    def accumulate(self, learn):
        result = self.func(learn.pred, *learn.yb)
        if isinstance(result, torch.Tensor):
            result = result.item()
        self.seen.append((result, learn.yb[0].shape[0]))

    @property
    def value(self):
        items = sum(n for _, n in self.seen)
        if items == 0:
            return None
        return float(sum(v * n for v, n in self.seen) / items)

    @property
    def name(self):
        f = self.func
        while isinstance(f, partial):
            f = f.func
        return f.__name__
''', '''
class AvgMetric(ref.Metric):
    def __init__(self, func):
        self.func = func
        self.reset()

    def reset(self):
        self.mean, self.items = None, 0

    def accumulate(self, learn):
        n = len(learn.yb[0])
        v = float(self.func(learn.pred, *learn.yb))
        self.items += n
        # running mean: move towards the new batch by its share of the items seen
        self.mean = v if self.mean is None else self.mean + (v - self.mean) * n / self.items

    @property
    def value(self):
        return self.mean

    @property
    def name(self):
        return self.func.func.__name__ if isinstance(self.func, partial) else self.func.__name__
'''],
    'smooth_loss_solution': ['''
class AvgSmoothLoss(ref.Metric):
    def __init__(self, beta=0.98):
        self.beta = beta
        self.reset()

    def reset(self):
        self.avg, self.weight = 0.0, 0.0

    def accumulate(self, learn):
        # the weight follows the same recurrence with a loss of 1: it is 1 - beta**n after n batches
        self.avg = self.beta * self.avg + (1 - self.beta) * learn.loss.item()
        self.weight = self.beta * self.weight + (1 - self.beta)

    @property
    def value(self):
        return self.avg / self.weight if self.weight else None
''', '''
class AvgSmoothLoss(ref.Metric):
    def __init__(self, beta=0.98):
        self.beta = beta
        self.reset()

    def reset(self):
        self.losses = []

    def accumulate(self, learn):
        self.losses.append(float(learn.loss.detach()))

    @property
    def value(self):
        n = len(self.losses)
        if not n:
            return None
        raw = sum((1 - self.beta) * self.beta ** (n - 1 - i) * loss for i, loss in enumerate(self.losses))
        return raw / (1 - self.beta ** n)
'''],
    'f1_score_solution': ['''
from sklearn.metrics import f1_score as sk_f1

class F1Score(ref.Metric):
    def __init__(self, pos_label=1):
        self.pos_label = pos_label
        self.reset()

    def reset(self):
        self.preds, self.targs = [], []

    def accumulate(self, learn):
        self.preds.append(learn.pred.detach().argmax(dim=-1).cpu())
        self.targs.append(learn.yb[0].detach().cpu())

    @property
    def value(self):
        if not self.preds:
            return None
        return float(sk_f1(torch.cat(self.targs).numpy(), torch.cat(self.preds).numpy(), pos_label=self.pos_label,
                           zero_division=0.0))
''', '''
class F1Score(ref.Metric):
    def __init__(self, pos_label=1):
        self.pos_label = pos_label
        self.reset()

    def reset(self):
        self.cm = None  # confusion counts, index 2 * target + prediction (in "is pos_label" terms)

    def accumulate(self, learn):
        pred = (torch.argmax(learn.pred.detach(), dim=1) == self.pos_label).long()
        targ = (learn.yb[0] == self.pos_label).long()
        counts = torch.bincount(2 * targ + pred, minlength=4)
        self.cm = counts if self.cm is None else self.cm + counts

    @property
    def value(self):
        if self.cm is None:
            return None
        fp, fn, tp = (int(c) for c in self.cm[1:])
        if tp == 0:
            return 0.0  # also when the class never shows at all
        precision, recall = tp / (tp + fp), tp / (tp + fn)
        return 2 * precision * recall / (precision + recall)
'''],
}
