"""Write outputs under a temporary name and rename them only when complete.

A failed or cancelled run therefore leaves no half-written file behind, and an existing
file of the same name survives until the new one is whole.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator, Sequence, Tuple, Union

PathLike = Union[str, Path]


def _temporary_sibling(path: Path) -> Path:
    # keep the suffix: GDAL and h5py pick drivers from it
    return path.with_name(f".{path.stem}.partial-{uuid.uuid4().hex[:8]}{path.suffix}")


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


@contextlib.contextmanager
def atomic_outputs(*paths: PathLike) -> Iterator[Tuple[Path, ...]]:
    """Yield temporary paths for ``paths``; rename all of them on success, delete on error.

    Parent folders are created. Use one call for outputs that belong together, so that
    either all of them appear or none does.
    """
    finals = [Path(p) for p in paths]
    for final in finals:
        final.parent.mkdir(parents=True, exist_ok=True)
    temps = [_temporary_sibling(f) for f in finals]
    try:
        yield tuple(temps)
    except BaseException:
        for temp in temps:
            _remove(temp)
        raise
    for temp, final in zip(temps, finals, strict=True):
        if temp.exists():
            _remove(final)
            os.replace(temp, final)


@contextlib.contextmanager
def atomic_output(path: PathLike) -> Iterator[Path]:
    """Single-file form of :func:`atomic_outputs`."""
    with atomic_outputs(path) as (temp,):
        yield temp


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when two paths name the same existing file (guards against overwriting inputs)."""
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def refuse_overwriting_inputs(outputs: Sequence[PathLike], inputs: Sequence[PathLike]) -> None:
    """Raise InputError when an output path is one of the inputs."""
    from .errors import InputError

    for out in outputs:
        for inp in inputs:
            if out and inp and same_file(out, inp):
                raise InputError("the output would overwrite this input.", out,
                                 "choose another output file name; inputs are never modified.")
