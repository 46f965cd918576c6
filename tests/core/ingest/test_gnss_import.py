"""GNSS readers on hand-made files of each format, rates against the truth, refusals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.ingest import DisplacementUnit
from insar_subsidence.core.ingest.gnss_import import (
    GnssFormat,
    GnssImportOptions,
    date_of_decimal_year,
    detect_gnss_format,
    import_gnss,
)
from insar_subsidence.core.io.gnss import is_gnss_layer, read_gnss_layer
from tests.core import gnss_synthetic as synthetic

START = dt.date(2019, 3, 1)
RATES = (3.0, -2.0, -10.0)  # mm/yr east, north, up


def _truth(days=900, every=1, annual=2.0):
    dates = synthetic.daily(START, days, every)
    return dates, synthetic.enu_series(dates, RATES, annual)


def test_tenv3_with_position_columns_and_e0_rollover(tmp_path):
    dates, enu = _truth()
    path = tmp_path / "JCM1.tenv3"
    path.write_text(synthetic.tenv3_text("JCM1", dates, enu))
    stations = import_gnss([path], tmp_path / "gnss.gpkg")
    station = stations[0]
    assert station.name == "JCM1" and (station.lon, station.lat) == (112.85, 35.49)
    assert station.dates[0] == START and len(station) == 900
    # positions are e0 + east: the rollover of the integer metres leaves no 1 m jump
    np.testing.assert_allclose(station.enu_mm, enu - enu[0], atol=1e-3)
    rates = station.rates
    assert (rates["VEL_E"], rates["VEL_N"], rates["VEL_U"]) == pytest.approx(RATES, abs=1e-3)
    assert rates["VEL"] == rates["VEL_U"]
    assert is_gnss_layer(tmp_path / "gnss.gpkg")
    back = read_gnss_layer(tmp_path / "gnss.gpkg")[0]
    assert back.dates == station.dates
    np.testing.assert_allclose(back.enu_mm, station.enu_mm, atol=1e-9)
    np.testing.assert_allclose(back.sigma_mm[0], [1.1, 1.2, 4.5])
    assert back.rates["VEL_U"] == pytest.approx(-10.0, abs=1e-3)


def test_tenv3_without_coordinates_needs_a_station_table(tmp_path):
    dates, enu = _truth(200)
    path = tmp_path / "OLD1.IGS08.tenv3"
    path.write_text(synthetic.tenv3_text("OLD1", dates, enu, with_position=False))
    with pytest.raises(InputError, match="no coordinates") as error:
        import_gnss([path], tmp_path / "gnss.gpkg")
    assert "OLD1.IGS08.tenv3" in str(error.value) and "station table" in str(error.value)
    table = tmp_path / "stations.csv"
    table.write_text("name,lon,lat\nOLD1,112.5,35.25\n")
    (station,) = import_gnss([path], tmp_path / "gnss.gpkg", table)
    assert (station.lon, station.lat) == (112.5, 35.25)


def test_neu_columns_in_centimetres(tmp_path):
    dates, enu = _truth(730, every=7, annual=0.0)
    path = tmp_path / "SHAQ_neu_cm.col"
    path.write_text(synthetic.columns_text(dates, enu, 0.1, lonlat=(111.2, 37.4)))
    assert detect_gnss_format(path) == GnssFormat.COLUMNS
    (station,) = import_gnss([path], tmp_path / "gnss.gpkg")
    assert station.name == "SHAQ" and (station.lon, station.lat) == (111.2, 37.4)
    assert station.dates == dates  # decimal years back to their days
    np.testing.assert_allclose(station.enu_mm, enu - enu[0], atol=1e-3)  # cm -> mm
    np.testing.assert_allclose(station.sigma_mm[0], [0.1, 0.1, 0.3], atol=1e-9)
    assert station.rates["VEL_N"] == pytest.approx(-2.0, abs=1e-3)
    # the same file read as millimetres gives rates ten times smaller
    (as_mm,) = import_gnss(
        [path], tmp_path / "mm.gpkg", options=GnssImportOptions(unit=DisplacementUnit.MM)
    )
    assert as_mm.rates["VEL_N"] == pytest.approx(-0.2, abs=1e-4)


def test_csv_of_two_stations_and_period(tmp_path):
    dates, enu = _truth(800, every=3)
    other = synthetic.enu_series(dates, (0.0, 0.0, 1.5))
    path = tmp_path / "network.csv"
    path.write_text(
        synthetic.csv_text([("A1", (112.1, 35.1), dates, enu), ("B2", (112.2, 35.2), dates, other)])
    )
    options = GnssImportOptions(start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 12, 31))
    a, b = import_gnss([path], tmp_path / "gnss.gpkg", options=options)
    assert (a.name, b.name) == ("A1", "B2")
    assert a.dates[0] >= dt.date(2020, 1, 1) and a.dates[-1] <= dt.date(2020, 12, 31)
    assert a.enu_mm[0].tolist() == [0.0, 0.0, 0.0]  # relative to the first kept epoch
    assert b.rates["VEL_U"] == pytest.approx(1.5, abs=1e-3)
    assert a.rates["VEL_E"] == pytest.approx(3.0, abs=1e-3)
    layer = read_gnss_layer(tmp_path / "gnss.gpkg")
    assert [s.name for s in layer] == ["A1", "B2"] and layer[1].lon == pytest.approx(112.2)


def test_bad_files_are_refused(tmp_path):
    columns = tmp_path / "XX_neu_mm.col"
    columns.write_text("2020.1 1.0 2.0\n")
    with pytest.raises(InputError, match="at least decimal year, north, east"):
        import_gnss([columns], tmp_path / "g.gpkg")
    header_only = tmp_path / "H.tenv3"
    header_only.write_text(synthetic.TENV3_HEADER + "\n")
    with pytest.raises(InputError, match="no epochs"):
        import_gnss([header_only], tmp_path / "g.gpkg")
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("when,e,n\n2020-01-01,1,2\n")
    with pytest.raises(InputError, match="date .* column") as error:
        import_gnss([csv_path], tmp_path / "g.gpkg")
    assert "missing: up" in str(error.value)
    dates, enu = _truth(100)
    twice = tmp_path / "twice.csv"
    twice.write_text(synthetic.csv_text([("A1", (112.1, 35.1), dates, enu)]))
    copy = tmp_path / "copy.csv"
    copy.write_text(twice.read_text())
    with pytest.raises(InputError, match="occur twice"):
        import_gnss([twice, copy], tmp_path / "g.gpkg")
    table = tmp_path / "table.csv"
    table.write_text("code,x\nA1,1\n")
    with pytest.raises(InputError, match="name, lon and lat"):
        import_gnss([twice], tmp_path / "g.gpkg", table)
    assert not (tmp_path / "g.gpkg").exists()


def test_decimal_years_to_days():
    assert date_of_decimal_year(2020.0) == dt.date(2020, 1, 1)
    assert date_of_decimal_year(2020.5) == dt.date(2020, 7, 2)
    assert date_of_decimal_year(2021.0 - 0.5 / 366) == dt.date(2020, 12, 31)
