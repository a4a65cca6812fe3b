"""Checkpoint files (lesson 11, export and load): written atomically, read with errors that name the file and what
is wrong with it, and loaded into a model only when every tensor fits, so a failed load changes nothing.

Used by `Learner.save`/`load`, `export`/`load_learner` and the text learner's encoder files.
"""
from __future__ import annotations

import os
import pickle
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

__all__ = ["atomic_save", "read_checkpoint", "load_weights"]

# Temporary files are named `.<target name>.<pid>-<random>.tmp`: the pid tells whose they are.
_TEMP = re.compile(r"^\..+\.(\d+)-[A-Za-z0-9_]+\.tmp$")


def _alive(pid: int) -> bool:
    """Whether process `pid` may still be writing its temporary file."""
    if pid == os.getpid():
        return True  # another thread of this process may be saving right now
    if os.name == "nt":
        return False  # Windows refuses to delete a file another process holds open: nothing is lost
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files that saves killed midway (power cut, `kill -9`, a full disk) left in `folder`."""
    removed = []
    for path in folder.glob(".*.tmp") if folder.is_dir() else ():
        m = _TEMP.match(path.name)
        if m and not _alive(int(m.group(1))):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass  # gone already, or still open elsewhere
    return removed


def atomic_save(obj: Any, path: Path) -> None:
    """torch.save to a temporary file in the same folder, then rename: an interrupted save leaves no broken file,
    and the temporary files of earlier saves that were killed midway are removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)     # mkstemp makes owner-only files; a checkpoint gets normal permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def read_checkpoint(path: str | Path, map_location: Any = None, what: str = "a checkpoint") -> Any:
    """torch.load `path` (a trusted file: this unpickles), turning the library's terse errors into ones that name
    the file and what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty (0 bytes): the program that wrote it was probably stopped before it "
                         f"finished. Save it again.")
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except (AttributeError, ModuleNotFoundError) as e:
        raise ValueError(f"{path} refers to code that is not loaded here ({e}): define or import the model's "
                         f"classes and functions (the same module, the same names) before loading it") from e
    except RuntimeError as e:
        if "device" not in str(e):
            raise _damaged(path, what, e) from e
        raise ValueError(f"{path} holds tensors for a device this machine does not have ({e}): load it onto the "
                         f"CPU (load_learner(..., cpu=True)) or on a machine with that device") from e
    except (EOFError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError, IndexError) as e:
        raise _damaged(path, what, e) from e


def _damaged(path: Path, what: str, e: Exception) -> ValueError:
    return ValueError(f"{path} is not {what} that torch can read ({type(e).__name__}: {e}): the file is damaged "
                      f"or cut short, or was written by another program. Save it again.")


def load_weights(model: nn.Module, state: Mapping[str, torch.Tensor], strict: bool = True,
                 source: str = "the checkpoint") -> None:
    """`model.load_state_dict(state)`, but only once every tensor is known to fit: on any mismatch the model is
    left exactly as it was (torch itself copies the tensors that fit before it reports the ones that do not)."""
    if not isinstance(state, Mapping):
        raise ValueError(f"{source} holds a {type(state).__name__}, not the weights of a model (a state_dict)")
    mine = model.state_dict()
    missing = [k for k in mine if k not in state]
    unexpected = [k for k in state if k not in mine]
    shapes = [f"{k}: {tuple(state[k].shape)} in the file, {tuple(v.shape)} in this model" for k, v in mine.items()
              if k in state and hasattr(state[k], "shape") and state[k].shape != v.shape]
    problems = ([f"size mismatch for {s}" for s in shapes]
                + ([f"missing keys {missing[:5]}{' ...' if len(missing) > 5 else ''}"] if strict and missing else [])
                + ([f"unexpected keys {unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}"]
                   if strict and unexpected else []))
    if problems:
        raise ValueError(f"{source} does not fit this model (was it saved for a different architecture?); "
                         f"nothing was loaded: " + "; ".join(problems[:8]))
    model.load_state_dict(state, strict=strict)
