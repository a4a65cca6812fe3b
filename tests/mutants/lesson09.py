"""Plausible wrong implementations for exercise 09 (sensor sequences): each must fail at least one check."""
from tests.mutants import Mutant

MUTANTS = [
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
    Mutant("windows labelled by the last step", "windows_solution", '''
def windows(recordings, step_labels, size, stride):
    out, labels = [], []
    for rec, steps in zip(recordings, step_labels):
        for start in range(0, rec.shape[1] - size + 1, stride):
            out.append(rec[:, start:start + size])
            labels.append(steps[start + size - 1])
    return np.stack(out), labels
'''),
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
    Mutant("mask marks the padding", "pad_collate_solution", '''
def pad_collate(batch):
    xs, ys = zip(*batch)
    longest = max(x.shape[-1] for x in xs)
    x = torch.zeros(len(xs), xs[0].shape[0], longest)
    mask = torch.ones(len(xs), longest, dtype=torch.bool)
    for i, s in enumerate(xs):
        x[i, :, :s.shape[-1]] = s
        mask[i, :s.shape[-1]] = False
    return x, mask, torch.stack(list(ys))
'''),
    Mutant("classifier reads the padded last step", "conv_lstm_solution", '''
class ConvLSTMClassifier(nn.Module):
    def __init__(self, c_in, n_out, conv_channels=64, hidden=64, kernel_size=5):
        super().__init__()
        self.conv = nn.Conv1d(c_in, conv_channels, kernel_size, padding=kernel_size // 2)
        self.bn = nn.BatchNorm1d(conv_channels)
        self.lstm = nn.LSTM(conv_channels, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x, mask=None):
        h = torch.relu(self.bn(self.conv(x)))
        out, _ = self.lstm(h.transpose(1, 2))
        return self.head(out[:, -1])
'''),
    Mutant("classifier pools over padding", "conv_lstm_solution", '''
class ConvLSTMClassifier(nn.Module):
    def __init__(self, c_in, n_out, conv_channels=64, hidden=64, kernel_size=5):
        super().__init__()
        self.conv = nn.Conv1d(c_in, conv_channels, kernel_size, padding=kernel_size // 2)
        self.bn = nn.BatchNorm1d(conv_channels)
        self.lstm = nn.LSTM(conv_channels, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_out)

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
''', note="padding-proof, but raw readings one step at a time learn too slowly for the accuracy target"),
]
