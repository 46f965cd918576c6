"""subsidence:profile refuses a point layer where lines are expected, naming the layer."""

import pytest
from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingException, QgsVectorLayer


def test_a_point_layer_as_profile_lines_is_refused(run_algorithm, tmp_path):
    layer = QgsVectorLayer("Point?crs=EPSG:32649", "wells", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(680000, 3938000)))
    layer.dataProvider().addFeatures([feature])
    raster = tmp_path / "rate.tif"
    import numpy as np

    from insar_subsidence.core.grid import Grid
    from insar_subsidence.core.io.geotiff import write_geotiff

    write_geotiff(
        raster, np.zeros((10, 10), np.float32), Grid(679800, 3938200, 40, -40, 10, 10, 32649)
    )
    with pytest.raises(QgsProcessingException, match="wells: it holds Point geometries"):
        run_algorithm(
            "profile",
            {
                "INPUT": layer,
                "RASTERS": [str(raster)],
                "OUTPUT_FOLDER": str(tmp_path / "out"),
                "OUTPUT": "memory:",
            },
        )
    assert not (tmp_path / "out").exists()
