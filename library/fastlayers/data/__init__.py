"""fastlayers.data: transforms, splitters, datasets, data loaders and the DataBlock API."""
from .losses import *
from .transforms import *
from .splitters import *
from .lists import *
from .loader import *
from .loaders import *
from .show import *

from . import losses, transforms, splitters, lists, loader, loaders, show

__all__ = (losses.__all__ + transforms.__all__ + splitters.__all__ + lists.__all__ + loader.__all__
           + loaders.__all__ + show.__all__)
from .external import *
from .external import *
