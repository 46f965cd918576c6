"""QGIS API that moved between QGIS 3.22 and 3.40 / QGIS 4, resolved once at import.

QGIS 3.30-3.38 moved many enums into the ``Qgis`` namespace (``Qgis.ProcessingSourceType``,
``Qgis.GeometryType``...), made ``QgsField`` take a ``QMetaType`` (Qt6 has no ``QVariant``
types) and replaced ``parameterAsFields`` by ``parameterAsStrings``; the old spellings are
deprecated and go away with Qt6. The plugin writes the new names everywhere and takes them from
here: on a QGIS that has them they ARE the ``Qgis`` enums; on an older one each name maps to the
old member (``ProcessingSourceType.VectorPoint`` -> ``QgsProcessing.TypeVectorPoint``). When the
plugin drops QGIS < 3.38, ``from .qgis_compat import X`` becomes ``Qgis.X`` and this module goes.

This is the one module that names the old spellings (the Qt6 readiness test skips its enums).
"""

from __future__ import annotations

from typing import Callable, List

from qgis.core import (
    Qgis,
    QgsColorRampShader,
    QgsFeatureRequest,
    QgsField,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProperty,
    QgsWkbTypes,
)


class _OldEnum:
    """The members of an old QGIS enum under the names of its ``Qgis`` successor."""

    def __init__(self, owner, old_name: Callable[[str], str]):
        self._owner = owner
        self._old_name = old_name

    def __getattr__(self, name: str):
        value = getattr(self._owner, self._old_name(name))
        setattr(self, name, value)
        return value


#: each moved enum type (the old class on QGIS < 3.38, the ``Qgis`` enum after, one object there)
#: -> its name in ``Qgis``: what tests/qgis/test_qt6_readiness.py refuses outside this module
MOVED_ENUMS = {}


def _moved(new_name: str, owner, old_type: str, old_name: Callable[[str], str] = str):
    MOVED_ENUMS[getattr(owner, old_type)] = new_name
    new = getattr(Qgis, new_name, None)
    return _OldEnum(owner, old_name) if new is None else new


#: kinds of layer a parameter accepts: VectorPoint, VectorLine, VectorPolygon, Raster, File...
ProcessingSourceType = _moved("ProcessingSourceType", QgsProcessing, "SourceType", "Type{}".format)
#: Integer, Double
ProcessingNumberParameterType = _moved(
    "ProcessingNumberParameterType", QgsProcessingParameterNumber, "Type"
)
#: Any, Numeric, String, DateTime
ProcessingFieldParameterDataType = _moved(
    "ProcessingFieldParameterDataType", QgsProcessingParameterField, "DataType"
)
#: File, Folder
ProcessingFileParameterBehavior = _moved(
    "ProcessingFileParameterBehavior", QgsProcessingParameterFile, "Behavior"
)
#: Advanced, Optional, Hidden
ProcessingParameterFlag = _moved(
    "ProcessingParameterFlag", QgsProcessingParameterDefinition, "Flag", "Flag{}".format
)
#: Point, Line, Polygon (a layer's geometry type)
GeometryType = _moved("GeometryType", QgsWkbTypes, "GeometryType", "{}Geometry".format)
#: Point, LineString, Polygon, MultiPolygon...
WkbType = _moved("WkbType", QgsWkbTypes, "Type")
#: NoGeometry, SubsetOfAttributes... (QgsFeatureRequest flags)
FeatureRequestFlag = _moved("FeatureRequestFlag", QgsFeatureRequest, "Flag")
#: Linear (was Interpolated), Discrete, Exact (colour ramp shader interpolation)
ShaderInterpolationMethod = _moved(
    "ShaderInterpolationMethod",
    QgsColorRampShader,
    "Type",
    lambda name: "Interpolated" if name == "Linear" else name,
)
#: Invalid, Static, Field, Expression (was FieldBasedProperty...): what a QgsProperty holds
PropertyType = _moved(
    "PropertyType",
    QgsProperty,
    "Type",
    lambda name: f"{name}BasedProperty" if name in ("Field", "Expression") else f"{name}Property",
)

if Qgis.QGIS_VERSION_INT >= 33800:
    from qgis.PyQt.QtCore import QMetaType

    _FIELD_TYPES = {
        str: QMetaType.Type.QString,
        float: QMetaType.Type.Double,
        int: QMetaType.Type.Int,
        bool: QMetaType.Type.Bool,
    }
else:
    from qgis.PyQt.QtCore import QVariant

    _FIELD_TYPES = {
        str: QVariant.String,
        float: QVariant.Double,
        int: QVariant.Int,
        bool: QVariant.Bool,
    }


def attribute_field(name: str, kind: type) -> QgsField:
    """An attribute field holding Python values of ``kind`` (str, float, int or bool)."""
    return QgsField(name, _FIELD_TYPES[kind])


if hasattr(QgsProcessingAlgorithm, "parameterAsStrings"):  # QGIS >= 3.32

    def parameter_as_field_names(
        algorithm: QgsProcessingAlgorithm, parameters: dict, name: str, context
    ) -> List[str]:
        """The field names chosen for a field parameter (possibly several)."""
        return algorithm.parameterAsStrings(parameters, name, context)

else:

    def parameter_as_field_names(
        algorithm: QgsProcessingAlgorithm, parameters: dict, name: str, context
    ) -> List[str]:
        """The field names chosen for a field parameter (possibly several)."""
        return algorithm.parameterAsFields(parameters, name, context)
