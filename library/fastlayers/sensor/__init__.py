"""fastlayers.sensor: series classification (loading, windows, normalization, padding, augmentation, models)."""
from .masking import *
from .series import *
from .windows import *
from .normalize import *
from .padding import *
from .augment import *
from .synthetic import *
from .models import *
from .show import *
from .loaders import *
from .block import *
from .recipe import *
from .rocket import *
from .learner import *

from . import (masking, series, windows, normalize, padding, augment, synthetic, models, show, loaders, block, recipe,
               rocket, learner)

__all__ = [n for m in (masking, series, windows, normalize, padding, augment, synthetic, models, show, loaders, block,
                       recipe, rocket, learner) for n in m.__all__]
