"""Write the demo scene's truth: what every later step is scored against.

* ``truth_velocity_vertical.tif`` and ``truth_velocity_los.tif``: mean velocity, mm/yr
  (LOS positive toward the satellite; subsidence negative in both);
  ``truth_velocity_east.tif``: mean east velocity (mm/yr, positive east) of the longwall basins'
  horizontal movement; ``truth_cumulative_vertical.tif``: vertical displacement from the first
  to the last date (mm);
* ``truth_timeseries.h5``: LOS displacement (n, L, W) in metres, MintPy ``timeseries`` layout;
* ``bowls.csv``: every mining source (the longwall panels and the shaft trough): centre, size,
  peak of the truth mean velocity, onset, stop, advance of a longwall face (m/yr), kind;
* ``panels.csv``, ``panels.gpkg`` and ``panels_mined.gpkg``: the longwall panels with their
  geometry and PIM parameters (planned outline, and the part extracted by the last date);
  ``panels/<name>.gpkg``: one layer per panel holding only its extracted part (the PANEL input
  of ``subsidence:pimfit``), ``panels/<name>_planned.gpkg`` its planned outline;
* ``dem.tif``: true terrain height (m); ``dem_error.tif``: true height minus the DEM in the
  HyP3 products (m). It enters the products' LOS displacement (positive toward the satellite)
  as ``bperp * dem_error / (slant_range * sin(incidence))``, MintPy's DEM-error model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np

from ..atomic import csv_output
from ..conventions import SENTINEL1_WAVELENGTH
from ..io.geotiff import write_geotiff
from ..io.mintpy import TimeSeries, write_timeseries
from ..io.vector import write_polygons
from .scene import DemoScene, LongwallPanel


def write_truth(scene: DemoScene, folder: Path) -> Dict[str, Path]:
    """Write the truth files into ``folder``; return their paths by name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    from .hyp3 import dem_error

    grid = scene.grid
    vertical = scene.vertical_displacement()
    velocity = scene.linear_rate(vertical)
    east = scene.linear_rate(scene.horizontal_displacement()[0])
    los = scene.los_displacement()
    out = {
        "truth_velocity_vertical": write_geotiff(
            folder / "truth_velocity_vertical.tif",
            (velocity * 1000).astype(np.float32),
            grid,
            ["vertical velocity (mm/yr)"],
            units="mm/yr",
        ),
        "truth_velocity_los": write_geotiff(
            folder / "truth_velocity_los.tif",
            (scene.linear_rate(los) * 1000).astype(np.float32),
            grid,
            ["LOS velocity (mm/yr)"],
            units="mm/yr",
        ),
        "truth_velocity_east": write_geotiff(
            folder / "truth_velocity_east.tif",
            (east * 1000).astype(np.float32),
            grid,
            ["east velocity (mm/yr)"],
            units="mm/yr",
        ),
        "truth_cumulative_vertical": write_geotiff(
            folder / "truth_cumulative_vertical.tif",
            ((vertical[-1] - vertical[0]) * 1000).astype(np.float32),
            grid,
            [f"vertical displacement {scene.dates[0]:%Y%m%d}-{scene.dates[-1]:%Y%m%d} (mm)"],
            units="mm",
        ),
        "truth_timeseries": write_timeseries(
            folder / "truth_timeseries.h5",
            TimeSeries(
                scene.dates,
                los.astype(np.float32),
                grid,
                {"PROCESSOR": "demo-truth", "WAVELENGTH": repr(SENTINEL1_WAVELENGTH)},
                scene.bperp,
            ),
        ),
        "dem": write_geotiff(
            folder / "dem.tif", scene.height.astype(np.float32), grid, ["height (m)"], units="m"
        ),
        "dem_error": write_geotiff(
            folder / "dem_error.tif",
            dem_error(scene),
            grid,
            ["true height minus product DEM (m)"],
            units="m",
        ),
    }
    out["bowls"] = _write_sources(scene, velocity * 1000, folder / "bowls.csv")
    out.update(write_panels(scene, folder))
    return out


def _write_sources(scene: DemoScene, velocity_mm: np.ndarray, path: Path) -> Path:
    x, y = scene.mesh()
    with csv_output(path) as writer:
        writer.writerow(
            [
                "name",
                "x",
                "y",
                "epsg",
                "radius_m",
                "rate_mm_yr",
                "onset",
                "stop",
                "acceleration_mm_yr2",
                "migration_x_m_yr",
                "migration_y_m_yr",
                "elongation",
                "kind",
            ]
        )
        for source in scene.bowls:
            near = np.hypot(x - source.x, y - source.y) <= 2 * source.radius
            peak = float(np.min(np.where(near, velocity_mm, np.inf)))
            if source.kind == "panel":
                a = np.deg2rad(source.advance_azimuth_deg)
                advance = (source.advance_m_yr * np.sin(a), source.advance_m_yr * np.cos(a))
                acceleration = 0.0
            else:
                advance, acceleration = (0.0, 0.0), source.acceleration * 1000
            writer.writerow(
                [
                    source.name,
                    f"{source.x:.1f}",
                    f"{source.y:.1f}",
                    scene.grid.epsg,
                    f"{source.radius:.1f}",
                    f"{peak:.1f}",
                    f"{source.onset:%Y-%m-%d}",
                    f"{source.stop:%Y-%m-%d}" if source.stop else "",
                    f"{acceleration:.1f}",
                    f"{advance[0]:.1f}",
                    f"{advance[1]:.1f}",
                    f"{source.elongation:.2f}",
                    source.kind,
                ]
            )
    return path


def panel_slug(name: str) -> str:
    """File name stem of a panel's own layer: ``North longwall`` -> ``north_longwall``."""
    return "".join(c if c.isalnum() else "_" for c in name.lower())


def panel_attributes(panel: LongwallPanel, scene: DemoScene) -> Dict[str, object]:
    """The truth of one panel: geometry, PIM parameters and the extraction by the last date."""
    params = panel.params
    return {
        "name": panel.name,
        "thickness_m": float(panel.thickness),
        "depth_m": float(panel.depth),
        "dip_deg": float(panel.dip_deg),
        "dip_azimuth_deg": float(panel.dip_azimuth_deg),
        "advance_azimuth_deg": float(panel.advance_azimuth_deg),
        "length_m": float(panel.length),
        "width_m": float(panel.width),
        "q": float(params.q),
        "tan_beta": float(params.tan_beta),
        "offset_m": float(params.offset_m),
        "theta_deg": float(params.theta_deg),
        "b": float(params.b),
        "w_max_mm": float(panel.w_max * 1000),
        "influence_radius_m": float(panel.influence_radius),
        "onset": f"{panel.onset:%Y-%m-%d}",
        "stop": f"{panel.stop:%Y-%m-%d}" if panel.stop else "",
        "advance_m_yr": float(panel.advance_m_yr),
        "knothe_per_year": float(panel.knothe_per_year),
        "mined_length_m": float(panel.mined_length(scene.dates[-1])),
        "mined_depth_m": float(panel.panel(panel.mined_length(scene.dates[-1])).depth_m),
    }


def write_panels(scene: DemoScene, folder: Path) -> Dict[str, Path]:
    """``panels.csv``, ``panels.gpkg``, ``panels_mined.gpkg`` and ``panels/<name>.gpkg``."""
    panels = scene.panels
    end = scene.dates[-1]
    epsg = scene.grid.epsg
    rows = [panel_attributes(panel, scene) for panel in panels]
    out = {}
    path = folder / "panels.csv"
    with csv_output(path, list(rows[0])) as writer:
        for row in rows:
            writer.writerow({k: f"{v:.4g}" if isinstance(v, float) else v for k, v in row.items()})
    out["panels_table"] = path
    out["panels"] = write_polygons(
        folder / "panels.gpkg",
        epsg,
        [(p.panel().ring, r) for p, r in zip(panels, rows, strict=True)],
    )
    mined = [(p.mined_panel(end), r) for p, r in zip(panels, rows, strict=True)]
    out["panels_mined"] = write_polygons(
        folder / "panels_mined.gpkg", epsg, [(m.ring, r) for m, r in mined if m is not None]
    )
    for panel, (panel_mined, row) in zip(panels, mined, strict=True):
        stem = panel_slug(row["name"])
        out[f"panel_{stem}_planned"] = write_polygons(
            folder / "panels" / f"{stem}_planned.gpkg", epsg, [(panel.panel().ring, row)], "panel"
        )
        if panel_mined is not None:
            out[f"panel_{stem}"] = write_polygons(
                folder / "panels" / f"{stem}.gpkg", epsg, [(panel_mined.ring, row)], "panel"
            )
    return out
