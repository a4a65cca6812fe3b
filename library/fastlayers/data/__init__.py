"""fastlayers.data: transforms, splitters, datasets, data loaders and the DataBlock API."""
from .losses import *
from .transforms import *
from .splitters import *
from .lists import *
from .loader import *
from .loaders import *
from .show import *
from .block import *

from . import block, losses, transforms, splitters, lists, loader, loaders, show

__all__ = (losses.__all__ + transforms.__all__ + splitters.__all__ + lists.__all__ + loader.__all__
           + loaders.__all__ + show.__all__ + block.__all__)
from .external import *

from . import external  # noqa: E402  (the dataset registry's public names join the star-import)
__all__ = __all__ + external.__all__
