"""Kriging at 10k and 60k points: our local-neighbourhood ordinary kriging vs PyKrige, same run.

Each engine runs in its own subprocess on the same points and query locations, with the same
variogram (ours is fitted on a subsample and handed to PyKrige), 16 nearest neighbours, and
reports wall time and peak resident memory. PyKrige comes from the peer venv (`make peers`);
its subprocess gets an address-space limit (--pykrige-memory-gb) so a failure at 60k points is
recorded instead of exhausting the machine. Opt-in; not part of `make test`.

    .venv/bin/python benchmarks/interpolation.py [--sizes 10000 60000] [--queries 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/ holds modules named like the standard library's (profile.py): not on the path
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402

PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"

OURS = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, {plugins!r})
    import numpy as np
    from insar_subsidence.core.interpolation.kriging import KrigingOptions, OrdinaryKriging
    data = np.load({data!r})
    start = time.perf_counter()
    options = KrigingOptions(model="spherical", neighbours=16)
    kriging = OrdinaryKriging(data["xy"], data["z"], options)
    estimate = kriging.predict(data["query"])
    elapsed = time.perf_counter() - start
    np.save({out!r}, estimate)
    v = kriging.variogram
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({{"seconds": elapsed, "peak_mb": peak_mb,
                      "nugget": v.nugget, "sill": v.nugget + v.psill, "range": v.range}}))
""")

PYKRIGE = textwrap.dedent("""
    import json, resource, sys, time
    limit = int({limit_gb} * 1024 ** 3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import numpy as np
    from pykrige.ok import OrdinaryKriging
    data = np.load({data!r})
    params = json.loads({params!r})
    start = time.perf_counter()
    ok = OrdinaryKriging(data["xy"][:, 0], data["xy"][:, 1], data["z"], variogram_model="spherical",
                         variogram_parameters=params)
    estimate, variance = ok.execute("points", data["query"][:, 0], data["query"][:, 1],
                                    backend="loop", n_closest_points=16)
    elapsed = time.perf_counter() - start
    np.save({out!r}, np.asarray(estimate))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({{"seconds": elapsed, "peak_mb": peak_mb}}))
""")


def run(python: Path, code: str, timeout: float) -> dict:
    try:
        proc = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        return {"error": f"exit {proc.returncode}: {last[:200]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 60_000])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--pykrige-memory-gb", type=float, default=8.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    have_peer = PEERS_PYTHON.exists()
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            xy = rng.uniform(0, 50_000, (n, 2))
            z = 10 * np.sin(xy[:, 0] / 4000) * np.cos(xy[:, 1] / 5000) + rng.normal(0, 0.5, n)
            query = rng.uniform(0, 50_000, (args.queries, 2))
            data = f"{tmp}/data_{n}.npz"
            np.savez(data, xy=xy, z=z, query=query)
            ours = run(
                Path(sys.executable),
                OURS.format(
                    plugins=str(ROOT / "build" / "qgis_plugins"),
                    data=data,
                    out=f"{tmp}/ours_{n}.npy",
                ),
                args.timeout,
            )
            row = {"n_points": n, "ours": ours}
            if have_peer and "error" not in ours:
                params = json.dumps(
                    {"sill": ours["sill"], "range": ours["range"], "nugget": ours["nugget"]}
                )
                peer = run(
                    PEERS_PYTHON,
                    PYKRIGE.format(
                        limit_gb=args.pykrige_memory_gb,
                        data=data,
                        params=params,
                        out=f"{tmp}/peer_{n}.npy",
                    ),
                    args.timeout,
                )
                if "error" not in peer:
                    diff = np.load(f"{tmp}/ours_{n}.npy") - np.load(f"{tmp}/peer_{n}.npy")
                    peer["rms_difference_to_ours"] = float(np.sqrt(np.mean(diff**2)))
                    peer["time_ratio_peer_over_ours"] = peer["seconds"] / ours["seconds"]
                    peer["memory_ratio_peer_over_ours"] = peer["peak_mb"] / ours["peak_mb"]
                row["pykrige"] = peer
            else:
                row["pykrige"] = (
                    {"error": "peer venv missing: run `make peers`"}
                    if not have_peer
                    else {"error": "skipped"}
                )
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(
        f"\n{'points':>8} {'ours s':>8} {'ours MB':>8} {'pykrige s':>10} {'pykrige MB':>11}  note"
    )
    for row in rows:
        o, p = row["ours"], row["pykrige"]
        print(
            f"{row['n_points']:>8} {o.get('seconds', float('nan')):8.2f} "
            f"{o.get('peak_mb', float('nan')):8.0f} {p.get('seconds', float('nan')):10.2f} "
            f"{p.get('peak_mb', float('nan')):11.0f}  {p.get('error', '')}"
            f"{'' if 'error' in p else 'rms diff %.3g' % p['rms_difference_to_ours']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
