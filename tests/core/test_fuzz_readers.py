"""Bounded, seeded fuzzing of the readers a user feeds files to: MintPy stacks and time series,
HyP3 product folders and point products (EGMS, DePSI, generic CSV, gzip'ed CSV).

Each case is a small valid file broken in one seeded way (bytes flipped or cut, a header, a
value, an attribute or a dataset replaced). Every reader must end in success or in an
InputError naming the broken input, raise nothing else, never crash, and leave no partial
output. Readers run in a child process (tests/core/fuzz_worker.py), so a crash is recorded
instead of killing pytest.
"""

from __future__ import annotations

import collections
import gzip
import json
import random
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.core.sbas_synthetic import make_dates, small_baseline_pairs, truth_displacement
from tests.core.sbas_synthetic import write_stack as write_synthetic_stack
from tests.paths import ROOT, TEST_DATA

SEED = 16
CASES = {"stack": 70, "timeseries": 50, "hyp3": 60, "points": 120}
CASE_TIMEOUT_S = 60.0

GARBAGE = ["", "abc", "-1", "0", "nan", "inf", "-inf", "1e308", "999999", "3,5", "\udcff", "NULL"]


# ----------------------------------------------------------------------------- byte mutations
def flip_bytes(data: bytes, rng: random.Random, region: int = None) -> bytes:
    out = bytearray(data)
    end = min(len(out), region or len(out))
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(end)] = rng.randrange(256)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


# ----------------------------------------------------------------------------- HDF5 cases
def _base_stack(folder: Path) -> Path:
    dates = make_dates(6)
    pairs = small_baseline_pairs(dates, 2)
    conncomp = np.ones((len(pairs), 10, 12), np.int16)
    return write_synthetic_stack(
        folder / "base_stack.h5", dates, pairs, truth_displacement(dates), conncomp=conncomp
    )


def _base_series(folder: Path) -> Path:
    from insar_subsidence.core.io.mintpy import TimeSeries, write_timeseries
    from tests.core.sbas_synthetic import GRID

    dates = make_dates(7)
    data = truth_displacement(dates).astype(np.float32)
    return write_timeseries(folder / "base_ts.h5", TimeSeries(dates, data, GRID, {}))


def _replace(f, name: str, values) -> None:
    del f[name]
    f.create_dataset(name, data=values)


def _semantic_h5(path: Path, rng: random.Random, kind: str) -> None:
    with h5py.File(path, "r+") as f:
        keys = ["LENGTH", "WIDTH", "X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP", "EPSG", "FILE_TYPE"]
        keys += ["WAVELENGTH", "REF_Y", "REF_X"] if kind == "stack" else ["REF_DATE"]
        data_name = "unwrapPhase" if kind == "stack" else "timeseries"
        choice = rng.randrange(8)
        if choice <= 1:
            f.attrs[rng.choice(keys)] = rng.choice(GARBAGE).encode("utf-8", "surrogateescape")
        elif choice == 2:
            key = rng.choice(keys)
            if key in f.attrs:
                del f.attrs[key]
        elif choice == 3:
            dates = f["date"][()]
            mutated = rng.choice(
                [
                    dates[::-1],
                    np.concatenate([dates[:1], dates[:-1]]),
                    np.full_like(dates, b"2020x"),
                ]
            )
            _replace(f, "date", mutated)
        elif choice == 4:
            name = rng.choice(["bperp", "date"] + (["dropIfgram"] if kind == "stack" else []))
            _replace(f, name, f[name][()][:-1])
        elif choice == 5:
            _replace(f, data_name, (f[data_name][()] * 100).astype(np.int16))
        elif choice == 6:
            values = f[data_name][()]
            values.flat[rng.randrange(values.size)] = rng.choice([np.inf, -np.inf])
            _replace(f, data_name, values)
        else:
            name = rng.choice(["coherence", "connectComponent"] if kind == "stack" else ["bperp"])
            values = f[name][()]
            mutated = rng.choice([values * 255, values[..., :-1], values[:-1]])
            _replace(f, name, mutated)


def h5_case(base: Path, target: Path, rng: random.Random, kind: str) -> Path:
    data = base.read_bytes()
    how = rng.randrange(4)
    if how == 0:
        target.write_bytes(flip_bytes(data, rng, region=16384))
    elif how == 1:
        target.write_bytes(flip_bytes(data, rng))
    elif how == 2:
        target.write_bytes(truncate(data, rng))
    else:
        shutil.copy(base, target)
        _semantic_h5(target, rng, kind)
    return target


# ----------------------------------------------------------------------------- HyP3 cases
def _base_products(folder: Path) -> Path:
    """Three HyP3 zips of a 20 x 20 scene; the last one unzipped into a product folder."""
    from insar_subsidence.core.demo import make_scene
    from insar_subsidence.core.demo.hyp3 import write_hyp3_products

    products = folder / "base_products"
    write_hyp3_products(make_scene(seed=3, size=20, n_acquisitions=3), products)
    last = sorted(products.glob("*.zip"))[-1]
    with zipfile.ZipFile(last) as archive:
        archive.extractall(products)
    last.unlink()
    return products


def _rewrite_zip(path: Path, rng: random.Random) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    name = rng.choice(sorted(members))
    members[name] = (
        _mutate_text(members[name], rng)
        if name.endswith(".txt")
        else flip_bytes(members[name], rng)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)


def _mutate_text(text: bytes, rng: random.Random) -> bytes:
    lines = text.decode("latin-1").splitlines()
    choice = rng.randrange(5)
    if choice == 0 and lines:
        del lines[rng.randrange(len(lines))]
    elif choice == 1 and lines:
        k = rng.randrange(len(lines))
        key = lines[k].split(":", 1)[0]
        lines[k] = f"{key}: {rng.choice(GARBAGE)}".encode("utf-8", "surrogateescape").decode(
            "latin-1"
        )
    elif choice == 2:
        return truncate(text, rng)
    elif choice == 3:
        return flip_bytes(text, rng)
    else:
        lines = lines[: rng.randrange(len(lines) + 1)]
    return "\n".join(lines).encode("latin-1")


def _rgb_image(like: Path, target: Path) -> None:
    from osgeo import gdal

    source = gdal.Open(str(like))
    image = gdal.GetDriverByName("GTiff").Create(
        str(target), source.RasterXSize, source.RasterYSize, 3, gdal.GDT_Byte
    )
    image.SetGeoTransform(source.GetGeoTransform())
    image.SetProjection(source.GetProjection())
    for band in range(3):
        image.GetRasterBand(band + 1).Fill(band * 60)
    image = source = None


def hyp3_case(base: Path, target: Path, rng: random.Random) -> Path:
    shutil.copytree(base, target)
    folder = next(p for p in target.iterdir() if p.is_dir())
    zips = sorted(target.glob("*.zip"))
    how = rng.randrange(6)
    if how == 0:
        txt = next(folder.glob("*.txt"))
        txt.write_bytes(_mutate_text(txt.read_bytes(), rng))
    elif how in (1, 2):
        tif = rng.choice(sorted(folder.glob("*.tif")))
        data = tif.read_bytes()
        tif.write_bytes(flip_bytes(data, rng, 2048) if how == 1 else truncate(data, rng))
    elif how == 3:
        tif = rng.choice(sorted(folder.glob("*_unw_phase.tif")) + sorted(folder.glob("*_corr.tif")))
        _rgb_image(tif, tif.with_suffix(".rgb.tif"))
        tif.with_suffix(".rgb.tif").replace(tif)
    elif how == 4:
        archive = rng.choice(zips)
        data = archive.read_bytes()
        archive.write_bytes(flip_bytes(data, rng) if rng.random() < 0.5 else truncate(data, rng))
    else:
        _rewrite_zip(rng.choice(zips), rng)
    return target


# ----------------------------------------------------------------------------- point cases
def _trimmed_egms(folder: Path) -> Path:
    """30 points and 40 dates of the real EGMS L2b file (lat/lon and easting/northing)."""
    with gzip.open(TEST_DATA / "points" / "EGMS_L2b_022_0845_IW2_VV_2020_2024_1_trim.csv.gz") as f:
        lines = f.read().decode().splitlines()[:31]
    first_date = lines[0].split(",").index("20200103")
    rows = [",".join(line.split(",")[: first_date + 40]) for line in lines]
    path = folder / "egms_l2b.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _base_points(folder: Path) -> list:
    egms = _trimmed_egms(folder)
    gz = folder / "egms_l2b_gz.csv.gz"
    gz.write_bytes(gzip.compress(egms.read_bytes()))
    l3 = folder / "egms_l3.csv"
    l3.write_text(
        "\n".join(
            (TEST_DATA / "points" / "EGMS_L3_E45N17_100km_U_2020_2024_1_trim.csv")
            .read_text()
            .splitlines()[:26]
        )
        + "\n"
    )
    depsi = folder / "depsi.csv"
    depsi.write_text(
        "\n".join((TEST_DATA / "points" / "depsi_amsterdam_trim.csv").read_text().splitlines()[:26])
        + "\n"
    )
    generic = folder / "generic.csv"
    dates = ["20200103", "20200115", "20200127", "20200208", "20200220"]
    rows = ["lon,lat,VEL," + ",".join(dates)]
    rows += [
        f"{13.1 + 0.001 * i:.4f},{38.7 + 0.001 * i:.4f},-2.0,"
        + ",".join(f"{-0.3 * k * (i % 4):.1f}" for k in range(len(dates)))
        for i in range(20)
    ]
    generic.write_text("\n".join(rows) + "\n")
    return [egms, gz, l3, depsi, generic]


def _mutate_csv(text: str, rng: random.Random) -> bytes:
    lines = text.splitlines()
    header = lines[0].split(",")
    choice = rng.randrange(9)
    if choice == 0:
        return flip_bytes(text.encode(), rng)
    if choice == 1:
        return truncate(text.encode(), rng)
    if choice == 2:  # a value replaced
        k = rng.randrange(1, len(lines))
        cells = lines[k].split(",")
        cells[rng.randrange(len(cells))] = rng.choice(GARBAGE)
        lines[k] = ",".join(cells)
    elif choice == 3:  # a header name damaged
        k = rng.randrange(len(header))
        name = list(header[k])
        if name:
            name[rng.randrange(len(name))] = rng.choice("O0lx- ")
        header[k] = "".join(name)
        lines[0] = ",".join(header)
    elif choice == 4:  # a row cut short or a line deleted
        k = rng.randrange(1, len(lines))
        if rng.random() < 0.5:
            lines[k] = lines[k][: rng.randrange(len(lines[k]) + 1)]
        else:
            del lines[k]
    elif choice == 5:  # two columns swapped in every row
        a, b = rng.sample(range(len(header)), 2)
        swapped = []
        for line in lines[1:]:
            cells = line.split(",")
            if len(cells) > max(a, b):
                cells[a], cells[b] = cells[b], cells[a]
            swapped.append(",".join(cells))
        lines[1:] = swapped
    elif choice == 6:  # Latin-1 bytes after the header
        k = rng.randrange(1, len(lines))
        return (
            ("\n".join(lines[:k]) + "\n").encode()
            + "caf\xe9,".encode("latin-1")
            + ("\n".join(lines[k:]) + "\n").encode()
        )
    elif choice == 7:  # a huge field
        k = rng.randrange(1, len(lines))
        cells = lines[k].split(",")
        cells[rng.randrange(len(cells))] = "9" * 300_000
        lines[k] = ",".join(cells)
    else:  # the coordinates emptied in some rows
        x = header.index(
            rng.choice([h for h in header if h in ("easting", "lon", "pnt_lon")] or header)
        )
        for k in rng.sample(range(1, len(lines)), min(3, len(lines) - 1)):
            cells = lines[k].split(",")
            if len(cells) > x:
                cells[x] = ""
            lines[k] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")


def points_case(base: Path, target: Path, rng: random.Random) -> Path:
    if base.suffix == ".gz":
        mutated = _mutate_csv(gzip.decompress(base.read_bytes()).decode(), rng)
        data = gzip.compress(mutated)
        target.write_bytes(truncate(data, rng) if rng.random() < 0.3 else data)
    else:
        target.write_bytes(_mutate_csv(base.read_text(), rng))
    return target


# ----------------------------------------------------------------------------- runner
class Worker:
    """The fuzz worker child; restarted after a crash."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "core" / "fuzz_worker.py")],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._reply() == {"ready": True}

    def _reply(self):
        timer = threading.Timer(CASE_TIMEOUT_S, self.process.kill)
        timer.start()
        try:
            for line in self.process.stdout:
                if line.startswith("FUZZ "):
                    return json.loads(line[5:])
            return None
        finally:
            timer.cancel()

    def run(self, case: dict):
        try:
            self.process.stdin.write(json.dumps(case) + "\n")
            self.process.stdin.flush()
        except OSError:
            return None
        return self._reply()

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _named(path, case: dict) -> bool:
    """The InputError names the broken input (a HyP3 case may name its folder or a product)."""
    if not path:
        return False
    named, broken = Path(str(path).replace("/vsizip/", "")), Path(case["input"])
    return named == broken or broken in named.parents


def _leftovers(case: dict, outcome: str) -> list:
    output = Path(case["output"])
    found = sorted(p.name for p in output.iterdir()) if output.exists() else []
    partial = [p.name for p in Path(case["input"]).parent.rglob("*partial*")]
    if outcome == "ok":
        return partial + [n for n in found if "partial" in n]
    return partial + found


@pytest.fixture(scope="module")
def fuzz_results(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    bases = root / "bases"
    bases.mkdir()
    sources = {
        "stack": [_base_stack(bases)],
        "timeseries": [_base_series(bases)],
        "hyp3": [_base_products(bases)],
        "points": _base_points(bases),
    }
    makers = {
        "stack": lambda b, t, r: h5_case(b, t.with_suffix(".h5"), r, "stack"),
        "timeseries": lambda b, t, r: h5_case(b, t.with_suffix(".h5"), r, "timeseries"),
        "hyp3": hyp3_case,
        "points": lambda b, t, r: points_case(b, t.with_name(t.name + "_" + b.name), r),
    }
    cases = []
    for kind, count in CASES.items():
        for number in range(count):
            rng = random.Random(f"{SEED}-{kind}-{number}")
            folder = root / kind / f"case{number:03d}"
            folder.mkdir(parents=True)
            base = rng.choice(sources[kind])
            made = makers[kind](base, folder / "input", rng)
            cases.append({"kind": kind, "input": str(made), "output": str(folder / "out")})
    results = []
    worker = Worker()
    for case in cases:
        reply = worker.run(case)
        if reply is None:
            reply = {"outcome": "crash", "message": f"exit {worker.process.wait()}"}
            worker = Worker()
        reply["leftovers"] = _leftovers(case, reply["outcome"])
        results.append((case, reply))
    worker.close()
    return results


def test_fuzzed_inputs_end_in_success_or_an_input_error_naming_the_file(fuzz_results):
    figures = collections.Counter((case["kind"], reply["outcome"]) for case, reply in fuzz_results)
    print("\nfuzz figures:", dict(sorted(figures.items())))
    import os

    if os.environ.get("FUZZ_DUMP"):
        Path(os.environ["FUZZ_DUMP"]).write_text(json.dumps(fuzz_results, indent=1))
    assert sum(figures.values()) == sum(CASES.values())
    bad = [
        (case["kind"], case["input"], reply.get("type"), reply["message"][-600:])
        for case, reply in fuzz_results
        if reply["outcome"] not in ("ok", "input_error")
    ]
    assert bad == []
    unnamed = [
        (case["input"], reply["message"])
        for case, reply in fuzz_results
        if reply["outcome"] == "input_error" and not _named(reply["path"], case)
    ]
    assert unnamed == []


def test_fuzzed_inputs_leave_no_partial_output(fuzz_results):
    left = [
        (case["input"], reply["leftovers"]) for case, reply in fuzz_results if reply["leftovers"]
    ]
    assert left == []


def test_the_fuzz_cases_exercise_both_outcomes_for_every_reader(fuzz_results):
    for kind in CASES:
        outcomes = {reply["outcome"] for case, reply in fuzz_results if case["kind"] == kind}
        assert {"ok", "input_error"} <= outcomes, kind
