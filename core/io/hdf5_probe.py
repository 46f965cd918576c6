"""Probe the metadata of an HDF5 file in a child process before this process reads it.

A corrupted HDF5 file (one flipped byte in an attribute heap or an object header) can make
libhdf5 itself crash with a segmentation fault while attributes are listed: no Python exception,
the process dies, and inside QGIS that is the whole application with the user's unsaved project.
HDF5's structures cannot be validated from Python before libhdf5 parses them, so every file this
process did not write itself is first walked by a child Python process (root and object
attributes, names, shapes, types, chunk indexes, small datasets). When the child dies, the file
is refused with an :class:`InputError`; when it survives, this process reads the file normally.

The child is started once and reused (starting Python with h5py costs a large part of a second);
after a crash the next probe starts a new one. Each file is probed once: the verdict is cached
by the file's identity, size and modification time (a file renamed into place keeps them).
Where no Python interpreter can be found next to the running one, files are read unprobed.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

from ..errors import InputError

PathLike = Union[str, Path]

#: seconds one probe may take before the file is refused (a corrupted index may loop)
PROBE_TIMEOUT_S = 120.0
#: datasets up to this many elements are read whole by the probe (dates, baselines, flags)
SMALL_DATASET = 100_000

_CHILD = r"""
import json, sys
try:
    import h5py
except Exception as exc:
    print(json.dumps({"unavailable": repr(exc)}), flush=True)
    sys.exit(0)

def walk(path):
    with h5py.File(path, "r") as f:
        objects = [f]
        f.visititems(lambda name, obj: objects.append(obj))
        for obj in objects:
            for _ in obj.attrs.items():
                pass
            if isinstance(obj, h5py.Dataset):
                obj.shape, obj.dtype
                if obj.chunks is not None:
                    obj.id.get_num_chunks()
                if obj.size <= %d:
                    obj[()]
                elif obj.ndim:
                    obj[(0,) * obj.ndim]

print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    try:
        walk(json.loads(line))
        reply = {"error": None}
    except Exception as exc:
        reply = {"error": "%%s: %%s" %% (type(exc).__name__, exc)}
    print(json.dumps(reply), flush=True)
""" % (SMALL_DATASET,)

FileKey = Tuple[int, int, int, int]


def _key(path: PathLike) -> Optional[FileKey]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def python_executable() -> Optional[str]:
    """A Python interpreter of the running installation (inside QGIS ``sys.executable`` is the
    QGIS program, not Python), or None."""
    if Path(sys.executable).name.lower().startswith("python"):
        return sys.executable
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for prefix in (Path(sys.exec_prefix), Path(sys.base_exec_prefix)):
        for candidate in (
            prefix / "bin" / f"python{version}",
            prefix / "bin" / "python3",
            prefix / "python.exe",
            prefix / "python3.exe",
        ):
            if candidate.is_file():
                return str(candidate)
    return shutil.which(f"python{version}")


class _Prober:
    """One reusable child process that walks HDF5 files on request."""

    def __init__(self):
        self._process: Optional[subprocess.Popen] = None
        self._lock = threading.Lock()
        self.unavailable: Optional[str] = None
        self.verdicts: Dict[FileKey, Optional[str]] = {}

    def _start(self) -> Optional[subprocess.Popen]:
        python = python_executable()
        if python is None:
            self.unavailable = "no Python interpreter found next to this one"
            return None
        process = subprocess.Popen(
            [python, "-c", _CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        hello = self._reply(process)
        if not hello or not hello.get("ready"):
            self.unavailable = (hello or {}).get("unavailable", "the probe process did not start")
            process.kill()
            process.wait()
            return None
        return process

    @staticmethod
    def _reply(process: subprocess.Popen) -> Optional[dict]:
        timer = threading.Timer(PROBE_TIMEOUT_S, process.kill)
        timer.start()
        try:
            line = process.stdout.readline()
        finally:
            timer.cancel()
        try:
            return json.loads(line) if line else None
        except ValueError:
            return None

    def probe(self, path: Path) -> Tuple[bool, Optional[str]]:
        """(completed, error): completed False when the child died or timed out."""
        with self._lock:
            if self.unavailable:
                return True, None
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
                if self._process is None:
                    return True, None
            try:
                self._process.stdin.write(json.dumps(str(path)) + "\n")
                self._process.stdin.flush()
            except OSError:
                reply = None
            else:
                reply = self._reply(self._process)
            if reply is None:
                self._process.kill()
                self._process.wait()
                self._process = None
                return False, None
            return True, reply.get("error")

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


_PROBER = _Prober()
atexit.register(_PROBER.close)


def trust(path: PathLike) -> None:
    """Record a file this process has just written completely: it is not probed."""
    key = _key(path)
    if key is not None:
        _PROBER.verdicts[key] = None


def check_hdf5_metadata(path: PathLike) -> None:
    """Raise InputError naming ``path`` when walking its HDF5 metadata in a child process
    crashes, hangs or fails.

    A file whose metadata raise an error in the child is refused as well: the same bytes may
    crash this process on another path through libhdf5. Cached per file.
    """
    key = _key(path)
    if key is None:
        return
    if key not in _PROBER.verdicts:
        completed, error = _PROBER.probe(Path(path).resolve())
        if not completed:
            error = "reading them crashes (or hangs) the HDF5 library"
        _PROBER.verdicts[key] = error and f"its HDF5 metadata are damaged ({error})."
    problem = _PROBER.verdicts[key]
    if problem:
        raise InputError(
            problem,
            path,
            "copy the file again from its source, or re-run the step that wrote it.",
        )
