"""Point-product readers on trimmed REAL files (EGMS L2b/L3, DePSI) and on bad inputs."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import zipfile

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.ingest.point_import import (
    DisplacementUnit,
    PointFormat,
    PointImportOptions,
    detect_format,
    import_points,
)
from insar_subsidence.core.io.point_layers import read_points
from insar_subsidence.core.timeseries.rate_fit import linear_rate

L3 = "points/EGMS_L3_E45N17_100km_U_2020_2024_1_trim.csv"
L2B = "points/EGMS_L2b_022_0845_IW2_VV_2020_2024_1_trim.csv.gz"
DEPSI = "points/depsi_amsterdam_trim.csv"


def _rows(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _by_id(points, id_field):
    return {str(v): i for i, v in enumerate(points.fields[id_field])}


def test_egms_l3_fields_dates_and_values(test_data, tmp_path):
    header, rows = _rows(test_data / L3)
    summary = import_points(test_data / L3, tmp_path / "l3.gpkg")
    assert summary.format == "egms" and summary.epsg == 3035
    points = read_points(tmp_path / "l3.gpkg")
    date_columns = [h for h in header if h.isdigit() and len(h) == 8]
    assert len(points) == len(rows) == 300
    assert len(points.dates) == len(date_columns) == 304
    assert points.dates[0] == dt.date(2020, 1, 3)
    assert points.epsg == 3035
    # every non-date, non-coordinate column is kept, plus VEL and VEL_STD
    kept = set(header) - set(date_columns) - {"easting", "northing"}
    assert kept | {"VEL", "VEL_STD"} == set(points.fields)
    index = _by_id(points, "pid")
    for row in (rows[0], rows[137], rows[-1]):
        i = index[row[0]]
        assert points.x[i] == pytest.approx(float(row[header.index("easting")]))
        assert points.y[i] == pytest.approx(float(row[header.index("northing")]))
        assert points.fields["VEL"][i] == pytest.approx(float(row[header.index("mean_velocity")]))
        assert points.fields["VEL_STD"][i] == pytest.approx(
            float(row[header.index("mean_velocity_std")])
        )
        assert points.displacement_mm[i, 0] == pytest.approx(float(row[header.index("20200103")]))
        assert points.displacement_mm[i, -1] == pytest.approx(
            float(row[header.index(date_columns[-1])])
        )


@pytest.mark.parametrize("as_zip", [False, True])
def test_egms_l2b_gz_and_zip(test_data, tmp_path, as_zip):
    source = test_data / L2B
    header, rows = _rows(source)
    if as_zip:
        zipped = tmp_path / "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip"
        with zipfile.ZipFile(zipped, "w") as archive:
            archive.writestr(
                "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.csv", gzip.decompress(source.read_bytes())
            )
            archive.writestr("EGMS_L2b_022_0845_IW2_VV_2020_2024_1.xml", "<metadata/>")
        source = zipped
    import_points(source, tmp_path / "l2b.gpkg")
    points = read_points(tmp_path / "l2b.gpkg")
    date_columns = [h for h in header if h.isdigit() and len(h) == 8]
    assert len(points) == 300 and len(points.dates) == len(date_columns) == 210
    for name in (
        "temporal_coherence",
        "amplitude_dispersion",
        "mean_velocity_std",
        "acceleration",
        "seasonality",
        "rmse_ts",
        "height_ortho",
        "latitude",
    ):
        assert name in points.fields
    row = rows[42]
    i = _by_id(points, "pid")[row[0]]
    assert points.x[i] == pytest.approx(float(row[header.index("easting")]))
    assert points.fields["latitude"][i] == pytest.approx(float(row[header.index("latitude")]))
    assert points.fields["temporal_coherence"][i] == pytest.approx(
        float(row[header.index("temporal_coherence")])
    )
    expected = np.array([float(row[header.index(c)]) for c in date_columns])
    np.testing.assert_allclose(points.displacement_mm[i], expected)


def test_depsi_metres_to_mm_and_velocity(test_data, tmp_path):
    header, rows = _rows(test_data / DEPSI)
    summary = import_points(test_data / DEPSI, tmp_path / "depsi.gpkg")
    assert summary.format == "depsi" and summary.epsg == 4326
    points = read_points(tmp_path / "depsi.gpkg")
    date_columns = [h for h in header if h.startswith("d_")]
    assert len(points) == 200 and len(points.dates) == len(date_columns) == 11
    assert points.dates[-1] == dt.date(2016, 7, 15)
    assert not any(n.startswith(("a_", "h2ph_")) for n in points.fields)
    row = rows[17]
    i = _by_id(points, "pnt_id")[row[header.index("pnt_id")]]
    assert points.x[i] == pytest.approx(float(row[header.index("pnt_lon")]))
    assert points.y[i] == pytest.approx(float(row[header.index("pnt_lat")]))
    expected_mm = np.array([float(row[header.index(c)]) for c in date_columns]) * 1000
    np.testing.assert_allclose(points.displacement_mm[i], expected_mm, atol=1e-9)
    assert points.fields["VEL"][i] == pytest.approx(float(row[header.index("pnt_linear")]) * 1000)
    assert points.fields["pnt_enscoh"][i] == pytest.approx(float(row[header.index("pnt_enscoh")]))


def test_generic_csv_unit_pattern_and_fitted_velocity(tmp_path):
    path = tmp_path / "points.csv"
    years = np.array([0, 0.5, 1.0, 1.5])
    path.write_text(
        "name;x;y;D_2020-01-01;D_2020-07-01;D_2021-01-01;D_2021-07-01\n"
        "a;500000;4000000;0;-0.5;-1.0;-1.5\n"
        "b;500100;4000100;0;0.2;;0.6\n"
    )
    options = PointImportOptions(
        format="generic", date_pattern=r"^D_(\d{4}-\d{2}-\d{2})$", unit="cm", epsg=32649
    )
    summary = import_points(path, tmp_path / "out.gpkg", options)
    assert summary.count == 2 and summary.epsg == 32649
    points = read_points(tmp_path / "out.gpkg")
    np.testing.assert_allclose(points.displacement_mm[0], [0, -5, -10, -15])
    assert np.isnan(points.displacement_mm[1, 2])
    # 2020-01-01 -> 2021-07-01 is 547 days, not exactly 1.5 yr: compare with the same axis
    assert points.fields["VEL"][0] == pytest.approx(-15 / (547 / 365.25), rel=1e-3)
    assert points.fields["VEL"][1] == pytest.approx(6 / (547 / 365.25), rel=1e-2)
    slope, std = linear_rate(years, np.array([[1.0, 2.0, 3.0, 4.0]]).T)
    assert slope[0] == pytest.approx(2.0) and std[0] == pytest.approx(0.0, abs=1e-9)


def test_irregular_chunks_read_as_regular_ones(test_data, tmp_path):
    """Chunks with quoted ids, blank lines, empty cells and Windows line ends go through the
    csv module instead of numpy's reader: the layer must not tell them apart."""
    header, rows = _rows(test_data / L2B)
    plain, irregular = tmp_path / "plain.csv", tmp_path / "irregular.csv"
    with open(plain, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows[:9]])
    with open(irregular, "w", newline="") as f:
        f.write(",".join(header) + "\r\n")
        for k, row in enumerate(rows[:9]):
            cells = list(row)
            if k == 2:
                cells[0] = f'"{cells[0]}"'
            if k == 5:
                f.write("\r\n")
            if k == 7:
                cells[header.index("gnss_velocity")] = ""
            f.write(",".join(cells) + "\r\n")
    options = PointImportOptions(chunk_rows=2)
    import_points(plain, tmp_path / "plain.gpkg", options)
    import_points(irregular, tmp_path / "irregular.gpkg", options)
    expected, found = read_points(tmp_path / "plain.gpkg"), read_points(tmp_path / "irregular.gpkg")
    np.testing.assert_array_equal(found.x, expected.x)
    np.testing.assert_array_equal(found.displacement_mm, expected.displacement_mm)
    assert list(found.fields["pid"]) == [row[0] for row in rows[:9]]
    gnss = found.fields["gnss_velocity"]
    assert np.isnan(gnss[7]) and gnss[6] == pytest.approx(
        float(rows[6][header.index("gnss_velocity")])
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("lon,lat,20200101,20200113\n1,2,0,1\n\n1,2,0,1\n1.5,2.5,0\n")
    for chunk_rows in (1, 5000):
        with pytest.raises(InputError, match="line 5 has 3 values"):
            import_points(bad, tmp_path / "bad.gpkg", PointImportOptions(chunk_rows=chunk_rows))


def test_stamps_visualizer_export(tmp_path):
    path = tmp_path / "stamps_tsexport.csv"
    # MATLAB datenum(2020,1,3) = 737793; the export stores day - 1
    path.write_text(
        "export_res_1,export_res_2,export_res_3,export_res_4,export_res_5\n"
        "13.17,38.69,NaN,737792,737804\n"
        "13.171,38.691,-2.5,0,-1.2\n"
    )
    summary = import_points(path, tmp_path / "stamps.gpkg")
    assert summary.format == "stamps"
    points = read_points(tmp_path / "stamps.gpkg")
    assert points.dates == [dt.date(2020, 1, 3), dt.date(2020, 1, 15)]
    assert points.fields["VEL"][0] == pytest.approx(-2.5)
    np.testing.assert_allclose(points.displacement_mm[0], [0, -1.2])


def test_detect_format():
    assert detect_format(["pid", "easting", "northing", "mean_velocity", "20200103"]) == "egms"
    assert detect_format(["", "pnt_id", "pnt_lat", "pnt_lon", "d_20160327"]) == "depsi"
    assert detect_format(["lon", "lat", "20200103"]) == "generic"


@pytest.mark.parametrize(
    "content, needle",
    [
        ("", "is empty"),
        ("lon,lat,20200101,20200113\n", "no points"),
        ("pid easting northing\tmean_velocity", "delimiter"),
        ("lon,lat,20200101,2020-01-13\n1,2,0,1\n", "mixed date formats"),
        ("name,value,20200101\na,1,0\n", "no x / longitude column"),
        ("lon;lat;20200101;20200113\n1,5;2,5;0;1\n", "not a number"),
        ("lon,lat,20200101,20200113\n1.5,2.5,0\n", "line 2 has 3 values"),
    ],
)
def test_bad_inputs_name_the_file(tmp_path, content, needle):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InputError) as error:
        import_points(path, tmp_path / "out.gpkg")
    assert needle in str(error.value)
    assert str(path) in str(error.value)
    assert not (tmp_path / "out.gpkg").exists()


def test_missing_egms_coordinates(tmp_path):
    path = tmp_path / "egms.csv"
    path.write_text("pid,latitude,longitude,mean_velocity,20200103\nx,38,13,1.0,0\n")
    with pytest.raises(InputError, match="coordinate column 'easting' is missing"):
        import_points(path, tmp_path / "out.gpkg", PointImportOptions(format="egms"))


def test_mintpy_timeseries_all_pixels_and_points(tmp_path):
    from insar_subsidence.core.grid import Grid
    from insar_subsidence.core.io.mintpy import (
        TimeSeries,
        write_temporal_coherence,
        write_timeseries,
    )
    from insar_subsidence.core.io.point_layers import PointSeries, write_points

    grid = Grid(500000.0, 4000000.0, 100.0, -100.0, 4, 3, 32649)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * k) for k in range(5)]
    years = np.array([(d - dates[0]).days for d in dates]) / 365.25
    rate = np.arange(12, dtype=float).reshape(3, 4) * -0.001  # m/yr
    data = (years[:, None, None] * rate[None]).astype(np.float32)
    write_timeseries(tmp_path / "timeseries.h5", TimeSeries(dates, data, grid, {}))
    coherence = np.full((3, 4), 0.9, np.float32)
    coherence[0, 1] = 0.2
    write_temporal_coherence(tmp_path / "temporalCoherence.h5", grid, coherence)
    summary = import_points(tmp_path / "timeseries.h5", tmp_path / "ts.gpkg")
    # pixel (0, 1) is incoherent; (0, 0) never moves (like a reference pixel) but is coherent
    assert summary.format == "mintpy" and summary.count == 11
    points = read_points(tmp_path / "ts.gpkg")
    i = int(np.nonzero((points.fields["row"] == 2) & (points.fields["col"] == 3))[0][0])
    assert points.fields["VEL"][i] == pytest.approx(-11.0, rel=1e-4)
    x, y = grid.xy(2, 3)
    assert (points.x[i], points.y[i]) == pytest.approx((float(x), float(y)))
    # sampled at one point of a layer
    write_points(
        tmp_path / "where.gpkg",
        PointSeries(np.array([float(x)]), np.array([float(y)]), 32649, [], np.zeros((1, 0))),
    )
    options = PointImportOptions(format="mintpy", sample_points=str(tmp_path / "where.gpkg"))
    assert import_points(tmp_path / "timeseries.h5", tmp_path / "one.gpkg", options).count == 1
    one = read_points(tmp_path / "one.gpkg")
    np.testing.assert_allclose(one.displacement_mm[0], data[:, 2, 3] * 1000, rtol=1e-6)


def test_format_and_unit_are_choices_named_in_errors():
    assert PointImportOptions(format="EGMS", unit="cm").format is PointFormat.EGMS
    assert PointImportOptions(unit="cm").unit is DisplacementUnit.CM
    assert [unit.to_mm for unit in DisplacementUnit] == [1.0, 10.0, 1000.0]
    with pytest.raises(InputError, match=r"unknown format 'shapefile'.*egms \(EGMS.*generic"):
        PointImportOptions(format="shapefile")
    with pytest.raises(InputError, match=r"unknown unit 'inch'.*mm \(millimetres\), cm"):
        PointImportOptions(unit="inch")
    with pytest.raises(InputError, match=r"'coherence threshold' = 1.5 is above its maximum 1"):
        PointImportOptions(coherence_threshold=1.5)
    with pytest.raises(InputError, match=r"'chunk rows' = 0 points is below its minimum 1"):
        PointImportOptions(chunk_rows=0)
