"""Child process of the reader fuzz suite: runs one reader per case and reports the outcome.

Reads one JSON case per line on stdin (``{"kind", "input", "output"}``) and answers one line
``FUZZ {"outcome", "type", "path", "message"}`` per case: ``ok``, ``input_error`` or
``exception`` (any other exception type). A crash of a reader ends this process; the parent
records it and starts a new worker for the next case.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "build" / "qgis_plugins"), str(ROOT)]

from insar_subsidence.core.errors import InputError  # noqa: E402
from insar_subsidence.core.ingest.from_hyp3 import ingest_hyp3  # noqa: E402
from insar_subsidence.core.ingest.point_import import import_points  # noqa: E402
from insar_subsidence.core.io.mintpy import (  # noqa: E402
    IfgramStack,
    read_timeseries,
    read_timeseries_dates,
)
from insar_subsidence.core.io.point_layers import read_points  # noqa: E402


def read_stack(path: Path, output: Path) -> None:
    stack = IfgramStack.open(path)
    for name in ("unwrapPhase", "coherence", "connectComponent"):
        if name in stack.datasets:
            stack.read(name)


def read_series(path: Path, output: Path) -> None:
    read_timeseries_dates(path)
    read_timeseries(path)


def read_hyp3(path: Path, output: Path) -> None:
    result = ingest_hyp3(path, output / "ifgramStack.h5", output / "geometryGeo.h5")
    IfgramStack.open(result.stack).read("unwrapPhase")


def read_point_product(path: Path, output: Path) -> None:
    summary = import_points(path, output / "points.gpkg")
    read_points(summary.path)


READERS = {
    "stack": read_stack,
    "timeseries": read_series,
    "hyp3": read_hyp3,
    "points": read_point_product,
}


def run(case: dict) -> dict:
    try:
        READERS[case["kind"]](Path(case["input"]), Path(case["output"]))
    except InputError as exc:
        return {"outcome": "input_error", "path": exc.path, "message": str(exc)}
    except Exception as exc:  # the suite exists to find these
        return {
            "outcome": "exception",
            "type": type(exc).__name__,
            "message": "".join(traceback.format_exception(exc))[-3000:],
        }
    return {"outcome": "ok"}


def main() -> None:
    print("FUZZ " + json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        print("FUZZ " + json.dumps(run(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
