"""Lesson 10 (course/10_text.ipynb): text learners: AWD-LSTM language model and classifier (encoder transfer,
gradual unfreezing), a plain LSTM, and a bag of n-grams with Naive Bayes scaling; predict from a raw string."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..data import CrossEntropyLossFlat
from ..training import Callback, Learner, accuracy
from ..training.checkpoint import atomic_save, load_weights, read_checkpoint
from .models import (NGramBag, TextLSTM, awd_lstm_clas_config, nb_log_count_ratios, awd_lstm_clas_split, awd_lstm_lm_config,
                     awd_lstm_lm_split, get_language_model, get_text_classifier)

__all__ = ["ModelResetter", "TextLearner", "language_model_learner", "text_classifier_learner", "lstm_learner",
           "ngram_learner"]

TEXT_MOMS = (0.8, 0.7, 0.8)  # fastai's momentum cycle for text models


class ModelResetter(Callback):
    """Forget the recurrent state at the start of training, of validation and after fitting."""

    def before_train(self) -> None:
        self._reset()

    def before_validate(self) -> None:
        self._reset()

    def after_fit(self) -> None:
        self._reset()

    def _reset(self) -> None:
        if hasattr(self.learn.model, "reset"):
            self.learn.model.reset()


class TextLearner(Learner):
    """A Learner for text: saves/loads the encoder, predicts from a raw string, shows results as a table."""

    def save_encoder(self, file: str | Path) -> Path:
        """Save the AWD-LSTM encoder's weights (e.g. after language-model fine-tuning)."""
        path = self._file(file)
        atomic_save(self.model.encoder.state_dict(), path)
        return path

    def load_encoder(self, file: str | Path) -> "TextLearner":
        """Load encoder weights saved by `save_encoder`; the vocabularies must be the same."""
        path = self._file(file)
        state = read_checkpoint(path, map_location=self.device, what="an encoder saved by save_encoder")
        mine = self.model.encoder.encoder.weight.shape
        theirs = getattr(state.get("encoder.weight") if isinstance(state, dict) else None, "shape", None)
        if theirs is not None and mine != theirs:
            raise ValueError(f"the saved encoder has an embedding of {tuple(theirs)}, this model {tuple(mine)}: "
                             f"build the classifier's data with the language model's vocab "
                             f"(TextDataLoaders.from_df(..., vocab=dls_lm.numericalize.vocab))")
        load_weights(self.model.encoder, state, source=f"encoder file {path}")   # all or nothing
        self.freeze()
        return self

    def _encode(self, text: str) -> torch.Tensor:
        if not isinstance(text, str):
            raise TypeError(f"predict takes one text (str), got {type(text).__name__}")
        num = self.dls.numericalize
        return num(self.dls.tokenizer(text)).as_subclass(torch.Tensor)[None].to(self.device)

    def predict(self, text: str) -> tuple:
        """(label, label index, probabilities) for one raw text."""
        x = self._encode(text)
        self.model.eval()
        if hasattr(self.model, "reset"):
            self.model.reset()
        with torch.no_grad():
            probs = torch.softmax(self.model(x), -1)[0].cpu()
        idx = probs.argmax()
        vocab = self.dls.vocab
        return (vocab[int(idx)] if vocab is not None else int(idx)), idx, probs


def language_model_learner(dls, config: dict | None = None, drop_mult: float = 1.0, metrics: Any = accuracy,
                           **kwargs) -> TextLearner:
    """An AWD-LSTM language model on `dls` (from TextDataLoaders(..., is_lm=True)); tied weights, no pretraining."""
    model = get_language_model(len(dls.numericalize.vocab), config or awd_lstm_lm_config(), drop_mult)
    kwargs.setdefault("moms", TEXT_MOMS)
    kwargs.setdefault("splitter", awd_lstm_lm_split)
    cbs = [ModelResetter()] + list(kwargs.pop("cbs", None) or [])
    return TextLearner(dls, model, loss_func=CrossEntropyLossFlat(), metrics=metrics, cbs=cbs, **kwargs)


def text_classifier_learner(dls, config: dict | None = None, drop_mult: float = 0.5, metrics: Any = accuracy,
                            max_len: int | None = 1440, lin_ftrs: tuple = (50,), **kwargs) -> TextLearner:
    """An AWD-LSTM classifier (concat pooling head) on `dls`; documents are cut to their last `max_len` tokens."""
    if dls.c is None:
        raise ValueError("the data has no classes (dls.c is None): build it with labels (label_col=...)")
    model = get_text_classifier(len(dls.numericalize.vocab), dls.c, config or awd_lstm_clas_config(), drop_mult,
                                lin_ftrs=lin_ftrs, max_len=max_len)
    kwargs.setdefault("moms", TEXT_MOMS)
    kwargs.setdefault("splitter", awd_lstm_clas_split)
    cbs = [ModelResetter()] + list(kwargs.pop("cbs", None) or [])
    return TextLearner(dls, model, metrics=metrics, cbs=cbs, **kwargs)


def lstm_learner(dls, emb_sz: int = 64, n_hid: int = 128, metrics: Any = accuracy, **kwargs) -> TextLearner:
    """A plain LSTM classifier (last time step) on `dls`; batches must be left-padded (the default)."""
    model = TextLSTM(len(dls.numericalize.vocab), dls.c, emb_sz=emb_sz, n_hid=n_hid)
    return TextLearner(dls, model, metrics=metrics, **kwargs)


def ngram_learner(dls, ngrams: int = 2, n_buckets: int = 2**18, nb: bool = True, drop_p: float = 0.0,
                  metrics: Any = accuracy, **kwargs) -> TextLearner:
    """A bag of n-grams classifier on `dls` (words and hashed word pairs by default); with `nb`, each n-gram's vote
    is scaled by its Naive Bayes log-count ratio, counted on the training set only. Train it with
    `fit_one_cycle(10, 1e-2)`: a linear model on presence features, it needs no warm-up tricks."""
    if getattr(dls, "is_lm", False) or dls.c is None:
        raise ValueError("the data has no classes (a language model's data, or dls.c is None): build it with "
                         "labels (label_col=...)")
    model = NGramBag(len(dls.numericalize.vocab), dls.c, ngrams=ngrams, n_buckets=n_buckets, drop_p=drop_p)
    if nb:
        model.set_nb_ratios(nb_log_count_ratios(model, dls.train.new(shuffle=False, drop_last=False)))
    return TextLearner(dls, model, metrics=metrics, **kwargs)
