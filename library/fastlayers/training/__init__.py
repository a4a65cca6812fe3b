"""fastlayers.training: Learner, callbacks, metrics, optimizers, schedules, LR finder, interpretation, export,
deployment without the library."""
from .callback import *
from .callbacks import *
from .deploy import *
from .distributed import *
from .export import *
from .interpret import *
from .learner import *
from .lr_finder import *
from .metrics import *
from .optimizer import *
from .progress import *
from .recorder import *
from .schedule import *
from .transfer import *

import importlib as _importlib

_MODULES = ("callback", "callbacks", "deploy", "distributed", "export", "interpret", "learner", "lr_finder", "metrics",
            "optimizer", "progress", "recorder", "schedule", "transfer")
__all__ = [n for m in _MODULES for n in _importlib.import_module(f"{__name__}.{m}").__all__]
del _importlib
