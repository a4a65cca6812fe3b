"""Lesson 10 (course/10_text.ipynb, exercises/10_text/):
Recurrent text models: a plain LSTM classifier, and AWD-LSTM with a language-model head or a classifier head."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

__all__ = ["TextLSTM", "NGramBag", "ngram_ids", "nb_log_count_ratios", "EmbeddingDropout", "RNNDropout", "WeightDropout", "AWD_LSTM", "LinearDecoder",
           "PoolingLinearClassifier", "SequentialRNN", "masked_concat_pool", "awd_lstm_lm_config",
           "awd_lstm_clas_config", "get_language_model", "get_text_classifier", "awd_lstm_lm_split",
           "awd_lstm_clas_split"]


class TextLSTM(nn.Module):
    """Embedding -> LSTM -> linear on the last time step. Expects left-padded batches (the last step is a token)."""

    def __init__(self, vocab_sz: int, n_out: int, emb_sz: int = 64, n_hid: int = 128, pad_idx: int = 1,
                 n_layers: int = 1, dropout: float = 0.2):
        super().__init__()
        self.emb = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.rnn = nn.LSTM(emb_sz, n_hid, n_layers, batch_first=True, dropout=dropout if n_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(n_hid, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.emb(x))
        return self.head(self.drop(out[:, -1]))


_HASH_PRIME = 1_000_003  # mixes the ids of an n-gram's words into one number before it is cut to n_buckets


def ngram_ids(x: torch.Tensor, vocab_sz: int, ngrams: int = 2, n_buckets: int = 2**18,
              pad_idx: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The n-grams of a batch of token ids `(bs, seq)` as ids `(bs, n)` plus a mask of the ones to count.

    Single words keep their vocab id; an n-gram of 2 or more words is hashed into `n_buckets` ids after the vocab
    (the hashing trick: no n-gram vocabulary to build, rare collisions). N-grams touching padding are masked out,
    and so are repeats, so each n-gram counts once per document (presence, not frequency)."""
    x = x.as_subclass(torch.Tensor) if type(x) is not torch.Tensor else x
    real = x != pad_idx
    ids, keep = [x], [real]
    for n in range(2, ngrams + 1):
        width = x.shape[1] - n + 1
        if width <= 0:
            break
        h, ok = x[:, :width].clone(), real[:, :width].clone()
        for k in range(1, n):
            h = h * _HASH_PRIME + x[:, k:k + width]
            ok &= real[:, k:k + width]
        ids.append(vocab_sz + h.remainder(n_buckets))
        keep.append(ok)
    ids, keep = torch.cat(ids, 1), torch.cat(keep, 1)
    # dedupe inside each document: sort, then keep the first of each run of equal ids
    ids, _ = torch.where(keep, ids, torch.full_like(ids, -1)).sort(1)
    first = torch.ones_like(keep)
    first[:, 1:] = ids[:, 1:] != ids[:, :-1]
    return ids.clamp_min(0), first & (ids >= 0)


class NGramBag(nn.Module):
    """A bag of n-grams: every word and hashed word pair present in a document votes for each class with one learnt
    weight, optionally scaled by a fixed Naive Bayes log-count ratio (NBSVM, Wang & Manning 2012). Order beyond
    the n-gram is ignored, which on small data is a strength: there is far less to learn than in an LSTM."""

    def __init__(self, vocab_sz: int, n_out: int, ngrams: int = 2, n_buckets: int = 2**18, pad_idx: int = 1,
                 drop_p: float = 0.0):
        super().__init__()
        self.vocab_sz, self.ngrams, self.n_buckets, self.pad_idx = vocab_sz, ngrams, n_buckets, pad_idx
        self.drop_p = drop_p
        n_ids = vocab_sz + (n_buckets if ngrams > 1 else 0)
        self.weight = nn.Embedding(n_ids, n_out)
        nn.init.zeros_(self.weight.weight)  # a linear model: zero is a fine start, every class begins equal
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.register_buffer("scale", torch.ones(n_ids, n_out))  # the NB ratios, once set_nb_ratios is called

    def ngram_ids(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`ngram_ids` with this model's settings."""
        return ngram_ids(x, self.vocab_sz, self.ngrams, self.n_buckets, self.pad_idx)

    def set_nb_ratios(self, ratios: torch.Tensor) -> "NGramBag":
        """Scale each n-gram's vote by fixed ratios `(n_ids, n_out)` (see `nb_log_count_ratios`)."""
        if ratios.shape != self.scale.shape:
            raise ValueError(f"ratios must have shape {tuple(self.scale.shape)}, got {tuple(ratios.shape)}")
        self.scale.copy_(ratios)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids, keep = self.ngram_ids(x)
        if self.training and self.drop_p:  # forget random n-grams: no single phrase can carry a review
            keep = keep & (torch.rand(keep.shape, device=keep.device) >= self.drop_p)
        votes = self.weight(ids) * self.scale[ids]
        return (votes * keep.unsqueeze(-1)).sum(1) + self.bias


def nb_log_count_ratios(model: NGramBag, dl, alpha: float = 1.0) -> torch.Tensor:
    """For every n-gram and class c: log of (its share among documents of class c) / (its share among the others).

    Counted on `dl` (the training set: the ratios must never see validation labels), each n-gram once per document,
    with `alpha` added to every count so unseen n-grams get a ratio near 0 instead of infinity."""
    counts = None
    for xb, yb in dl:
        ids, keep = model.ngram_ids(xb.cpu())
        if counts is None:
            counts = torch.zeros(model.scale.shape[1], model.scale.shape[0])
        cls = torch.as_tensor(yb).as_subclass(torch.Tensor).cpu().reshape(-1, 1).expand_as(ids)
        counts.index_put_((cls[keep], ids[keep]), torch.ones(int(keep.sum())), accumulate=True)
    if counts is None:
        raise ValueError("nb_log_count_ratios got an empty loader: it needs the training documents.")
    counts += alpha
    rest = counts.sum(0, keepdim=True) - counts - (counts.shape[0] - 2) * alpha  # the others, with alpha once
    share = counts / counts.sum(1, keepdim=True)
    share_rest = rest / rest.sum(1, keepdim=True)
    return torch.log(share / share_rest).T.contiguous()


def _dropout_mask(x: torch.Tensor, shape: tuple, p: float) -> torch.Tensor:
    """A mask of `shape` with zeros (probability p) and 1/(1-p) elsewhere, so expectations are unchanged."""
    return x.new_empty(shape).bernoulli_(1 - p).div_(1 - p)


class RNNDropout(nn.Module):
    """Dropout with one mask per sequence, reused at every time step (inputs are batch-first: bs, seq, features)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return x * _dropout_mask(x, (x.size(0), 1, x.size(2)), self.p)


class EmbeddingDropout(nn.Module):
    """An embedding that drops whole words (rows of the embedding matrix) at training time."""

    def __init__(self, emb: nn.Embedding, p: float):
        super().__init__()
        self.emb, self.p = emb, p

    def forward(self, words: torch.Tensor) -> torch.Tensor:
        w = self.emb.weight
        if self.training and self.p:
            w = w * _dropout_mask(w, (w.size(0), 1), self.p)  # a dropped word is zero everywhere it appears
        return F.embedding(words, w, self.emb.padding_idx)


class WeightDropout(nn.Module):
    """Wrap an nn.LSTM and apply dropout to its hidden-to-hidden weights (DropConnect), a fresh mask per batch."""

    def __init__(self, module: nn.LSTM, p: float, names: tuple = ("weight_hh_l0",)):
        super().__init__()
        self.module, self.p, self.names = module, p, names

    def forward(self, *args):
        if not self.training or self.p == 0.0:
            return self.module(*args)
        # functional_call runs the LSTM with dropped copies of the weights; the parameters themselves stay intact
        dropped = {n: F.dropout(getattr(self.module, n), self.p, training=True) for n in self.names}
        return functional_call(self.module, dropped, args)


class AWD_LSTM(nn.Module):
    """AWD-LSTM encoder: dropped embedding -> n_layers LSTMs with weight, input and hidden dropout.

    Returns the last layer's outputs (bs, seq, emb_sz). With `stateful` (language modelling) the hidden state
    carries over from one batch to the next (detached); call `reset()` between unrelated streams."""

    def __init__(self, vocab_sz: int, emb_sz: int = 400, n_hid: int = 1152, n_layers: int = 3, pad_idx: int = 1,
                 hidden_p: float = 0.3, input_p: float = 0.4, embed_p: float = 0.05, weight_p: float = 0.5,
                 stateful: bool = True):
        super().__init__()
        self.emb_sz, self.n_hid, self.n_layers, self.stateful = emb_sz, n_hid, n_layers, stateful
        self.encoder = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_idx)
        self.encoder.weight.data.uniform_(-0.1, 0.1)
        self.encoder_dp = EmbeddingDropout(self.encoder, embed_p)
        sizes = [emb_sz] + [n_hid] * (n_layers - 1) + [emb_sz]  # the last layer outputs emb_sz so weights can tie
        self.rnns = nn.ModuleList([WeightDropout(nn.LSTM(sizes[i], sizes[i + 1], batch_first=True), weight_p)
                                   for i in range(n_layers)])
        self.input_dp = RNNDropout(input_p)
        self.hidden_dps = nn.ModuleList([RNNDropout(hidden_p) for _ in range(n_layers)])
        self.hidden = None

    def reset(self) -> None:
        """Forget the hidden state."""
        self.hidden = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.as_subclass(torch.Tensor) if type(x) is not torch.Tensor else x
        bs = x.size(0)
        if not self.stateful or self.hidden is None or self.hidden[0][0].size(1) != bs:
            hidden = [None] * self.n_layers
        else:
            hidden = self.hidden
        out = self.input_dp(self.encoder_dp(x))
        new_hidden = []
        for i, (rnn, hdp) in enumerate(zip(self.rnns, self.hidden_dps)):
            out, h = rnn(out) if hidden[i] is None else rnn(out, hidden[i])
            new_hidden.append(tuple(t.detach() for t in h))  # truncated backprop through time
            out = hdp(out)  # the last layer's dropout is the "output" dropout
        self.hidden = new_hidden if self.stateful else None
        return out


class LinearDecoder(nn.Module):
    """Language-model head: dropout then a linear layer to vocabulary logits, optionally tied to the embedding."""

    def __init__(self, n_out: int, emb_sz: int, output_p: float = 0.1, tie_encoder: nn.Embedding | None = None):
        super().__init__()
        self.output_dp = RNNDropout(output_p)
        self.decoder = nn.Linear(emb_sz, n_out)
        self.decoder.weight.data.uniform_(-0.1, 0.1)
        self.decoder.bias.data.zero_()
        if tie_encoder is not None:
            self.decoder.weight = tie_encoder.weight  # one matrix for reading and writing words

    def forward(self, out: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.output_dp(out))


def masked_concat_pool(out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """[last, max, mean] over time of `out` (bs, seq, n), ignoring positions where `mask` (bs, seq) is True.

    Expects left padding, so the last position is a real token."""
    lens = (~mask).sum(1, keepdim=True).clamp(min=1).float()
    m = mask.unsqueeze(-1)
    avg = out.masked_fill(m, 0.0).sum(1) / lens
    mx = out.masked_fill(m, -float("inf")).max(1).values
    mx = torch.where(torch.isinf(mx), torch.zeros_like(mx), mx)  # all-padding rows: no -inf downstream
    return torch.cat([out[:, -1], mx, avg], 1)


class PoolingLinearClassifier(nn.Module):
    """Classifier head: concat-pool the encoder outputs, then (BatchNorm, Dropout, Linear, ReLU) blocks."""

    def __init__(self, n_in: int, n_out: int, lin_ftrs: tuple = (50,), ps: tuple = (0.4, 0.1)):
        super().__init__()
        sizes = [3 * n_in, *lin_ftrs, n_out]
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers += [nn.BatchNorm1d(a), nn.Dropout(ps[i]), nn.Linear(a, b)]
            if i < len(sizes) - 2:
                layers.append(nn.ReLU(inplace=True))
        self.layers = nn.Sequential(*layers)

    def forward(self, out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.layers(masked_concat_pool(out, mask))


class SequentialRNN(nn.Module):
    """An encoder followed by a head; `reset()` resets the encoder's hidden state."""

    def __init__(self, encoder: AWD_LSTM, head: nn.Module, pad_idx: int = 1, max_len: int | None = None):
        super().__init__()
        self.encoder, self.head, self.pad_idx, self.max_len = encoder, head, pad_idx, max_len

    def reset(self) -> None:
        self.encoder.reset()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if isinstance(self.head, PoolingLinearClassifier):
            if self.max_len is not None and x.size(1) > self.max_len:
                x = x[:, -self.max_len:]  # keep the end of long documents (left padding keeps tokens there)
            self.encoder.reset()  # each document stands alone
            out = self.encoder(x)
            return self.head(out, x == self.pad_idx)
        return self.head(self.encoder(x))


def awd_lstm_lm_config(**kw) -> dict:
    """AWD-LSTM settings for language models (fastai's defaults); override any with keywords."""
    return {**dict(emb_sz=400, n_hid=1152, n_layers=3, pad_idx=1, hidden_p=0.15, input_p=0.25, embed_p=0.02,
                   weight_p=0.2, output_p=0.1), **kw}


def awd_lstm_clas_config(**kw) -> dict:
    """AWD-LSTM settings for classifiers (fastai's defaults); override any with keywords."""
    return {**dict(emb_sz=400, n_hid=1152, n_layers=3, pad_idx=1, hidden_p=0.3, input_p=0.4, embed_p=0.05,
                   weight_p=0.5), **kw}


_DROPS = ("hidden_p", "input_p", "embed_p", "weight_p", "output_p")


def _scaled(config: dict, drop_mult: float) -> dict:
    return {k: (v * drop_mult if k in _DROPS else v) for k, v in config.items()}


def get_language_model(vocab_sz: int, config: dict | None = None, drop_mult: float = 1.0) -> SequentialRNN:
    """AWD-LSTM encoder + tied linear decoder; every dropout scaled by `drop_mult`."""
    cfg = _scaled(awd_lstm_lm_config() if config is None else config, drop_mult)
    output_p = cfg.pop("output_p", 0.1)
    enc = AWD_LSTM(vocab_sz, **cfg, stateful=True)
    return SequentialRNN(enc, LinearDecoder(vocab_sz, cfg["emb_sz"], output_p, tie_encoder=enc.encoder),
                         pad_idx=cfg.get("pad_idx", 1))


def get_text_classifier(vocab_sz: int, n_class: int, config: dict | None = None, drop_mult: float = 1.0,
                        lin_ftrs: tuple = (50,), ps: tuple = (0.4, 0.1), max_len: int | None = 1440) -> SequentialRNN:
    """AWD-LSTM encoder + pooling classifier head; documents longer than `max_len` tokens keep their end."""
    cfg = _scaled(awd_lstm_clas_config() if config is None else config, drop_mult)
    cfg.pop("output_p", None)
    enc = AWD_LSTM(vocab_sz, **cfg, stateful=False)
    head = PoolingLinearClassifier(cfg["emb_sz"], n_class, lin_ftrs, tuple(p * drop_mult for p in ps))
    return SequentialRNN(enc, head, pad_idx=cfg.get("pad_idx", 1), max_len=max_len)


def awd_lstm_lm_split(model: SequentialRNN) -> list[list[nn.Parameter]]:
    """Parameter groups for discriminative learning rates: each LSTM, then embedding + decoder."""
    groups = [list(r.parameters()) for r in model.encoder.rnns]
    seen = {id(p) for g in groups for p in g}
    last = [p for p in list(model.encoder.encoder.parameters()) + list(model.head.parameters()) if id(p) not in seen]
    return groups + [list(dict.fromkeys(last))]


def awd_lstm_clas_split(model: SequentialRNN) -> list[list[nn.Parameter]]:
    """Parameter groups: embedding, each LSTM, then the head (so freeze_to(-1) trains only the head)."""
    enc = model.encoder
    return [list(enc.encoder.parameters())] + [list(r.parameters()) for r in enc.rnns] + [list(model.head.parameters())]
