"""fastlayers.vision: images as tensors, resizing, batch augmentation with one interpolation, torchvision backbones."""
from .augment import *
from .data import *
from .learner import *

from . import augment, data, learner

__all__ = [n for m in (augment, data, learner) for n in m.__all__]
