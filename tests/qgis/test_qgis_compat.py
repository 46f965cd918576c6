"""processing_provider/qgis_compat.py gives the QGIS 3.40 / QGIS 4 spelling of moved API on the
QGIS that runs the suite, and a deprecated call from the plugin fails the suite (setup.cfg)."""

import warnings

import pytest
from qgis.core import QgsFeature, QgsProcessingParameterNumber, QgsVectorLayer

from insar_subsidence.processing_provider.qgis_compat import (
    GeometryType,
    ProcessingNumberParameterType,
    attribute_field,
)


def test_fields_made_with_python_types_hold_their_values(qgis_app):
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "fields", "memory")
    names = {"name": str, "rate": float, "count": int, "kept": bool}
    assert layer.dataProvider().addAttributes(
        [attribute_field(n, kind) for n, kind in names.items()]
    )
    layer.updateFields()
    assert [layer.fields().field(n).typeName() for n in names] == [
        "string",
        "double",
        "integer",
        "boolean",
    ]
    feature = QgsFeature(layer.fields())
    feature.setAttributes(["bowl A", -41.5, 3, True])
    assert layer.dataProvider().addFeature(feature)
    stored = next(layer.getFeatures())
    assert stored.attributes() == ["bowl A", -41.5, 3, True]


def test_moved_enums_work_where_qgis_takes_them(qgis_app):
    parameter = QgsProcessingParameterNumber(
        "RATE", "Rate", ProcessingNumberParameterType.Double, 1.5
    )
    assert parameter.dataType() == ProcessingNumberParameterType.Double
    assert parameter.dataType() != ProcessingNumberParameterType.Integer
    layer = QgsVectorLayer("LineString?crs=EPSG:4326", "lines", "memory")
    assert layer.geometryType() == GeometryType.Line
    assert layer.geometryType() != GeometryType.Point


def test_a_name_qgis_never_had_fails_loudly():
    with pytest.raises(AttributeError):
        GeometryType.Curve  # noqa: B018


def test_a_deprecation_warning_from_plugin_code_fails_the_test():
    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit(
            "old API", DeprecationWarning, "analysis.py", 1, module="insar_subsidence.x"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit("old API", DeprecationWarning, "p.py", 1, module="pyqtgraph.x")
    assert len(caught) == 1
