"""Plausible wrong implementations for exercise 10 (text): each must fail at least one check."""
from tests.mutants import Mutant

MUTANTS = [
    Mutant("xxrep counts only the copies", "replace_rep_solution", '''
def replace_rep(t):
    return re.sub(r"(\\S)(\\1{2,})", lambda m: f" {TK_REP} {len(m.group(2))} {m.group(1)} ", t)
''', "n must be the total count: `soooo` is 4 o's"),
    Mutant("xxrep from two characters on", "replace_rep_solution", '''
def replace_rep(t):
    return re.sub(r"(\\S)(\\1+)", lambda m: f" {TK_REP} {len(m.group(2)) + 1} {m.group(1)} ", t)
'''),
    Mutant("xxwrep counts one copy too few", "replace_wrep_solution", '''
def replace_wrep(t):
    def _sub(m):
        word, middle, end = m.groups()
        return f" {TK_WREP} {len(middle.split()) + 1} {word} {end}"
    return re.sub(r"(?:\\s|^)(\\w+)\\s+((?:\\1\\s+)+)\\1(\\s|\\W|$)", _sub, t)
'''),
    Mutant("xxup on one-letter words", "replace_all_caps_solution", '''
def replace_all_caps(t):
    return re.sub(r"(\\s|^)([A-Z]+[^a-z\\s]*)(?=(\\s|$))", lambda m: f"{m.group(1)}{TK_UP} {m.group(2).lower()}", t)
'''),
    Mutant("all caps means letters only", "replace_all_caps_solution", '''
def replace_all_caps(t):
    def _sub(m):
        before, word = m.group(1), m.group(2)
        return f"{before}{TK_UP} {word.lower()}" if len(word) > 1 else f"{before}{word.lower()}"
    return re.sub(r"(\\s|^)([A-Z]+)(?=(\\s|$))", _sub, t)
'''),
    Mutant("xxmaj on one-letter words", "replace_maj_solution", '''
def replace_maj(t):
    return re.sub(r"(\\s|^)([A-Z][^A-Z\\s]*)(?=(\\s|$))", lambda m: f"{m.group(1)}{TK_MAJ} {m.group(2).lower()}", t)
'''),
    Mutant("xxmaj on any word starting with a capital", "replace_maj_solution", '''
def replace_maj(t):
    def _sub(m):
        before, word = m.group(1), m.group(2)
        return f"{before}{TK_MAJ} {word.lower()}" if len(word) > 1 else f"{before}{word.lower()}"
    return re.sub(r"(\\s|^)([A-Z]\\S*)(?=(\\s|$))", _sub, t)
'''),
    Mutant("vocab built including validation text", "build_vocab_solution", '''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for d in docs for tok in d)
    words = [w for w, c in counts.most_common() if c >= min_freq and w not in SPECIAL_TOKENS]
    vocab = (list(SPECIAL_TOKENS) + words)[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
'''),
    Mutant("vocab not padded to a multiple of 8", "build_vocab_solution", '''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    words = [w for w, c in counts.most_common() if c >= min_freq and w not in SPECIAL_TOKENS]
    return (list(SPECIAL_TOKENS) + words)[:max_vocab]
'''),
    Mutant("max_vocab applied to the words only", "build_vocab_solution", '''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    words = [w for w, c in counts.most_common(max_vocab) if c >= min_freq and w not in SPECIAL_TOKENS]
    vocab = list(SPECIAL_TOKENS) + words
    return vocab + ["xxfake"] * (-len(vocab) % 8)
'''),
    Mutant("padding on the wrong side for the model used", "sorted_pad_collate_solution", '''
def sorted_pad_collate(samples, pad_idx=1):
    samples = sorted(samples, key=lambda s: -len(s[0]))
    x = torch.full((len(samples), len(samples[0][0])), pad_idx, dtype=torch.long)
    for i, (ids, _) in enumerate(samples):
        x[i, :len(ids)] = ids
    return x, torch.tensor([label for _, label in samples])
'''),
    Mutant("collate does not sort", "sorted_pad_collate_solution", '''
def sorted_pad_collate(samples, pad_idx=1):
    longest = max(len(s[0]) for s in samples)
    x = torch.full((len(samples), longest), pad_idx, dtype=torch.long)
    for i, (ids, _) in enumerate(samples):
        x[i, longest - len(ids):] = ids
    return x, torch.tensor([label for _, label in samples])
'''),
    Mutant("labels left in the original order", "sorted_pad_collate_solution", '''
def sorted_pad_collate(samples, pad_idx=1):
    labels = torch.tensor([label for _, label in samples])
    samples = sorted(samples, key=lambda s: -len(s[0]))
    longest = len(samples[0][0])
    x = torch.full((len(samples), longest), pad_idx, dtype=torch.long)
    for i, (ids, _) in enumerate(samples):
        x[i, longest - len(ids):] = ids
    return x, labels
'''),
    Mutant("classifier reads the first time step", "text_lstm_solution", '''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.LSTM(emb_sz, n_hid, batch_first=True)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out[:, 0])
'''),
    Mutant("LSTM without batch_first", "text_lstm_solution", '''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.LSTM(emb_sz, n_hid)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out[:, -1])
'''),
]
