"""A cancel at any progress check of the SBAS chain (through Processing, as a user presses it)
ends in one of two states: cancelled with none of the step's outputs on disk, or, when pressed
after the last output was written, completed with all of them. Never a cancelled run that left
outputs behind, never some outputs without the others."""

from qgis.core import QgsProcessingException, QgsProcessingFeedback

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


def test_a_cancel_at_any_check_leaves_all_or_nothing(run_algorithm, tmp_path):
    _, products = write_small_products(tmp_path / "products")
    done, figures = {}, {}
    for name, algorithm, outputs in STEPS:

        def run(folder, feedback, algorithm=algorithm, outputs=outputs, name=name):
            folder.mkdir()
            parameters = {k: str(folder / v) for k, v in outputs.items()}
            return run_algorithm(
                algorithm, {**_inputs(name, done, products), **parameters}, feedback
            )

        whole = CancelAtCheck()
        done[name] = run(tmp_path / name, whole)
        checks = sorted({1, whole.checks // 2, whole.checks - 1, whole.checks} - {0})
        for at in checks:
            folder = tmp_path / f"{name}_cancel_at_{at}"
            try:
                run(folder, CancelAtCheck(at))
                outcome = "completed"
            except QgsProcessingException as error:
                assert "Cancelled by the user" in str(error), str(error)
                outcome = "cancelled"
            left = sorted(p.name for p in folder.iterdir())
            expected = sorted(outputs.values()) if outcome == "completed" else []
            assert left == expected, f"{algorithm} cancelled at check {at}: {outcome}, {left}"
            figures[(algorithm, at)] = outcome
        if whole.checks > 1:
            assert figures[(algorithm, 1)] == "cancelled", algorithm
    assert len(figures) >= 12
