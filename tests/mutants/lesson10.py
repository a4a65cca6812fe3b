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
    # ---- replace_rep: new kinds (whitespace, spacing, character classes) ----
    Mutant("xxrep also replaces runs of whitespace", "replace_rep_solution", r'''
def replace_rep(t):
    return re.sub(r"(.)(\1{2,})", lambda m: f" {TK_REP} {len(m.group(2)) + 1} {m.group(1)} ", t, flags=re.S)
''', "`(.)` also matches spaces, tabs and newlines: three spaces become a token"),
    Mutant("xxrep without spaces around it", "replace_rep_solution", r'''
def replace_rep(t):
    return re.sub(r"(\S)(\1{2,})", lambda m: f"{TK_REP} {len(m.group(2)) + 1} {m.group(1)}", t)
'''),
    Mutant("xxrep per word, words joined by single spaces", "replace_rep_solution", r'''
def replace_rep(t):
    return " ".join(re.sub(r"(\S)(\1{2,})", lambda m: f" {TK_REP} {len(m.group(2)) + 1} {m.group(1)} ", w)
                    for w in t.split())
''', "split()/join loses double spaces, tabs, newlines and leading/trailing whitespace"),
    Mutant("xxrep only for letters", "replace_rep_solution", r'''
def replace_rep(t):
    return re.sub(r"([A-Za-z])(\1{2,})", lambda m: f" {TK_REP} {len(m.group(2)) + 1} {m.group(1)} ", t)
''', "`!!!` and `1111` are repeated characters too"),
    # ---- replace_wrep ----
    Mutant("xxwrep from two copies on", "replace_wrep_solution", r'''
def replace_wrep(t):
    def _sub(m):
        word, middle, end = m.groups()
        return f" {TK_WREP} {len(middle.split()) + 2} {word} {end}"
    return re.sub(r"(?:\s|^)(\w+)\s+((?:\1\s+)*)\1(\s|\W|$)", _sub, t)
'''),
    Mutant("xxwrep ignores case", "replace_wrep_solution", r'''
def replace_wrep(t):
    def _sub(m):
        word, middle, end = m.groups()
        return f" {TK_WREP} {len(middle.split()) + 2} {word} {end}"
    return re.sub(r"(?:\s|^)(\w+)\s+((?:\1\s+)+)\1(\s|\W|$)", _sub, t, flags=re.I)
'''),
    Mutant("xxwrep drops the character after the run", "replace_wrep_solution", r'''
def replace_wrep(t):
    def _sub(m):
        word, middle, end = m.groups()
        return f" {TK_WREP} {len(middle.split()) + 2} {word} "
    return re.sub(r"(?:\s|^)(\w+)\s+((?:\1\s+)+)\1(\s|\W|$)", _sub, t)
'''),
    Mutant("xxwrep only for words of letters", "replace_wrep_solution", r'''
def replace_wrep(t):
    def _sub(m):
        word, middle, end = m.groups()
        return f" {TK_WREP} {len(middle.split()) + 2} {word} {end}"
    return re.sub(r"(?:\s|^)([A-Za-z]+)\s+((?:\1\s+)+)\1(\s|\W|$)", _sub, t)
''', "digits, `_` and accented letters are word characters too (`1 1 1`, `café café café`)"),
    Mutant("xxwrep copies separated by spaces only", "replace_wrep_solution", r'''
def replace_wrep(t):
    def _sub(m):
        word, middle, end = m.groups()
        return f" {TK_WREP} {len(middle.split()) + 2} {word} {end}"
    return re.sub(r"(?:\s|^)(\w+) +((?:\1 +)+)\1(\s|\W|$)", _sub, t)
''', "tabs and newlines separate copies too"),
    # ---- replace_all_caps ----
    Mutant("xxup counts letters, not characters", "replace_all_caps_solution", r'''
def replace_all_caps(t):
    def _sub(m):
        before, word = m.group(1), m.group(2)
        letters = sum(c.isalpha() for c in word)
        return f"{before}{TK_UP} {word.lower()}" if letters > 1 else f"{before}{word.lower()}"
    return re.sub(r"(\s|^)([A-Z]+[^a-z\s]*)(?=(\s|$))", _sub, t)
''', "the ambiguous reading of 'longer than one letter': A1, U2, A. lose their xxup"),
    Mutant("all caps on words split by single spaces", "replace_all_caps_solution", r'''
def replace_all_caps(t):
    out = []
    for w in t.split():
        if w[0].isupper() and not any(c.islower() for c in w):
            out.append(f"{TK_UP} {w.lower()}" if len(w) > 1 else w.lower())
        else:
            out.append(w)
    return " ".join(out)
''', "split()/join loses the whitespace"),
    Mutant("xxup keeps the word in capitals", "replace_all_caps_solution", r'''
def replace_all_caps(t):
    def _sub(m):
        before, word = m.group(1), m.group(2)
        return f"{before}{TK_UP} {word}" if len(word) > 1 else f"{before}{word}"
    return re.sub(r"(\s|^)([A-Z]+[^a-z\s]*)(?=(\s|$))", _sub, t)
'''),
    Mutant("xxup also inside words", "replace_all_caps_solution", r'''
def replace_all_caps(t):
    def _sub(m):
        word = m.group(1)
        return f"{TK_UP} {word.lower()}" if len(word) > 1 else word.lower()
    return re.sub(r"\b([A-Z][A-Z0-9']*)\b", _sub, t)
''', "word boundaries of \\b are not whitespace: `USA's` and `McDONALD` are not words in capitals"),
    # ---- replace_maj ----
    Mutant("xxmaj counts letters, not characters", "replace_maj_solution", r'''
def replace_maj(t):
    def _sub(m):
        before, word = m.group(1), m.group(2)
        letters = sum(c.isalpha() for c in word)
        return f"{before}{TK_MAJ} {word.lower()}" if letters > 1 else f"{before}{word.lower()}"
    return re.sub(r"(\s|^)([A-Z][^A-Z\s]*)(?=(\s|$))", _sub, t)
'''),
    Mutant("xxmaj only when the rest is lowercase letters", "replace_maj_solution", r'''
def replace_maj(t):
    def _sub(m):
        before, word = m.group(1), m.group(2)
        return f"{before}{TK_MAJ} {word.lower()}" if len(word) > 1 else f"{before}{word.lower()}"
    return re.sub(r"(\s|^)([A-Z][a-z]*)(?=(\s|$))", _sub, t)
''', "It's, Ok!, A1 are capitalized words too"),
    Mutant("maj on words split by spaces only", "replace_maj_solution", r'''
def replace_maj(t):
    out = []
    for w in t.split(" "):
        if w and "A" <= w[0] <= "Z" and not any("A" <= c <= "Z" for c in w[1:]):
            w = f"{TK_MAJ} {w.lower()}" if len(w) > 1 else w.lower()
        out.append(w)
    return " ".join(out)
''', "a tab or newline also separates words"),
    # ---- build_vocab ----
    Mutant("special tokens in the documents counted again", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    words = [w for w, c in counts.most_common() if c >= min_freq]
    vocab = (list(SPECIAL_TOKENS) + words)[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
''', "duplicates in the vocab"),
    Mutant("ties broken alphabetically", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    words = [w for w, c in ranked if c >= min_freq and w not in SPECIAL_TOKENS]
    vocab = (list(SPECIAL_TOKENS) + words)[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
'''),
    Mutant("training documents read in index order", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    train = set(train_idx)
    counts = Counter(tok for i, d in enumerate(docs) if i in train for tok in d)
    words = [w for w, c in counts.most_common() if c >= min_freq and w not in SPECIAL_TOKENS]
    vocab = (list(SPECIAL_TOKENS) + words)[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
''', "ties follow first appearance in the order train_idx lists the documents"),
    Mutant("min_freq as a strict bound", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    words = [w for w, c in counts.most_common() if c > min_freq and w not in SPECIAL_TOKENS]
    vocab = (list(SPECIAL_TOKENS) + words)[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
'''),
    Mutant("xxfake added even at a multiple of 8", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    words = [w for w, c in counts.most_common() if c >= min_freq and w not in SPECIAL_TOKENS]
    vocab = (list(SPECIAL_TOKENS) + words)[:max_vocab]
    return vocab + ["xxfake"] * (8 - len(vocab) % 8)
'''),
    Mutant("vocab returned as a tuple", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    words = tuple(w for w, c in counts.most_common() if c >= min_freq and w not in SPECIAL_TOKENS)
    vocab = (SPECIAL_TOKENS + words)[:max_vocab]
    return vocab + ("xxfake",) * (-len(vocab) % 8)
'''),
    Mutant("sorts train_idx in place", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    train_idx.sort()
    counts = Counter(tok for i in train_idx for tok in docs[i])
    words = [w for w, c in counts.most_common() if c >= min_freq and w not in SPECIAL_TOKENS]
    vocab = (list(SPECIAL_TOKENS) + words)[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
'''),
    Mutant("strips special tokens from the documents in place", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    for i in train_idx:
        docs[i][:] = [tok for tok in docs[i] if tok not in SPECIAL_TOKENS]
    counts = Counter(tok for i in train_idx for tok in docs[i])
    words = [w for w, c in counts.most_common() if c >= min_freq]
    vocab = (list(SPECIAL_TOKENS) + words)[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
'''),
    Mutant("counts kept between calls", "build_vocab_solution", r'''
_counts = Counter()

def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    _counts.update(tok for i in train_idx for tok in docs[i])
    words = [w for w, c in _counts.most_common() if c >= min_freq and w not in SPECIAL_TOKENS]
    vocab = (list(SPECIAL_TOKENS) + words)[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
'''),
    Mutant("extends the library's SPECIAL_TOKENS through an alias", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    vocab = SPECIAL_TOKENS
    vocab += [w for w, c in counts.most_common() if c >= min_freq and w not in vocab]
    vocab = vocab[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
''', "the shared-state leak: with a tuple constant it raises in the student's own line"),
    Mutant("max_vocab applied after the padding", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    words = [w for w, c in counts.most_common() if c >= min_freq and w not in SPECIAL_TOKENS]
    vocab = list(SPECIAL_TOKENS) + words
    vocab = vocab + ["xxfake"] * (-len(vocab) % 8)
    return vocab[:max_vocab]
'''),
    Mutant("min_freq defaults to 1", "build_vocab_solution", r'''
def build_vocab(docs, train_idx, min_freq=1, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    words = [w for w, c in counts.most_common() if c >= min_freq and w not in SPECIAL_TOKENS]
    vocab = (list(SPECIAL_TOKENS) + words)[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
'''),
    # ---- sorted_pad_collate ----
    Mutant("x built as floats", "sorted_pad_collate_solution", r'''
def sorted_pad_collate(samples, pad_idx=1):
    samples = sorted(samples, key=lambda s: -len(s[0]))
    longest = len(samples[0][0])
    x = torch.zeros(len(samples), longest) + pad_idx
    for i, (ids, _) in enumerate(samples):
        x[i, longest - len(ids):] = ids
    return x, torch.tensor([label for _, label in samples])
'''),
    Mutant("labels returned as a list", "sorted_pad_collate_solution", r'''
def sorted_pad_collate(samples, pad_idx=1):
    samples = sorted(samples, key=lambda s: -len(s[0]))
    longest = len(samples[0][0])
    x = torch.full((len(samples), longest), pad_idx, dtype=torch.long)
    for i, (ids, _) in enumerate(samples):
        x[i, longest - len(ids):] = ids
    return x, [label for _, label in samples]
'''),
    Mutant("labels as a float tensor", "sorted_pad_collate_solution", r'''
def sorted_pad_collate(samples, pad_idx=1):
    samples = sorted(samples, key=lambda s: -len(s[0]))
    longest = len(samples[0][0])
    x = torch.full((len(samples), longest), pad_idx, dtype=torch.long)
    for i, (ids, _) in enumerate(samples):
        x[i, longest - len(ids):] = ids
    return x, torch.Tensor([label for _, label in samples])
'''),
    Mutant("equal lengths reversed by the sort", "sorted_pad_collate_solution", r'''
def sorted_pad_collate(samples, pad_idx=1):
    samples = sorted(samples, key=lambda s: len(s[0]))[::-1]
    longest = len(samples[0][0])
    x = torch.full((len(samples), longest), pad_idx, dtype=torch.long)
    for i, (ids, _) in enumerate(samples):
        x[i, longest - len(ids):] = ids
    return x, torch.tensor([label for _, label in samples])
''', "a shortest-first sort reversed is not stable for ties"),
    Mutant("collate returns a list", "sorted_pad_collate_solution", r'''
def sorted_pad_collate(samples, pad_idx=1):
    samples = sorted(samples, key=lambda s: -len(s[0]))
    longest = len(samples[0][0])
    x = torch.full((len(samples), longest), pad_idx, dtype=torch.long)
    for i, (ids, _) in enumerate(samples):
        x[i, longest - len(ids):] = ids
    return [x, torch.tensor([label for _, label in samples])]
'''),
    Mutant("pads with zeros whatever pad_idx", "sorted_pad_collate_solution", r'''
def sorted_pad_collate(samples, pad_idx=1):
    samples = sorted(samples, key=lambda s: -len(s[0]))
    longest = len(samples[0][0])
    x = torch.zeros(len(samples), longest, dtype=torch.long)
    for i, (ids, _) in enumerate(samples):
        x[i, longest - len(ids):] = ids
    return x, torch.tensor([label for _, label in samples])
'''),
    Mutant("pad_idx defaults to 0", "sorted_pad_collate_solution", r'''
def sorted_pad_collate(samples, pad_idx=0):
    samples = sorted(samples, key=lambda s: -len(s[0]))
    longest = len(samples[0][0])
    x = torch.full((len(samples), longest), pad_idx, dtype=torch.long)
    for i, (ids, _) in enumerate(samples):
        x[i, longest - len(ids):] = ids
    return x, torch.tensor([label for _, label in samples])
'''),
    Mutant("x is (seq_len, bs)", "sorted_pad_collate_solution", r'''
def sorted_pad_collate(samples, pad_idx=1):
    samples = sorted(samples, key=lambda s: -len(s[0]))
    longest = len(samples[0][0])
    x = torch.full((len(samples), longest), pad_idx, dtype=torch.long)
    for i, (ids, _) in enumerate(samples):
        x[i, longest - len(ids):] = ids
    return x.t(), torch.tensor([label for _, label in samples])
'''),
    # ---- TextLSTM: structure, forward pass and training ----
    Mutant("classifier reads the mean over time", "text_lstm_solution", r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.LSTM(emb_sz, n_hid, batch_first=True)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out.mean(1))
''', "learns well, but not the prescribed architecture: caught by the forward comparison, not by accuracy"),
    Mutant("sizes fixed instead of the arguments", "text_lstm_solution", r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, 32, padding_idx=1)
        self.rnn = nn.LSTM(32, 64, batch_first=True)
        self.head = nn.Linear(64, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out[:, -1])
'''),
    Mutant("embedding without padding_idx", "text_lstm_solution", r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz)
        self.rnn = nn.LSTM(emb_sz, n_hid, batch_first=True)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out[:, -1])
'''),
    Mutant("a GRU instead of an LSTM", "text_lstm_solution", r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.GRU(emb_sz, n_hid, batch_first=True)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out[:, -1])
'''),
    Mutant("bidirectional LSTM", "text_lstm_solution", r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.LSTM(emb_sz, n_hid, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out[:, -1])
'''),
    Mutant("softmax on the output", "text_lstm_solution", r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.LSTM(emb_sz, n_hid, batch_first=True)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return torch.softmax(self.head(out[:, -1]), dim=-1)
'''),
    Mutant("an extra hidden layer in the head", "text_lstm_solution", r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.LSTM(emb_sz, n_hid, batch_first=True)
        self.hidden = nn.Linear(n_hid, n_hid)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(torch.relu(self.hidden(out[:, -1])))
'''),
    Mutant("LSTM output detached from the graph", "text_lstm_solution", r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.LSTM(emb_sz, n_hid, batch_first=True)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out[:, -1].detach())
''', "the right computation, but only the last layer learns: caught by accuracy on fresh reviews"),
    Mutant("two stacked LSTM layers", "text_lstm_solution", r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.LSTM(emb_sz, n_hid, num_layers=2, batch_first=True)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out[:, -1])
'''),
    Mutant("keeps the time axis", "text_lstm_solution", r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.LSTM(emb_sz, n_hid, batch_first=True)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out[:, -1:])
'''),
]
