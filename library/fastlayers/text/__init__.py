"""fastlayers.text: rules, tokenizer, vocabulary, text batches, LSTM / AWD-LSTM models and text learners."""
from .rules import *
from .tokenizer import *
from .vocab import *
from .batching import *
from .models import *
from .show import *
from .data import *
from .learner import *
from .synthetic import *

from . import rules, tokenizer, vocab, batching, models, show, data, learner, synthetic

__all__ = [n for m in (rules, tokenizer, vocab, batching, models, show, data, learner, synthetic) for n in m.__all__]
