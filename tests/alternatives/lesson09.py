"""Correct solutions to exercise 09 written differently from solutions/: each must keep full marks."""

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'windows_solution': ['''
def windows(recordings, step_labels, size, stride):
    # numpy all the way: a strided view for the windows, np.unique for the labels (numpy strings and ints)
    ws, labels = [], []
    for rec, steps in zip(recordings, step_labels):
        if rec.shape[1] < size:
            continue
        view = np.lib.stride_tricks.sliding_window_view(rec, size, axis=1)[:, ::stride]  # (channels, k, size)
        ws.extend(view.transpose(1, 0, 2))
        steps = np.asarray(steps)
        for start in range(0, rec.shape[1] - size + 1, stride):
            seg = steps[start:start + size]
            _, first, counts = np.unique(seg, return_index=True, return_counts=True)
            labels.append(seg[first[counts == counts.max()].min()])
    return np.array(ws), labels
''', '''
def windows(recordings, step_labels, size, stride):
    out, labels = [], []
    for r in range(len(recordings)):
        rec, steps = recordings[r], list(step_labels[r])
        start = 0
        while start + size <= rec.shape[1]:
            out.append(rec[:, start:start + size].copy())
            labels.append(Counter(steps[start:start + size]).most_common(1)[0][0])  # ties: first counted first
            start += stride
    return np.stack(out, axis=0), labels
''', '''
def windows(recordings, step_labels, size, stride):
    pieces = [(rec[:, s:s + size], list(steps[s:s + size]))
              for rec, steps in zip(recordings, step_labels)
              for s in range(0, max(rec.shape[1] - size + 1, 0), stride)]
    # max over the distinct labels in order of appearance returns the first of the tied ones
    return (np.array([w for w, _ in pieces]),
            [max(dict.fromkeys(seg), key=seg.count) for _, seg in pieces])
'''],
    'normalize_splits_solution': ['''
def normalize_splits(train, valid):
    n = sum(s.shape[1] for s in train)
    mean = sum(s.astype(np.float64).sum(axis=1) for s in train) / n
    var = sum(((s - mean[:, None]) ** 2).sum(axis=1) for s in train) / n
    mean, std = mean[:, None], np.sqrt(var)[:, None]
    return [(s - mean) / std for s in train], [(s - mean) / std for s in valid]
''', '''
def normalize_splits(train, valid):
    steps = torch.cat([torch.as_tensor(s) for s in train], dim=1)
    mean = steps.mean(1, keepdim=True)
    std = steps.std(1, unbiased=False, keepdim=True)
    scale = lambda s: ((torch.as_tensor(s) - mean) / std).numpy()
    return [scale(s) for s in train], [scale(s) for s in valid]
''', '''
def normalize_splits(train, valid):
    steps = np.hstack(train)
    mean = np.mean(steps, axis=-1, keepdims=True)
    std = np.sqrt(np.var(steps, axis=-1, keepdims=True))
    out = []
    for split in (train, valid):
        out.append([np.divide(np.subtract(s, mean), std) for s in split])
    return tuple(out)
'''],
    'pad_collate_solution': ['''
from torch.nn.utils.rnn import pad_sequence

def pad_collate(batch):
    x = pad_sequence([s.T for s, _ in batch], batch_first=True).transpose(1, 2)  # pads time, then channels first
    lengths = torch.tensor([s.shape[-1] for s, _ in batch])
    mask = torch.arange(x.shape[-1])[None] < lengths[:, None]
    return x, mask, torch.tensor([int(label) for _, label in batch])
''', '''
import torch.nn.functional as F

def pad_collate(batch):
    longest = max(s.shape[1] for s, _ in batch)
    x = torch.stack([F.pad(s, (0, longest - s.shape[1])) for s, _ in batch])
    mask = torch.stack([torch.arange(longest) < s.shape[1] for s, _ in batch])
    y = torch.stack([label for _, label in batch]).long()
    return x, mask, y
'''],
    'conv_lstm_solution': ['''
class ConvLSTMClassifier(nn.Module):
    "Packed LSTM, classified from its final hidden state (the last real step of each series)."
    def __init__(self, c_in, n_out, conv_channels=64, hidden=64, kernel_size=5):
        super().__init__()
        self.features = nn.Sequential(nn.Conv1d(c_in, conv_channels, kernel_size, padding="same"),
                                      nn.BatchNorm1d(conv_channels), nn.ReLU())
        self.lstm = nn.LSTM(conv_channels, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x, mask=None):
        if mask is not None:
            x = x * mask[:, None]
        h = self.features(x)
        lengths = torch.full((x.shape[0],), x.shape[-1]) if mask is None else mask.sum(1).cpu()
        packed = pack_padded_sequence(h.transpose(1, 2), lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return self.head(h_n[-1])
''', '''
class ConvLSTMClassifier(nn.Module):
    "No packing: the LSTM reads forward, so its outputs at real steps never see the padding after them."
    def __init__(self, c_in, n_out, conv_channels=64, hidden=64, kernel_size=5):
        super().__init__()
        self.conv = nn.Conv1d(c_in, conv_channels, kernel_size, padding=kernel_size // 2)
        self.norm = nn.BatchNorm1d(conv_channels)
        self.rnn = nn.LSTM(input_size=conv_channels, hidden_size=hidden, batch_first=False)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x, mask=None):
        keep = torch.ones_like(x[:, 0]) if mask is None else mask.to(x.dtype)
        h = torch.relu(self.norm(self.conv(x * keep[:, None]))) * keep[:, None]
        seq, _ = self.rnn(h.permute(2, 0, 1))                     # (length, n, hidden)
        summed = (seq * keep.T[..., None]).sum(0)
        return self.out(summed / keep.sum(1, keepdim=True))
''', '''
class ConvLSTMClassifier(nn.Module):
    "The output at each series' own last real step, picked with gather."
    def __init__(self, c_in, n_out, conv_channels=64, hidden=64, kernel_size=5):
        super().__init__()
        self.encoder = nn.ModuleList([nn.Conv1d(c_in, conv_channels, kernel_size, padding=kernel_size // 2,
                                                bias=False), nn.BatchNorm1d(conv_channels)])
        self.lstm = nn.LSTM(conv_channels, hidden, num_layers=1, batch_first=True)
        self.fc = nn.Sequential(nn.Dropout(0.1), nn.Linear(hidden, n_out))

    def forward(self, x, mask=None):
        if mask is None:
            mask = x.new_ones(x.shape[0], x.shape[-1], dtype=torch.bool)
        conv, bn = self.encoder
        h = torch.relu(bn(conv(x.masked_fill(~mask[:, None], 0.0))))
        out, _ = self.lstm(h.masked_fill(~mask[:, None], 0.0).transpose(1, 2))
        last = (mask.sum(1) - 1).view(-1, 1, 1).expand(-1, 1, out.shape[-1])
        return self.fc(out.gather(1, last).squeeze(1))
'''],
}
