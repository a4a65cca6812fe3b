"""Everything a notebook needs: `from fastlayers.all import *`."""
import importlib as _importlib

from fastlayers.core import *
from fastlayers.data import *
from fastlayers.training import *

# Application layers join in once they declare their public names (`__all__`). One that is missing or
# fails to import is skipped (the reason is kept in `skipped_layers`) so the rest stays usable.
skipped_layers: dict = {}
for _name in ("vision", "sensor", "text"):
    try:
        _mod = _importlib.import_module(f"fastlayers.{_name}")
        for _n in getattr(_mod, "__all__", ()):
            globals()[_n] = getattr(_mod, _n)
    except Exception as _e:   # noqa: BLE001 - a broken application layer must not break the others
        skipped_layers[_name] = f"{type(_e).__name__}: {_e}"
del _importlib
