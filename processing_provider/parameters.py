"""Processing parameters built from the core options schema (``core/options.py``).

An algorithm declares an option parameter with :func:`option_parameter`; its type, default,
bounds, choices (static strings: models, scripts and ``qgis_process`` say ``var``, not ``3``)
and help come from the options dataclass field, and the parameter remembers which field it
fills, so :func:`read_options` builds the options object from the parameters in one call.
A field of nested options is named by its dotted path (``"model.network.epochs"``); its
default is the one of the outer class (``ForecastOptions().model.network.epochs``), so an outer
class that sets other defaults for its parts keeps them in the dialog.
Parameters that are not options (layers, files, outputs) get their help through
:func:`with_help`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Dict, Optional, Type

from qgis.core import (
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..core.errors import InputError
from ..core.options import OptionSpec, option_spec
from .qgis_compat import ProcessingParameterFlag

#: metadata key naming the options field a parameter fills: "ClassName.field"
OPTION_KEY = "insar_subsidence_option"
#: metadata key: 0 in the dialog means None ("no limit", "off") in the options
ZERO_IS_NONE_KEY = "insar_subsidence_zero_is_none"
#: the advanced parameter of the block-wise steps: a Dask scheduler address (core/parallel.py)
DASK_SCHEDULER = "DASK_SCHEDULER"
#: the provider setting that is the default scheduler (QGIS keeps it in its Processing options)
DASK_SCHEDULER_SETTING = "INSAR_SUBSIDENCE_DASK_SCHEDULER"


def with_help(parameter: QgsProcessingParameterDefinition, text: str):
    """Set a parameter's help (tooltip in the dialog) and return it."""
    parameter.setHelp(text)
    return parameter


def dask_scheduler_parameter(
    blocks: str, blocks_carry_data: bool = False
) -> QgsProcessingParameterDefinition:
    """The advanced ``DASK_SCHEDULER`` parameter of a step that processes ``blocks`` (e.g.
    "row blocks") one by one; read it with :func:`dask_scheduler`. ``blocks_carry_data``:
    the blocks are sent with their data (chunks of rows or series), so the workers need not
    see the input files."""
    parameter = QgsProcessingParameterString(
        DASK_SCHEDULER, "Dask scheduler address", "", optional=True
    )
    parameter.setFlags(parameter.flags() | ProcessingParameterFlag.Advanced)
    workers = (
        "its workers must import this plugin; the data travel with the blocks"
        if blocks_carry_data
        else "its workers must see the input files under the same paths and import this plugin"
    )
    return with_help(
        parameter,
        f"Process the {blocks} on a Dask cluster, e.g. tcp://host:8786 ({workers}); empty = the "
        "provider's setting in Processing options (Providers > InSAR Subsidence), empty "
        "there too = in this process. The result is the same.",
    )


def dask_scheduler(algorithm, parameters, context) -> Optional[str]:
    """The scheduler address given to :func:`dask_scheduler_parameter`, else the provider's
    setting (Processing options > Providers > InSAR Subsidence), None when both are empty."""
    from processing.core.ProcessingConfig import ProcessingConfig

    given = algorithm.parameterAsString(parameters, DASK_SCHEDULER, context).strip()
    return given or str(ProcessingConfig.getSetting(DASK_SCHEDULER_SETTING) or "").strip() or None


def _number_parameter(name: str, description: str, spec: OptionSpec, zero_is_none: bool):
    integer = spec.kind is int
    number = QgsProcessingParameterNumber.Type
    kind = number.Integer if integer else number.Double
    default = spec.default
    if default is None and zero_is_none:
        default = 0
    parameter = QgsProcessingParameterNumber(
        name, description, kind, default, optional=spec.nullable and not zero_is_none
    )
    low = 0 if zero_is_none and spec.minimum is not None and spec.minimum > 0 else spec.minimum
    if low is not None:
        parameter.setMinimum(low)
    if spec.maximum is not None:
        parameter.setMaximum(spec.maximum)
    return parameter


def option_parameter(
    name: str,
    options_class: type,
    field: str,
    description: str,
    *,
    advanced: bool = False,
    zero_is_none: bool = False,
) -> QgsProcessingParameterDefinition:
    """A parameter for ``options_class.field`` (a dotted path for nested options): type,
    default, bounds, choices and help from the schema.

    ``zero_is_none``: for a number whose default is None ("off"), the dialog shows 0 and 0
    reads back as None.
    """
    spec = option_spec(options_class, field)
    if spec.choices is not None:
        if spec.default is None:
            default = None
        elif spec.multiple:
            default = [str(item) for item in spec.default]
        else:
            default = str(spec.default)
        parameter = QgsProcessingParameterEnum(
            name,
            description,
            list(spec.choices.values()),
            allowMultiple=spec.multiple,
            defaultValue=default,
            optional=spec.nullable,
            usesStaticStrings=True,
        )
    elif spec.kind is bool:
        parameter = QgsProcessingParameterBoolean(name, description, bool(spec.default))
    elif spec.kind in (int, float):
        parameter = _number_parameter(name, description, spec, zero_is_none)
    elif spec.kind is str:
        parameter = QgsProcessingParameterString(
            name, description, spec.default, optional=spec.nullable
        )
    else:
        raise TypeError(f"{options_class.__name__}.{field}: no parameter type for {spec.kind!r}")
    help_text = spec.help_text()
    if zero_is_none:
        help_text += " 0 = off."
    parameter.setHelp(help_text)
    parameter.setMetadata(
        {
            **parameter.metadata(),
            OPTION_KEY: f"{options_class.__name__}.{field}",
            ZERO_IS_NONE_KEY: zero_is_none,
        }
    )
    if advanced:
        parameter.setFlags(parameter.flags() | ProcessingParameterFlag.Advanced)
    return parameter


def _read(algorithm, parameters, context, parameter, spec: OptionSpec) -> Any:
    name = parameter.name()
    zero_is_none = bool(parameter.metadata().get(ZERO_IS_NONE_KEY))
    value = parameters.get(name)
    if spec.choices is not None:
        if value is None or value == "" or value == []:
            return None if spec.nullable else spec.default
        if spec.multiple:
            return tuple(
                spec.choices.parse(item, spec.label)
                for item in algorithm.parameterAsEnumStrings(parameters, name, context)
            )
        return spec.choices.parse(
            algorithm.parameterAsEnumString(parameters, name, context), spec.label
        )
    if spec.kind is bool:
        return algorithm.parameterAsBool(parameters, name, context)
    if spec.kind in (int, float):
        if value is None or value == "":
            return None if spec.nullable else spec.default
        number = (algorithm.parameterAsInt if spec.kind is int else algorithm.parameterAsDouble)(
            parameters, name, context
        )
        return None if zero_is_none and number == 0 else number
    text = algorithm.parameterAsString(parameters, name, context)
    if not text:
        return None if spec.nullable else spec.default
    return text


def _nest(default: Any, values: Dict[str, Any]) -> Dict[str, Any]:
    """Dotted-path values -> field values of ``default``'s class, nested options rebuilt from
    ``default``'s parts (so they keep the defaults the outer class gives them)."""
    fields, parts = {}, {}
    for path, value in values.items():
        head, _, rest = path.partition(".")
        if rest:
            parts.setdefault(head, {})[rest] = value
        else:
            fields[head] = value
    for head, nested in parts.items():
        part = getattr(default, head)
        fields[head] = dataclasses.replace(part, **_nest(part, nested))
    return fields


def read_options(algorithm, parameters, context, options_class: Type, **given) -> Any:
    """An ``options_class`` instance from the algorithm's option parameters.

    Fields without a parameter keep their defaults unless passed in ``given`` (a field given
    whole also replaces the parameters of its nested options). Raises the core InputError of
    the validator when a value is out of its bounds.
    """
    values = {}
    prefix = f"{options_class.__name__}."
    for parameter in algorithm.parameterDefinitions():
        key = parameter.metadata().get(OPTION_KEY, "")
        if not key.startswith(prefix):
            continue
        field = key[len(prefix) :]
        if field.partition(".")[0] in given:
            continue
        spec = option_spec(options_class, field)
        values[field] = _read(algorithm, parameters, context, parameter, spec)
    return options_class(**{**_nest(options_class(), values), **given})


def option_help(options_class: type, field: str) -> Optional[str]:
    """The schema help of a field (a dotted path for nested options), for parameters built by
    hand (a date list, a point, a file)."""
    return option_spec(options_class, field).help_text()


#: the date format every date parameter names (YYYYMMDD, as in file names, is read too)
DATE_FORMAT = "YYYY-MM-DD"
#: metadata key of a date parameter: "one" date or a "list" of dates
DATE_KEY = "insar_subsidence_date"
MINTPY_FILTER = "MintPy HDF5 (*.h5 *.he5);;All files (*)"


def mintpy_file(name: str, description: str, help_text: str, optional: bool = False):
    """A MintPy ``.h5`` input (stack, geometry, time series, temporal coherence)."""
    parameter = QgsProcessingParameterFile(
        name, description, optional=optional, fileFilter=MINTPY_FILTER
    )
    return with_help(parameter, help_text)


def date_parameter(name: str, description: str, help_text: str, several: bool = False):
    """An optional date (or comma-separated dates) as YYYY-MM-DD, checked before any work."""
    parameter = QgsProcessingParameterString(
        name,
        f"{description} ({DATE_FORMAT}{', comma separated' if several else ''})",
        optional=True,
    )
    parameter.setMetadata({DATE_KEY: "list" if several else "one"})
    return with_help(
        parameter,
        f"{help_text} As {DATE_FORMAT}"
        + (", separated by commas" if several else "")
        + " (YYYYMMDD is read too).",
    )


def read_dates(algorithm, parameters, name: str, context) -> list:
    """The dates of a date parameter (an empty list when it is empty); InputError naming the
    parameter when one is not a date."""
    text = algorithm.parameterAsString(parameters, name, context) or ""
    dates = []
    for part in text.replace(";", ",").split(","):
        digits = part.strip().replace("-", "")
        if not digits:
            continue
        try:
            dates.append(dt.datetime.strptime(digits, "%Y%m%d").date())
        except ValueError:
            raise InputError(
                f"'{part.strip()}' is not a date.",
                name,
                f"write dates as {DATE_FORMAT}, e.g. 2019-06-10.",
            ) from None
    return dates


def read_date(algorithm, parameters, name: str, context):
    """The date of a date parameter, or None when it is empty."""
    dates = read_dates(algorithm, parameters, name, context)
    return dates[0] if dates else None


def check_dates(algorithm, parameters, context) -> None:
    """Parse every date parameter; InputError naming the first that is not a date."""
    for parameter in algorithm.parameterDefinitions():
        if parameter.metadata().get(DATE_KEY):
            read_dates(algorithm, parameters, parameter.name(), context)
