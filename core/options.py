"""Options dataclasses as the one schema of every step: defaults, bounds, units, help, choices.

Each step's options are a dataclass deriving from :class:`Options`; each field is declared with
:func:`option`, which keeps its default beside a one-line help, its unit and its bounds. Choices
are :class:`Choice` enums (``str`` values that scripts, models and ``qgis_process`` use, each
with a label for people). Constructing the dataclass validates every field in one place
(:func:`validate`): a string becomes its enum member, a number outside its bounds or an unknown
choice raises :class:`~core.errors.InputError` naming the option and the values allowed.

The Processing glue builds each parameter from the same metadata (``processing_provider/
parameters.py``), so the dialog's defaults, ranges and help come from here and nowhere else.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import typing
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple, Type

from .errors import InputError

_NO_DEFAULT = dataclasses.MISSING


class Choice(str, enum.Enum):
    """A choice of an option: a ``str`` value with a label for people.

    Members are declared as ``NAME = "value", "label"``.
    """

    label: str

    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @classmethod
    def values(cls) -> Tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def described(cls) -> str:
        """'a (label a), b (label b)' for messages and help texts."""
        return ", ".join(
            member.value if member.label == member.value else f"{member.value} ({member.label})"
            for member in cls
        )

    @classmethod
    def parse(cls, value: Any, what: str = "") -> "Choice":
        """The member named by ``value`` (the value itself, case-insensitive)."""
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        for member in cls:
            if text == member.value or text.lower() == member.value.lower():
                return member
        raise InputError(
            f"unknown {what or cls.__name__} '{value}'.", None, f"use one of: {cls.described()}."
        )


def option(
    default: Any = _NO_DEFAULT,
    *,
    help: str,
    unit: str = "",
    minimum: Optional[float] = None,
    maximum: Optional[float] = None,
    label: str = "",
    factory: Optional[typing.Callable[[], Any]] = None,
) -> Any:
    """A dataclass field with its help, unit and bounds.

    Parameters
    ----------
    default
        The default value (immutable); use ``factory`` for lists.
    help
        One line for people: what the option does, in the words of the dialog.
    unit
        Unit of a number, as shown to people (``"mm/yr"``, ``"days"``, ``"m"``).
    minimum, maximum
        Inclusive bounds of a number (None = unbounded). ``None`` as a value is always allowed
        for fields whose default is None ("off").
    label
        Short name for dialogs (default: from the field name).
    """
    metadata = {"help": help, "unit": unit, "minimum": minimum, "maximum": maximum, "label": label}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def option_default(options_class: type, name: str, default: Any) -> Any:
    """The field ``name`` of ``options_class`` again, with another default (same help, unit and
    bounds): for a subclass whose use needs other defaults (planning vs selecting a network)."""
    return dataclasses.field(
        default=default, metadata=options_class.__dataclass_fields__[name].metadata
    )


@dataclass(frozen=True)
class OptionSpec:
    """What the schema says of one option (see :func:`option`)."""

    name: str
    default: Any
    help: str
    unit: str
    minimum: Optional[float]
    maximum: Optional[float]
    label: str
    #: the value type with Optional[...] removed (bool, int, float, str, a Choice, ...); for a
    #: tuple of choices, the Choice of its items
    kind: Any
    #: True when None is an allowed value ("off")
    nullable: bool
    #: True for a tuple of choices (``Tuple[SomeChoice, ...]``): one or more of them
    multiple: bool = False

    @property
    def choices(self) -> Optional[Type[Choice]]:
        return self.kind if isinstance(self.kind, type) and issubclass(self.kind, Choice) else None

    def help_text(self) -> str:
        """The help with its unit, bounds and choices, as shown in dialogs."""
        parts = [self.help.rstrip(".") + "."]
        if self.unit:
            parts.append(f"Unit: {self.unit}.")
        if self.minimum is not None or self.maximum is not None:
            low = "" if self.minimum is None else f"{self.minimum:g}"
            high = "" if self.maximum is None else f"{self.maximum:g}"
            parts.append(
                f"Range: {low} to {high}."
                if low and high
                else (f"At least {low}." if low else f"At most {high}.")
            )
        if self.choices is not None:
            which = "One or more of" if self.multiple else "Choices"
            parts.append(f"{which}: {self.choices.described()}.")
        return " ".join(parts)


def _unwrap_optional(hint) -> Tuple[Any, bool]:
    if typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(hint))
        return (args[0] if len(args) == 1 else hint), nullable
    return hint, False


def _choice_items(hint) -> Optional[Type[Choice]]:
    """The Choice of ``Tuple[SomeChoice, ...]``, else None."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        if isinstance(args[0], type) and issubclass(args[0], Choice):
            return args[0]
    return None


@functools.lru_cache(maxsize=None)
def option_specs(cls: type) -> Dict[str, OptionSpec]:
    """Every field of an options dataclass declared with :func:`option`, by name."""
    hints = typing.get_type_hints(cls)
    specs = {}
    for f in dataclasses.fields(cls):
        if "help" not in f.metadata:
            continue
        kind, nullable = _unwrap_optional(hints.get(f.name, Any))
        items = _choice_items(kind)
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        meta = f.metadata
        specs[f.name] = OptionSpec(
            name=f.name,
            default=default,
            help=meta["help"],
            unit=meta["unit"],
            minimum=meta["minimum"],
            maximum=meta["maximum"],
            label=meta["label"] or f.name.replace("_", " "),
            kind=items or kind,
            nullable=nullable or default is None,
            multiple=items is not None,
        )
    return specs


def option_spec(cls: type, name: str) -> OptionSpec:
    """The spec of one field; a dotted name (``"model.network.epochs"``) reaches into nested
    options, and its default is then the one the default ``cls()`` holds there (an outer class
    may give its parts other defaults than their own)."""
    *parents, field_name = name.split(".")
    owner, instance = cls, None
    if parents:
        instance = cls()
        for parent in parents:
            instance = getattr(instance, parent)
        owner = type(instance)
    try:
        spec = option_specs(owner)[field_name]
    except KeyError:
        raise KeyError(
            f"{owner.__name__} has no option '{field_name}' declared with option()"
        ) from None
    if instance is None:
        return spec
    return dataclasses.replace(spec, default=getattr(instance, field_name))


def validate(options: Any) -> None:
    """Coerce choices to their enums and check bounds; raise InputError naming the option."""
    for name, spec in option_specs(type(options)).items():
        value = getattr(options, name)
        if value is None:
            if not spec.nullable:
                raise InputError(f"option '{spec.label}' needs a value.", None, spec.help_text())
            continue
        if spec.multiple:
            items = (value,) if isinstance(value, str) else tuple(value)
            if not items:
                raise InputError(
                    f"option '{spec.label}' needs at least one value.", None, spec.help_text()
                )
            object.__setattr__(
                options, name, tuple(spec.choices.parse(item, spec.label) for item in items)
            )
            continue
        if spec.choices is not None:
            object.__setattr__(options, name, spec.choices.parse(value, spec.label))
            continue
        if spec.minimum is None and spec.maximum is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if value != value:  # NaN
            raise InputError(f"option '{spec.label}' is not a number.", None, spec.help_text())
        unit = f" {spec.unit}" if spec.unit else ""
        if spec.minimum is not None and value < spec.minimum:
            raise InputError(
                f"option '{spec.label}' = {value:g}{unit} is below its minimum "
                f"{spec.minimum:g}{unit}.",
                None,
                spec.help_text(),
            )
        if spec.maximum is not None and value > spec.maximum:
            raise InputError(
                f"option '{spec.label}' = {value:g}{unit} is above its maximum "
                f"{spec.maximum:g}{unit}.",
                None,
                spec.help_text(),
            )


class Options:
    """Base of the options dataclasses: validated on construction (see :func:`validate`)."""

    def __post_init__(self) -> None:
        validate(self)
