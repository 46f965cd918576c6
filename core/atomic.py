"""Write outputs under a temporary name and rename them only when complete.

A failed or cancelled run therefore leaves no half-written file behind, and an existing
file of the same name survives until the new one is whole. Nothing that the run did not
create is ever deleted: a folder where an output file is meant is refused, not replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import Dict, Iterator, Mapping, Optional, Sequence, Tuple, Union

from .errors import InputError

PathLike = Union[str, Path]


def _temporary_sibling(path: Path) -> Path:
    # keep the suffix: GDAL and h5py pick drivers from it
    return path.with_name(f".{path.stem}.partial-{uuid.uuid4().hex[:8]}{path.suffix}")


def _remove_temporary(path: Path) -> None:
    """Remove a temporary output this run created (GDAL may leave a folder for some drivers)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _existing_ancestor(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path(path.anchor or ".")


def check_output_path(path: PathLike) -> Path:
    """Refuse an output path that cannot be a new or replaced file.

    Raises InputError, naming the output, when the path is an existing folder, when one of
    its parents is a file, or when the folder that would hold it is not writable.
    """
    final = Path(path)
    if final.is_dir():
        raise InputError(
            "this output is an existing folder; an output file is meant here.",
            final,
            "give a file name (for example inside that folder); folders are never replaced.",
        )
    ancestor = _existing_ancestor(final)
    if not ancestor.is_dir():
        raise InputError(
            f"the output cannot be created because '{ancestor}' is a file, not a folder.",
            final,
            "choose an output inside an existing folder.",
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(
            f"the folder '{ancestor}' is not writable.",
            final,
            "choose an output folder you may write to.",
        )
    return final


def check_distinct_outputs(outputs: Sequence[Optional[PathLike]]) -> None:
    """Refuse two outputs of one run that name the same file (one would overwrite the other)."""
    seen = {}
    for out in outputs:
        if not out:
            continue
        key = os.path.normcase(os.path.abspath(os.fspath(out)))
        if key in seen:
            raise InputError(
                f"two outputs of this run are the same file ('{seen[key]}').",
                out,
                "give each output its own file name.",
            )
        seen[key] = out


#: space kept free besides the expected outputs: a fixed part (HDF5 and GDAL metadata,
#: temporary files) plus a share of the outputs
FREE_SPACE_MARGIN_BYTES = 4 * 2**20
FREE_SPACE_MARGIN_SHARE = 0.02


def check_free_space(expected_bytes: Mapping[PathLike, float]) -> None:
    """Refuse, before any work, outputs that will not fit on their disk.

    ``expected_bytes`` maps each output path to its expected size. A disk that fills up while
    HDF5 writes can crash the library and the whole QGIS process with it, so the check is
    made first. Outputs on one file system are added up; a file being replaced is not
    counted as free space (it stays until the new one is complete).
    """
    disks: Dict[int, list] = {}
    for path, size in expected_bytes.items():
        if not path:
            continue
        folder = _existing_ancestor(Path(path))
        try:
            device = os.stat(folder).st_dev
        except OSError:
            continue
        disk = disks.setdefault(device, [folder, 0.0, path])
        disk[1] += float(size)
    for folder, needed, first in disks.values():
        free = shutil.disk_usage(folder).free
        if needed * (1 + FREE_SPACE_MARGIN_SHARE) + FREE_SPACE_MARGIN_BYTES > free:
            raise InputError(
                f"the outputs need about {_megabytes(needed)} but '{folder}' has "
                f"{_megabytes(free)} free.",
                first,
                "free some disk space or write the outputs to another disk.",
            )


def _megabytes(size: float) -> str:
    return f"{size / 2**20:,.1f} MB"


@contextlib.contextmanager
def atomic_outputs(*paths: PathLike) -> Iterator[Tuple[Path, ...]]:
    """Yield temporary paths for ``paths``; rename all of them on success, delete on error.

    Parent folders are created. Use one call for outputs that belong together, so that
    either all of them appear or none does.
    """
    check_distinct_outputs(paths)
    finals = [check_output_path(p) for p in paths]
    for final in finals:
        final.parent.mkdir(parents=True, exist_ok=True)
    temps = [_temporary_sibling(f) for f in finals]
    try:
        yield tuple(temps)
    except BaseException:
        for temp in temps:
            _remove_temporary(temp)
        raise
    for temp, final in zip(temps, finals, strict=True):
        if not temp.exists():
            continue
        if final.is_dir():  # appeared while the run was writing: keep it, drop ours
            _remove_temporary(temp)
            check_output_path(final)
        os.replace(temp, final)


@contextlib.contextmanager
def atomic_output(path: PathLike) -> Iterator[Path]:
    """Single-file form of :func:`atomic_outputs`."""
    with atomic_outputs(path) as (temp,):
        yield temp


@contextlib.contextmanager
def csv_output(path: PathLike, fieldnames: Optional[Sequence[str]] = None, **options):
    """A CSV writer on a temporary sibling of ``path``, renamed to ``path`` when the block
    completes: a ``csv.writer``, or with ``fieldnames`` a ``csv.DictWriter`` (``options``
    pass on to it) whose header is already written."""
    import csv

    with atomic_output(path) as temp, open(temp, "w", newline="") as handle:
        if fieldnames is None:
            yield csv.writer(handle)
        else:
            writer = csv.DictWriter(handle, fieldnames, **options)
            writer.writeheader()
            yield writer


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when two paths name the same existing file (guards against overwriting inputs)."""
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def check_outputs(
    outputs: Sequence[Optional[PathLike]], inputs: Sequence[Optional[PathLike]]
) -> None:
    """Check the outputs of one run before any work: each a writable file path that is not
    a folder, none equal to another, none equal to an input. Raises InputError naming the
    output at fault."""
    check_distinct_outputs(outputs)
    for out in outputs:
        if not out:
            continue
        for inp in inputs:
            if inp and same_file(out, inp):
                raise InputError(
                    "the output would overwrite this input.",
                    out,
                    "choose another output file name; inputs are never modified.",
                )
        check_output_path(out)
