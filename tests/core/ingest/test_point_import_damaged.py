"""EGMS / CSV import of damaged files: every problem is refused at its line (and column) with
the file named, nothing is silently lost or misplaced, and no output is left behind. Built
from the trimmed real EGMS L2b file (latitude/longitude and easting/northing)."""

import gzip

import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.ingest.point_import import PointImportOptions, import_points
from insar_subsidence.core.io.point_layers import read_points

L2B = "points/EGMS_L2b_022_0845_IW2_VV_2020_2024_1_trim.csv.gz"


@pytest.fixture
def egms(test_data):
    """Header and rows (lists of cells) of the real trimmed EGMS L2b file."""
    with gzip.open(test_data / L2B, "rt") as f:
        lines = f.read().splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


@pytest.fixture
def fresh(egms):
    """A function giving a new copy of the EGMS header and rows to damage."""
    return lambda: (list(egms[0]), [list(row) for row in egms[1]])


def _write(path, header, rows, encoding="utf-8"):
    text = "\n".join(",".join(r) for r in [header] + rows) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def _refused(path, tmp_path, message, **options):
    output = tmp_path / "out" / "points.gpkg"
    with pytest.raises(InputError, match=message) as error:
        import_points(path, output, PointImportOptions(**options))
    assert error.value.path == str(path)
    assert not output.parent.exists() or not any(output.parent.iterdir())
    return error.value


def test_infinite_values_are_refused_at_their_line_and_column(fresh, tmp_path):
    header, rows = fresh()
    rows[41][header.index("20200115")] = "inf"
    _refused(_write(tmp_path / "inf.csv", header, rows), tmp_path, "line 43, column '20200115'")
    header, rows = fresh()
    rows[3][header.index("mean_velocity")] = "1e999"
    _refused(_write(tmp_path / "big.csv", header, rows), tmp_path, "'1e999' is infinite")


def test_an_error_after_the_first_chunk_is_reported_at_its_own_line(egms, tmp_path):
    header, rows = egms
    rows[237][header.index("20200121")] = "1,5"  # decimal comma in a comma-separated file
    path = _write(tmp_path / "late.csv", header, rows)
    _refused(path, tmp_path, "line 239 has 236 values", chunk_rows=100)
    rows[237] = rows[236][:]
    rows[237][header.index("20200121")] = "abc"
    _refused(
        _write(path, header, rows),
        tmp_path,
        "line 239, column '20200121': 'abc' is not a number",
        chunk_rows=100,
    )


@pytest.mark.parametrize("damaged", ["2020O121", "20200 21", "20201321"])
def test_a_damaged_date_header_is_refused_instead_of_becoming_a_field(egms, tmp_path, damaged):
    header, rows = egms
    header[header.index("20200121")] = damaged
    _refused(
        _write(tmp_path / "header.csv", header, rows), tmp_path, f"'{damaged}' is named like a date"
    )


def test_a_non_date_column_among_the_egms_dates_is_refused(egms, tmp_path):
    header, rows = egms
    header[header.index("20200121")] = "note"
    _refused(_write(tmp_path / "note.csv", header, rows), tmp_path, "'note' is named like a date")


def test_swapped_easting_and_northing_are_refused(fresh, tmp_path):
    header, rows = fresh()
    east, north = header.index("easting"), header.index("northing")
    for row in rows:
        row[east], row[north] = row[north], row[east]
    error = _refused(_write(tmp_path / "swapped.csv", header, rows), tmp_path, "swapped")
    assert "line 2" in error.problem
    header, rows = fresh()
    rows[150][east] = str(float(rows[150][east]) + 5000.0)
    _refused(_write(tmp_path / "moved.csv", header, rows), tmp_path, "line 152: .* 5.0 km from")


def test_rows_without_coordinates_are_counted(egms, tmp_path):
    header, rows = egms
    for k in (10, 11, 200):
        rows[k][header.index("easting")] = ""
    messages = []
    summary = import_points(
        _write(tmp_path / "holes.csv", header, rows),
        tmp_path / "holes.gpkg",
        progress=lambda fraction, message: messages.append(message) or True,
    )
    assert summary.count == len(rows) - 3 and summary.skipped == 3
    assert "3 rows without coordinates skipped (the first at line 12)" in messages[-1]
    assert len(read_points(tmp_path / "holes.gpkg")) == len(rows) - 3


def test_latin1_bytes_are_refused_at_their_line(egms, tmp_path):
    header, rows = egms
    rows[99][header.index("pid")] = "caf\xe9"
    path = _write(tmp_path / "latin1.csv", header, rows, encoding="latin-1")
    _refused(path, tmp_path, "line 101 is not UTF-8 text")


def test_more_date_columns_than_a_geopackage_holds_are_refused(egms, tmp_path):
    import datetime as dt

    header, rows = egms
    first = header.index("20200103")
    dates = [(dt.date(2000, 1, 1) + dt.timedelta(days=k)).strftime("%Y%m%d") for k in range(2100)]
    header = header[:first] + dates
    rows = [row[:first] + ["0.0"] * len(dates) for row in rows[:3]]
    _refused(_write(tmp_path / "wide.csv", header, rows), tmp_path, "2100 date columns")


def test_a_huge_field_is_refused_at_its_line(egms, tmp_path):
    header, rows = egms
    rows[20][header.index("pid")] = "x" * 200_000
    _refused(_write(tmp_path / "huge.csv", header, rows), tmp_path, "line 22 cannot be read as CSV")


def test_a_truncated_gzip_is_refused(test_data, tmp_path):
    data = (test_data / L2B).read_bytes()
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    _refused(path, tmp_path, "damaged or cut off after line")
