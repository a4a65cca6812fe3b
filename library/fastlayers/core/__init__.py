"""fastlayers.core: type dispatch, semantic tensors, transforms and pipelines."""
from .dispatch import *
from .tensors import *
from .transform import *
from .pipeline import *
from .utils import *

from . import dispatch, pipeline, tensors, transform, utils

__all__ = dispatch.__all__ + tensors.__all__ + transform.__all__ + pipeline.__all__ + utils.__all__
