"""`make demo`: run the whole chain on the embedded demo scene through qgis_process.

Steps live in scripts/demo_steps/NN_name.py, each with ``run(ctx)``; they run in NN order and
share results through ``ctx.results``. Outputs go under --output (default demo_output/).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "build" / "qgis_plugins"))

import qgis_process_cli  # noqa: E402


@dataclass
class DemoContext:
    output: Path
    seed: int = 42
    results: dict = field(default_factory=dict)

    def run(self, algorithm: str, parameters: dict) -> dict:
        """Run ``subsidence:<algorithm>`` (or any full id) through qgis_process."""
        full_id = algorithm if ":" in algorithm else f"subsidence:{algorithm}"
        started = time.time()
        print(f"  qgis_process run {full_id}", flush=True)
        result = qgis_process_cli.run(full_id, parameters)
        print(f"    done in {time.time() - started:.1f} s", flush=True)
        return result

    def folder(self, name: str) -> Path:
        path = self.output / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def steps():
    for path in sorted((HERE / "demo_steps").glob("[0-9][0-9]_*.py")):
        spec = importlib.util.spec_from_file_location(f"demo_step_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield path.stem, module


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=HERE.parent / "demo_output")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", nargs="*", help="run only these step names (e.g. 30_sbas)")
    args = parser.parse_args(argv)
    ctx = DemoContext(args.output.resolve(), args.seed)
    ctx.output.mkdir(parents=True, exist_ok=True)
    started = time.time()
    for name, module in steps():
        if args.only and name not in args.only:
            continue
        print(f"[demo] {name}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
        module.run(ctx)
    print(f"[demo] finished in {time.time() - started:.0f} s. Outputs in {ctx.output}")
    for key, value in sorted(ctx.results.items()):
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
