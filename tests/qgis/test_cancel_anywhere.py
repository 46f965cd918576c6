"""A cancel at any progress check of the SBAS chain, of kriging and of a product comparison
(through Processing, as a user presses it) ends in one of two states: cancelled with none of
the step's outputs on disk, or, when pressed after the last output was written, completed with
all of them. Never a cancelled run that left
outputs behind, never some outputs without the others."""

import numpy as np
from qgis.core import QgsProcessingException, QgsProcessingFeedback

from insar_subsidence.core.demo.extensions import drivers as demo_drivers
from insar_subsidence.core.demo.scene import make_scene
from tests.core.ingest_helpers import write_small_products


class CancelAtCheck(QgsProcessingFeedback):
    """Presses cancel at the ``at``-th progress update (never when 0); counts them."""

    def __init__(self, at: int = 0):
        super().__init__()
        self.at, self.checks = at, 0

    def setProgress(self, percentage):
        self.checks += 1
        if self.checks == self.at:
            self.cancel()
        super().setProgress(percentage)


STEPS = [
    ("stack", "ingesthyp3", {"OUTPUT": "ifgramStack.h5", "OUTPUT_GEOMETRY": "geometryGeo.h5"}),
    (
        "network",
        "network",
        {"OUTPUT": "network.h5", "OUTPUT_PAIRS": "pairs.csv", "OUTPUT_PLOT": "network.png"},
    ),
    (
        "closure",
        "loopclosure",
        {"OUTPUT": "closure.tif", "OUTPUT_STATS": "pairs.csv", "OUTPUT_STACK": "clean.h5"},
    ),
    ("series", "sbasinversion", {"OUTPUT": "timeseries.h5", "OUTPUT_TCOH": "tcoh.h5"}),
    (
        "velocity",
        "velocity",
        {"OUTPUT": "v.tif", "OUTPUT_STD": "std.tif", "OUTPUT_CLASSES": "classes.tif"},
    ),
]


def _inputs(name, done, products):
    return {
        "stack": lambda: {"INPUT": str(products)},
        "network": lambda: {"INPUT": done["stack"]["OUTPUT"], "KEEP_MST": True},
        "closure": lambda: {"INPUT": done["network"]["OUTPUT"]},
        "series": lambda: {"INPUT": done["closure"]["OUTPUT_STACK"]},
        "velocity": lambda: {"INPUT": done["series"]["OUTPUT"]},
    }[name]()


def sweep(run_algorithm, algorithm, inputs, outputs, folder):
    """Run once to count the checks, then cancel at the first, middle, last but one and last:
    each run leaves all ``outputs`` (completed) or none (cancelled). Returns the first run's
    result and {check: outcome}."""

    def run(where, feedback):
        where.mkdir()
        parameters = {k: str(where / v) for k, v in outputs.items()}
        return run_algorithm(algorithm, {**inputs, **parameters}, feedback)

    whole = CancelAtCheck()
    result = run(folder / algorithm, whole)
    outcomes = {}
    for at in sorted({1, whole.checks // 2, whole.checks - 1, whole.checks} - {0}):
        where = folder / f"{algorithm}_cancel_at_{at}"
        try:
            run(where, CancelAtCheck(at))
            outcomes[at] = "completed"
        except QgsProcessingException as error:
            assert "Cancelled by the user" in str(error), str(error)
            outcomes[at] = "cancelled"
        left = sorted(p.name for p in where.iterdir())
        expected = sorted(outputs.values()) if outcomes[at] == "completed" else []
        assert left == expected, f"{algorithm} cancelled at check {at}: {outcomes[at]}, {left}"
    if whole.checks > 1:
        assert outcomes[1] == "cancelled", algorithm
    return result, outcomes


def test_a_cancel_at_any_check_of_the_sbas_chain_leaves_all_or_nothing(run_algorithm, tmp_path):
    _, products = write_small_products(tmp_path / "products")
    done, runs = {}, 0
    for name, algorithm, outputs in STEPS:
        inputs = _inputs(name, done, products)
        done[name], outcomes = sweep(run_algorithm, algorithm, inputs, outputs, tmp_path)
        runs += len(outcomes)
    assert runs >= 12


def test_a_cancel_at_any_check_of_interpolation_and_comparison_leaves_all_or_nothing(
    run_algorithm, tmp_path
):
    scene = make_scene(size=40, n_acquisitions=6)
    points = str(demo_drivers.write(scene, tmp_path, np.random.default_rng(2))["drivers_ps_like"])
    surface, _ = sweep(
        run_algorithm,
        "interpolate",
        {"INPUT": points, "FIELD": "VEL", "METHOD": "kriging", "CELL_SIZE": 160.0},
        {"OUTPUT": "kriged.tif", "OUTPUT_VARIANCE": "variance.tif"},
        tmp_path,
    )
    sweep(
        run_algorithm,
        "crossvalidate",
        {"POINTS_A": points, "RASTER_B": surface["OUTPUT"], "CELL_SIZE": 200},
        {"OUTPUT_TABLE": "stats.csv", "OUTPUT_PLOT": "plot.png", "OUTPUT_DIFFERENCE": "d.tif"},
        tmp_path,
    )
