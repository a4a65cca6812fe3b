"""Plausible wrong implementations for exercise 09 (sensor sequences): each must fail at least one check."""
from tests.mutants import Mutant

# correct bodies the mutants below change one thing in (each mutant is still a whole cell's source)
_INIT = '''
class ConvLSTMClassifier(nn.Module):
    def __init__(self, c_in, n_out, conv_channels=64, hidden=64, kernel_size=5):
        super().__init__()
        self.conv = nn.Conv1d(c_in, conv_channels, kernel_size, padding=kernel_size // 2)
        self.bn = nn.BatchNorm1d(conv_channels)
        self.lstm = nn.LSTM(conv_channels, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_out)
'''
_FEATURES = '''
        if mask is None:
            mask = torch.ones(x.shape[0], x.shape[-1], dtype=torch.bool)
        m = mask.unsqueeze(1).float()
        h = torch.relu(self.bn(self.conv(x * m))) * m
        lengths = mask.sum(1)
        packed = pack_padded_sequence(h.transpose(1, 2), lengths, batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=x.shape[-1])
'''

_WINDOWS = """
def windows(recordings, step_labels, size, stride):
    out, labels = [], []
    for rec, steps in zip(recordings, step_labels):{before}
        for start in range(0, rec.shape[1] - size + 1, {step}):
            out.append({window})
            labels.append({label})
    return {result}
"""


def _windows(before: str = "", step: str = "stride", window: str = "rec[:, start:start + size]",
             label: str = "Counter(steps[start:start + size]).most_common(1)[0][0]",
             result: str = "np.stack(out), labels") -> str:
    return _WINDOWS.format(before=before, step=step, window=window, label=label, result=result)


_COLLATE = """
def pad_collate(batch):
    xs, ys = zip(*batch)
    longest = max(x.shape[-1] for x in xs)
    x = torch.zeros(len(xs), xs[0].shape[0], longest)
    mask = torch.zeros(len(xs), longest, dtype={mask_dtype})
    for i, s in enumerate(xs):
        x[i, :, :s.shape[-1]] = s
        mask[i, :s.shape[-1]] = {real}
    return x, mask, {y}
"""


def _collate(mask_dtype: str = "torch.bool", real: str = "True", y: str = "torch.stack(list(ys))") -> str:
    return _COLLATE.format(mask_dtype=mask_dtype, real=real, y=y)


MUTANTS = [
    # ---------------------------------------------------------------- windows
    Mutant("windows cross recordings", "windows_solution", '''
def windows(recordings, step_labels, size, stride):
    long = np.concatenate(recordings, axis=1)
    steps = [l for s in step_labels for l in s]
    out, labels = [], []
    for start in range(0, long.shape[1] - size + 1, stride):
        out.append(long[:, start:start + size])
        counts = Counter(steps[start:start + size])
        labels.append(counts.most_common(1)[0][0])
    return np.stack(out), labels
''', note="concatenates the recordings, so some windows span two of them"),
    Mutant("windows labelled by the last step", "windows_solution", _windows(label="steps[start + size - 1]")),
    Mutant("windows step by size, not stride", "windows_solution", _windows(step="size"),
           note="statement misreading: windows never overlap nor skip steps"),
    Mutant("windows miss the window that ends on the last step", "windows_solution", _windows().replace(
        "rec.shape[1] - size + 1", "rec.shape[1] - size"), note="off by one at the end of each recording"),
    Mutant("windows pad a short recording", "windows_solution", _windows(before="""
        if rec.shape[1] < size:  # keep short recordings: pad them with zeros to one window
            rec = np.concatenate([rec, np.zeros((rec.shape[0], size - rec.shape[1]), rec.dtype)], axis=1)
            steps = list(steps) + [steps[-1]] * (size - len(steps))"""),
           note="edge case: a recording shorter than a window must give none"),
    Mutant("windows break ties by the smallest label", "windows_solution", _windows(
        label="min(Counter(steps[start:start + size]).items(), key=lambda kv: (-kv[1], kv[0]))[0]"),
           note="ties: sorted order instead of first in the window"),
    Mutant("windows break ties by the last tied label", "windows_solution", '''
def windows(recordings, step_labels, size, stride):
    out, labels = [], []
    for rec, steps in zip(recordings, step_labels):
        for start in range(0, rec.shape[1] - size + 1, stride):
            out.append(rec[:, start:start + size])
            counts, best, label = Counter(steps[start:start + size]), 0, None
            for l in steps[start:start + size]:
                if counts[l] >= best:
                    best, label = counts[l], l
            labels.append(label)
    return np.stack(out), labels
''', note="ties: >= keeps the last tied label seen"),
    Mutant("windows majority over the whole recording", "windows_solution",
           _windows(label="Counter(steps).most_common(1)[0][0]"),
           note="statement misreading: the majority of the window's own steps"),
    Mutant("windows returned as a list of arrays", "windows_solution", _windows(result="out, labels"),
           note="type: a list where an array is asked"),
    Mutant("windows returned as a tensor", "windows_solution", _windows(
        window="torch.from_numpy(rec[:, start:start + size])", result="torch.stack(out), labels"),
           note="type: a tensor where a numpy array is asked"),
    Mutant("windows labels as an array", "windows_solution", _windows(result="np.stack(out), np.array(labels)"),
           note="type: an array where a list is asked"),
    Mutant("windows with channels last", "windows_solution", _windows(window="rec[:, start:start + size].T"),
           note="wrong axis: (n, size, channels)"),
    # ---------------------------------------------------------------- normalize_splits
    Mutant("normalization peeks at validation data", "normalize_splits_solution", '''
def normalize_splits(train, valid):
    steps = np.concatenate(train + valid, axis=1)
    mean, std = steps.mean(axis=1, keepdims=True), steps.std(axis=1, keepdims=True)
    return [(s - mean) / std for s in train], [(s - mean) / std for s in valid]
'''),
    Mutant("normalization averages per-series statistics", "normalize_splits_solution", '''
def normalize_splits(train, valid):
    mean = np.mean([s.mean(axis=1, keepdims=True) for s in train], axis=0)
    std = np.mean([s.std(axis=1, keepdims=True) for s in train], axis=0)
    return [(s - mean) / std for s in train], [(s - mean) / std for s in valid]
'''),
    Mutant("normalization over all channels at once", "normalize_splits_solution", '''
def normalize_splits(train, valid):
    steps = np.concatenate(train, axis=1)
    mean, std = steps.mean(), steps.std()
    return [(s - mean) / std for s in train], [(s - mean) / std for s in valid]
'''),
    Mutant("normalization with the sample std", "normalize_splits_solution", '''
def normalize_splits(train, valid):
    steps = np.concatenate(train, axis=1)
    mean, std = steps.mean(axis=1, keepdims=True), steps.std(axis=1, ddof=1, keepdims=True)
    return [(s - mean) / std for s in train], [(s - mean) / std for s in valid]
''', note="which std: N - 1 instead of the population std"),
    Mutant("normalization of each series by itself", "normalize_splits_solution", '''
def normalize_splits(train, valid):
    scale = lambda s: (s - s.mean(axis=1, keepdims=True)) / s.std(axis=1, keepdims=True)
    return [scale(s) for s in train], [scale(s) for s in valid]
''', note="statement misreading: per-series statistics"),
    Mutant("normalization of valid with its own statistics", "normalize_splits_solution", '''
def normalize_splits(train, valid):
    def scaled(split):
        steps = np.concatenate(split, axis=1)
        mean, std = steps.mean(axis=1, keepdims=True), steps.std(axis=1, keepdims=True)
        return [(s - mean) / std for s in split]
    return scaled(train), scaled(valid) if valid else []
''', note="leak: each split its own statistics"),
    Mutant("normalization in place", "normalize_splits_solution", '''
def normalize_splits(train, valid):
    steps = np.concatenate(train, axis=1)
    mean, std = steps.mean(axis=1, keepdims=True), steps.std(axis=1, keepdims=True)
    for s in train + valid:
        s -= mean
        s /= std
    return list(train), list(valid)
''', note="state: modifies the caller's arrays"),
    Mutant("normalization returns the splits swapped", "normalize_splits_solution", '''
def normalize_splits(train, valid):
    steps = np.concatenate(train, axis=1)
    mean, std = steps.mean(axis=1, keepdims=True), steps.std(axis=1, keepdims=True)
    return [(s - mean) / std for s in valid], [(s - mean) / std for s in train]
''', note="order"),
    Mutant("normalization returns lazy maps", "normalize_splits_solution", '''
def normalize_splits(train, valid):
    steps = np.concatenate(train, axis=1)
    mean, std = steps.mean(axis=1, keepdims=True), steps.std(axis=1, keepdims=True)
    scale = lambda s: (s - mean) / std
    return map(scale, train), map(scale, valid)
''', note="type: map objects where lists are asked"),
    Mutant("normalization without keepdims", "normalize_splits_solution", '''
def normalize_splits(train, valid):
    steps = np.concatenate(train, axis=1)
    mean, std = steps.mean(axis=1), steps.std(axis=1)
    scale = lambda s: (s - mean) / std
    return [scale(s) for s in train], [scale(s) for s in valid]
''', note="wrong axis when broadcasting (channels, length) against (channels,)"),
    # ---------------------------------------------------------------- pad_collate
    Mutant("padding at the front", "pad_collate_solution", '''
def pad_collate(batch):
    xs, ys = zip(*batch)
    longest = max(x.shape[-1] for x in xs)
    x = torch.zeros(len(xs), xs[0].shape[0], longest)
    mask = torch.zeros(len(xs), longest, dtype=torch.bool)
    for i, s in enumerate(xs):
        x[i, :, longest - s.shape[-1]:] = s
        mask[i, longest - s.shape[-1]:] = True
    return x, mask, torch.stack(list(ys))
'''),
    Mutant("mask marks the padding", "pad_collate_solution", _collate(real="False").replace(
        "mask = torch.zeros", "mask = torch.ones")),
    Mutant("mask of floats", "pad_collate_solution", _collate(mask_dtype="torch.float32", real="1.0"),
           note="type: a 1.0/0.0 mask where a bool tensor is asked"),
    Mutant("mask read from the values", "pad_collate_solution", '''
def pad_collate(batch):
    xs, ys = zip(*batch)
    longest = max(x.shape[-1] for x in xs)
    x = torch.zeros(len(xs), xs[0].shape[0], longest)
    for i, s in enumerate(xs):
        x[i, :, :s.shape[-1]] = s
    return x, (x != 0).any(dim=1), torch.stack(list(ys))
''', note="edge case: a real step can read 0"),
    Mutant("labels as a list", "pad_collate_solution", _collate(y="[int(y) for y in ys]"),
           note="type: a list where a tensor is asked"),
    Mutant("labels as floats", "pad_collate_solution", _collate(y="torch.Tensor([int(y) for y in ys])"),
           note="type: torch.Tensor(...) makes float labels"),
    Mutant("labels squeezed", "pad_collate_solution", _collate(y="torch.stack(list(ys)).squeeze()"),
           note="edge case: a batch of one loses its label dimension"),
    Mutant("batch sorted by length", "pad_collate_solution", _collate().replace(
        "    xs, ys = zip(*batch)", "    xs, ys = zip(*sorted(batch, key=lambda pair: -pair[0].shape[-1]))"),
           note="order: sorting (as for packed text batches) reorders the series"),
    Mutant("padding to the first series' length", "pad_collate_solution", '''
def pad_collate(batch):
    xs, ys = zip(*batch)
    longest = xs[0].shape[-1]
    x = torch.zeros(len(xs), xs[0].shape[0], longest)
    mask = torch.zeros(len(xs), longest, dtype=torch.bool)
    for i, s in enumerate(xs):
        n = min(s.shape[-1], longest)
        x[i, :, :n] = s[:, :n]
        mask[i, :n] = True
    return x, mask, torch.stack(list(ys))
''', note="edge case: the longest series is not always the first"),
    # ---------------------------------------------------------------- ConvLSTMClassifier
    Mutant("classifier reads the padded last step", "conv_lstm_solution", _INIT + '''
    def forward(self, x, mask=None):
        h = torch.relu(self.bn(self.conv(x)))
        out, _ = self.lstm(h.transpose(1, 2))
        return self.head(out[:, -1])
'''),
    Mutant("classifier pools over padding", "conv_lstm_solution", _INIT + '''
    def forward(self, x, mask=None):
        h = torch.relu(self.bn(self.conv(x)))
        out, _ = self.lstm(h.transpose(1, 2))
        return self.head(out.mean(1))
'''),
    Mutant("LSTM without the convolution", "conv_lstm_solution", '''
class ConvLSTMClassifier(nn.Module):
    def __init__(self, c_in, n_out, conv_channels=64, hidden=64, kernel_size=5):
        super().__init__()
        self.lstm = nn.LSTM(c_in, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x, mask=None):
        if mask is None:
            mask = torch.ones(x.shape[0], x.shape[-1], dtype=torch.bool)
        lengths = mask.sum(1).cpu()
        packed = pack_padded_sequence(x.transpose(1, 2), lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return self.head(h[-1])
''', note="padding-proof, but not the prescribed layers (and too weak for the accuracy target)"),
    Mutant("classifier with a GRU", "conv_lstm_solution", _INIT.replace("nn.LSTM", "nn.GRU") + '''
    def forward(self, x, mask=None):''' + _FEATURES + '''        return self.head(out.sum(1) / lengths[:, None])
''', note="structure: the statement prescribes an LSTM"),
    Mutant("classifier runs the LSTM before the convolution", "conv_lstm_solution", '''
class ConvLSTMClassifier(nn.Module):
    def __init__(self, c_in, n_out, conv_channels=64, hidden=64, kernel_size=5):
        super().__init__()
        self.lstm = nn.LSTM(c_in, hidden, batch_first=True)
        self.conv = nn.Conv1d(hidden, conv_channels, kernel_size, padding=kernel_size // 2)
        self.head = nn.Linear(conv_channels, n_out)

    def forward(self, x, mask=None):
        if mask is None:
            mask = torch.ones(x.shape[0], x.shape[-1], dtype=torch.bool)
        m = mask.unsqueeze(1).float()
        lengths = mask.sum(1)
        packed = pack_padded_sequence((x * m).transpose(1, 2), lengths, batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=x.shape[-1])
        h = torch.relu(self.conv(out.transpose(1, 2))) * m
        return self.head(h.sum(2) / lengths[:, None])
''', note="structure: the layers in the wrong order"),
    Mutant("classifier keeps its layers in a list", "conv_lstm_solution", '''
class ConvLSTMClassifier(nn.Module):
    def __init__(self, c_in, n_out, conv_channels=64, hidden=64, kernel_size=5):
        super().__init__()
        self.layers = [nn.Conv1d(c_in, conv_channels, kernel_size, padding=kernel_size // 2),
                       nn.BatchNorm1d(conv_channels), nn.LSTM(conv_channels, hidden, batch_first=True),
                       nn.Linear(hidden, n_out)]

    def forward(self, x, mask=None):
        conv, bn, lstm, head = self.layers
        if mask is None:
            mask = torch.ones(x.shape[0], x.shape[-1], dtype=torch.bool)
        m = mask.unsqueeze(1).float()
        h = torch.relu(bn(conv(x * m))) * m
        lengths = mask.sum(1)
        packed = pack_padded_sequence(h.transpose(1, 2), lengths, batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(lstm(packed)[0], batch_first=True, total_length=x.shape[-1])
        return head(out.sum(1) / lengths[:, None])
''', note="layers PyTorch cannot see: never trained"),
    Mutant("classifier ignores its input", "conv_lstm_solution", _INIT + '''
    def forward(self, x, mask=None):
        return self.head(torch.zeros(x.shape[0], self.head.in_features))
''', note="a placeholder forward: constant scores are padding-proof, but must come from the prescribed layers"),
    Mutant("classifier softmax over the batch", "conv_lstm_solution", _INIT + '''
    def forward(self, x, mask=None):''' + _FEATURES + '''        scores = self.head(out.sum(1) / lengths[:, None])
        return torch.softmax(scores, dim=0)
''', note="wrong axis: a series alone always scores 1.0, whatever it holds"),
    Mutant("classifier with mask=None as no real step", "conv_lstm_solution", _INIT + '''
    def forward(self, x, mask=None):
        if mask is None:
            mask = torch.zeros(x.shape[0], x.shape[-1], dtype=torch.bool)
        m = mask.unsqueeze(1).float()
        h = torch.relu(self.bn(self.conv(x * m))) * m
        out, _ = self.lstm(h.transpose(1, 2))
        out = out * mask.unsqueeze(-1)
        return self.head(out.sum(1) / mask.sum(1, keepdim=True))
''', note="edge case: mask=None means every step is real"),
    Mutant("classifier reads the first step", "conv_lstm_solution", _INIT + '''
    def forward(self, x, mask=None):''' + _FEATURES + '''        return self.head(out[:, 0])
''', note="padding-proof and the prescribed layers, but the first step has seen almost nothing: low accuracy"),
    Mutant("classifier computes its scores under no_grad", "conv_lstm_solution", _INIT + '''
    def forward(self, x, mask=None):
        with torch.no_grad():  # "the forward pass only predicts"
            return self.scores(x, mask)

    def scores(self, x, mask=None):''' + _FEATURES + '''        return self.head(out.sum(1) / lengths[:, None])
''', note="padding-proof in eval mode, but nothing can be trained: no gradient reaches the layers"),
]
