"""The options schema: choices by name, bounds checked in one validator, help from metadata."""

from dataclasses import dataclass
from typing import Optional, Tuple

import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.options import Choice, Options, option, option_spec, option_specs
from insar_subsidence.core.timeseries.sbas import InversionOptions, Weight


class Colour(Choice):
    RED = "red", "bright red"
    BLUE = "blue"


@dataclass
class Example(Options):
    colour: Colour = option(Colour.RED, help="Colour of the thing")
    size: float = option(2.0, help="Size", unit="m", minimum=0.0, maximum=10.0)
    limit: Optional[float] = option(None, help="Upper limit", unit="days", minimum=1.0)


def test_choices_parse_by_value_case_insensitively_and_refuse_unknown_names():
    assert Example(colour="blue").colour is Colour.BLUE
    assert Example(colour="RED").colour is Colour.RED
    assert Colour.RED == "red" and f"{Colour.RED}" == "red" and str(Colour.BLUE) == "blue"
    with pytest.raises(InputError, match=r"unknown colour 'green'.*red \(bright red\), blue"):
        Example(colour="green")


def test_bounds_are_checked_with_units_and_none_means_off():
    assert Example(size=0.0, limit=None).limit is None
    with pytest.raises(InputError, match=r"'size' = 11 m is above its maximum 10 m"):
        Example(size=11)
    with pytest.raises(InputError, match=r"'limit' = 0.5 days is below its minimum 1 days"):
        Example(limit=0.5)
    with pytest.raises(InputError, match="not a number"):
        Example(size=float("nan"))


def test_specs_carry_default_help_unit_and_choices():
    spec = option_spec(Example, "size")
    assert (spec.default, spec.unit, spec.minimum, spec.maximum) == (2.0, "m", 0.0, 10.0)
    assert spec.help_text() == "Size. Unit: m. Range: 0 to 10."
    assert option_spec(Example, "limit").nullable
    assert option_spec(Example, "colour").choices is Colour
    assert "Choices: red (bright red), blue." in option_spec(Example, "colour").help_text()
    assert set(option_specs(Example)) == {"colour", "size", "limit"}


def test_real_options_validate_on_construction():
    assert InversionOptions(weight="fim").weight is Weight.FIM
    with pytest.raises(InputError, match="unknown weight"):
        InversionOptions(weight="heavy")
    with pytest.raises(InputError, match="mask coherence"):
        InversionOptions(mask_coherence=1.5)


@dataclass
class Palette(Options):
    colours: Tuple[Colour, ...] = option((Colour.RED,), help="Colours used")
    main: Example = option(factory=lambda: Example(size=5.0), help="Main example")


def test_a_tuple_of_choices_takes_one_or_more_names():
    assert Palette(colours=("blue", "RED")).colours == (Colour.BLUE, Colour.RED)
    assert Palette(colours="blue").colours == (Colour.BLUE,)
    spec = option_spec(Palette, "colours")
    assert spec.multiple and spec.choices is Colour
    assert "One or more of: red (bright red), blue." in spec.help_text()
    with pytest.raises(InputError, match="needs at least one value"):
        Palette(colours=())
    with pytest.raises(InputError, match="unknown colours 'green'"):
        Palette(colours=("red", "green"))


def test_a_dotted_name_reaches_nested_options_with_the_outer_default():
    spec = option_spec(Palette, "main.size")
    assert spec.default == 5.0 and option_spec(Example, "size").default == 2.0
    assert (spec.unit, spec.maximum) == ("m", 10.0)
    with pytest.raises(KeyError, match="Example has no option 'weight'"):
        option_spec(Palette, "main.weight")
