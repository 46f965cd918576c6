"""Inputs are never modified: the SBAS chain through Processing, each step writing into its own
folder, leaves every earlier folder byte for byte as it was (no rewritten file, no sidecar such
as a GDAL .aux.xml or an HDF5 lock file added next to an input)."""

from tests.core.ingest_helpers import folder_digest, write_small_products


def test_the_sbas_chain_leaves_every_input_as_it_was(run_algorithm, tmp_path):
    _, products = write_small_products(tmp_path / "products")
    folders = {"products": products}
    digests = {"products": folder_digest(products)}

    def step(name, algorithm, parameters, outputs):
        folder = tmp_path / name
        folder.mkdir()
        result = run_algorithm(
            algorithm, {**parameters, **{k: str(folder / v) for k, v in outputs.items()}}
        )
        for earlier, path in folders.items():
            assert folder_digest(path) == digests[earlier], f"{algorithm} changed {earlier}"
        folders[name], digests[name] = folder, folder_digest(folder)
        return result

    stack = step(
        "stack",
        "ingesthyp3",
        {"INPUT": str(products)},
        {"OUTPUT": "ifgramStack.h5", "OUTPUT_GEOMETRY": "geometryGeo.h5"},
    )
    network = step(
        "network",
        "network",
        {"INPUT": stack["OUTPUT"], "MIN_COHERENCE": 0.1, "KEEP_MST": True},
        {"OUTPUT": "ifgramStack_network.h5", "OUTPUT_PAIRS": "pairs.csv"},
    )
    closure = step(
        "closure",
        "loopclosure",
        {"INPUT": network["OUTPUT"]},
        {"OUTPUT": "closure.tif", "OUTPUT_STACK": "ifgramStack_clean.h5"},
    )
    reference = step(
        "reference",
        "referencepoint",
        {"INPUT": closure["OUTPUT_STACK"], "LOOP_CLOSURE": closure["OUTPUT"]},
        {"OUTPUT": "ifgramStack_ref.h5"},
    )
    series = step(
        "series",
        "sbasinversion",
        {"INPUT": reference["OUTPUT"]},
        {"OUTPUT": "timeseries.h5", "OUTPUT_TCOH": "temporalCoherence.h5"},
    )
    deramped = step(
        "deramped",
        "deramp",
        {"INPUT": series["OUTPUT"], "RAMP": "linear"},
        {"OUTPUT": "timeseries_deramped.h5"},
    )
    corrected = step(
        "corrected",
        "demerror",
        {"INPUT": deramped["OUTPUT"], "GEOMETRY": stack["OUTPUT_GEOMETRY"]},
        {"OUTPUT": "timeseries_corrected.h5", "OUTPUT_DEM_ERROR": "dem_error.tif"},
    )
    step(
        "velocity",
        "velocity",
        {
            "INPUT": corrected["OUTPUT"],
            "GEOMETRY": stack["OUTPUT_GEOMETRY"],
            "TCOH": series["OUTPUT_TCOH"],
        },
        {"OUTPUT": "velocity.tif", "OUTPUT_STD": "velocity_std.tif"},
    )
    assert len(folders) == 9
