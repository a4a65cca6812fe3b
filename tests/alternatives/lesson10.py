"""Correct solutions to exercise 10 written differently from solutions/: each must keep full marks."""

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'replace_rep_solution': [r'''
from itertools import groupby

def replace_rep(t):
    out = []
    for c, run in groupby(t):
        n = len(list(run))
        out.append(f" {TK_REP} {n} {c} " if n >= 3 and not c.isspace() else c * n)
    return "".join(out)
''', r'''
def replace_rep(t):
    out, i = [], 0
    while i < len(t):
        j = i
        while j < len(t) and t[j] == t[i]:
            j += 1
        n = j - i
        out.append(f" {TK_REP} {n} {t[i]} " if n > 2 and not t[i].isspace() else t[i:j])
        i = j
    return "".join(out)
''', r'''
def replace_rep(t):
    return re.sub(r"(\S)\1\1+", lambda m: f" {TK_REP} {len(m.group(0))} {m.group(1)} ", t)
'''],
    'replace_wrep_solution': [r'''
def replace_wrep(t):
    def _sub(m):
        word, copies, after = m.groups()  # copies: each later copy with the whitespace before it
        return f" {TK_WREP} {len(copies.split()) + 1} {word} {after}"
    return re.sub(r"(?:\s|^)(\w+)((?:\s+\1){2,})(\W|$)", _sub, t)
''', r'''
def replace_wrep(t):
    """A scanner written from the statement, without regular expressions."""
    def is_word(c):
        return c.isalnum() or c == "_"

    def run_at(i):
        j = i
        if t[j].isspace():
            j += 1              # the whitespace character before the run belongs to it
        elif i != 0:
            return None         # a run starts the text or follows whitespace
        k = j
        while k < len(t) and is_word(t[k]):
            k += 1
        if k == j:
            return None
        word, n, pos = t[j:k], 1, k
        while True:
            p = pos
            while p < len(t) and t[p].isspace():
                p += 1
            q = p + len(word)
            if p == pos or t[p:q] != word or (q < len(t) and is_word(t[q])):
                break
            n, pos = n + 1, q
        if n < 3 or (pos < len(t) and is_word(t[pos])):
            return None
        after = t[pos] if pos < len(t) else ""
        return f" {TK_WREP} {n} {word} {after}", pos + len(after)

    out, i = [], 0
    while i < len(t):
        found = run_at(i)
        if found:
            out.append(found[0])
            i = found[1]
        else:
            out.append(t[i])
            i += 1
    return "".join(out)
'''],
    'replace_all_caps_solution': [r'''
def replace_all_caps(t):
    def fix(w):
        if not ("A" <= w[0] <= "Z") or any("a" <= c <= "z" for c in w):
            return w
        return f"{TK_UP} {w.lower()}" if len(w) >= 2 else w.lower()
    return "".join(p if not p or p.isspace() else fix(p) for p in re.split(r"(\s+)", t))
''', r'''
def replace_all_caps(t):
    def _sub(m):
        w = m.group(0)
        return f"{TK_UP} {w.lower()}" if len(w) > 1 else w.lower()
    return re.sub(r"(?<!\S)[A-Z][^a-z\s]*(?!\S)", _sub, t)
'''],
    'replace_maj_solution': [r'''
def replace_maj(t):
    def fix(w):
        if not ("A" <= w[0] <= "Z") or any("A" <= c <= "Z" for c in w[1:]):
            return w
        return f"{TK_MAJ} {w.lower()}" if len(w) >= 2 else w.lower()
    return "".join(p if not p or p.isspace() else fix(p) for p in re.split(r"(\s+)", t))
''', r'''
def replace_maj(t):
    def _sub(m):
        w = m.group(0)
        return f"{TK_MAJ} {w.lower()}" if len(w) > 1 else w.lower()
    return re.sub(r"(?<!\S)[A-Z][^A-Z\s]*(?!\S)", _sub, t)
'''],
    'build_vocab_solution': [r'''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = {}
    for i in train_idx:
        for tok in docs[i]:
            counts[tok] = counts.get(tok, 0) + 1
    ranked = sorted(counts, key=lambda w: -counts[w])  # stable: ties keep first-seen order
    vocab = [*SPECIAL_TOKENS]
    for w in ranked:
        if counts[w] >= min_freq and w not in SPECIAL_TOKENS:
            vocab.append(w)
    vocab = vocab[:max_vocab]
    while len(vocab) % 8:
        vocab.append("xxfake")
    return vocab
''', r'''
from itertools import islice

def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter()
    for i in train_idx:
        counts.update(docs[i])
    special = set(SPECIAL_TOKENS)
    words = (w for w, c in counts.most_common() if c >= min_freq and w not in special)
    vocab = list(SPECIAL_TOKENS)[:max_vocab]
    vocab.extend(islice(words, max(max_vocab - len(vocab), 0)))
    return vocab + ["xxfake"] * ((8 - len(vocab) % 8) % 8)
'''],
    'sorted_pad_collate_solution': [r'''
def sorted_pad_collate(samples, pad_idx=1):
    samples = sorted(samples, key=lambda s: len(s[0]), reverse=True)  # reverse=True keeps ties stable
    longest = len(samples[0][0])
    x = torch.stack([torch.nn.functional.pad(ids, (longest - len(ids), 0), value=pad_idx) for ids, _ in samples])
    return x.long(), torch.LongTensor([label for _, label in samples])
''', r'''
from torch.nn.utils.rnn import pad_sequence

def sorted_pad_collate(samples, pad_idx=1):
    order = sorted(range(len(samples)), key=lambda i: -len(samples[i][0]))
    flipped = [samples[i][0].flip(0) for i in order]
    x = pad_sequence(flipped, batch_first=True, padding_value=pad_idx).flip(1)
    y = torch.as_tensor([samples[i][1] for i in order], dtype=torch.long)
    return (x, y)
'''],
    'text_lstm_solution': [r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.lstm = nn.LSTM(emb_sz, n_hid, batch_first=True)
        self.out = nn.Linear(n_hid, n_out)

    def forward(self, x):
        _, (h, _) = self.lstm(self.embedding(x))
        return self.out(h[-1])  # one layer, one direction: the last hidden state is the last step's output
''', r'''
class TextLSTM(nn.Module):
    def __init__(self, vocab_sz, n_out, emb_sz=32, n_hid=64, pad_idx=1):
        super().__init__()
        self.layers = nn.ModuleDict({
            "emb": nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx),
            "rnn": nn.LSTM(input_size=emb_sz, hidden_size=n_hid, num_layers=1, batch_first=True),
            "head": nn.Linear(n_hid, n_out),
        })
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        seq, _ = self.layers["rnn"](self.layers["emb"](x))
        last = seq[:, x.shape[1] - 1, :]
        return self.layers["head"](self.drop(last))
'''],
}
