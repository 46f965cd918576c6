"""Write the demo scene as real ASF HyP3 ``INSAR_GAMMA`` product zips.

Each zip ``<NAME>.zip`` holds ``<NAME>/<NAME>_{unw_phase,corr,dem,lv_theta,lv_phi,water_mask}.tif``
(80 m UTM, LZW, nodata 0 as HyP3 writes them) and ``<NAME>/<NAME>.txt`` with the keys of real
products. Unwrapped phase is in radians, positive = motion away from the satellite:
``phase = -4 pi / wavelength * (d_LOS(secondary) - d_LOS(reference))`` plus noise, referenced
to one stable pixel (its ``Phase at reference point`` is in the ``.txt``). ``d_LOS`` is the
vertical and horizontal truth projected on the track's line of sight (its incidence and
heading, :meth:`DemoScene.los_displacement`), so the descending track and the ascending one
(:func:`core.demo.scene.ascending_track`) are written by the same code.

Noise: turbulent atmosphere (power-law random field per date), topography-correlated delay per
date, an orbital ramp per pair, DEM errors at a few pixels times the perpendicular baseline,
coherence-dependent decorrelation (vegetation decorrelates fast, water is masked) and
unwrapping errors (a 2 pi jump over a patch) in a few pairs.

Steep deformation (a longwall basin) is measured as a real processor would: the coherence of a
pixel drops by ``|sinc(g / 2 pi)|`` where the deformation phase changes by ``g`` radians across
it (the multilook window averages a phase ramp), and where neighbouring pixels differ by more
than pi the deformation phase is wrapped and unwrapped again by unweighted least squares
(Ghiglia & Romero 1994), which leaves the bowl too shallow, as unwrappers do when the fringes
alias.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from ..atomic import atomic_output
from ..conventions import los_to_phase
from ..grid import Grid
from ..io.hyp3 import slant_range
from ..progress import ProgressCallback, report, silent
from .scene import DemoScene

SPACECRAFT_HEIGHT = 693_000.0  # m
EARTH_RADIUS = 6_371_000.0  # m at nadir
UTC_SECONDS = 81_296.0  # 22:34:56, a descending pass
UTC_SECONDS_ASCENDING = 38_712.0  # 10:45:12, the ascending pass
ORBIT_OF_FIRST_DATE = 25_333  # Sentinel-1A absolute orbit of the first acquisition
LOOKS = 8  # effective looks of the 80 m phase (decorrelation noise)
TURBULENCE_STD = 0.004  # m, LOS delay per date
STRATIFIED_STD = 2.0e-5  # m of LOS delay per m of height, per date
RAMP_STD = 1.2  # rad across the scene, per pair and axis


def small_baseline_pairs(n_dates: int) -> List[Tuple[int, int]]:
    """Index pairs of a small-baseline network: each date to its next two (every other date
    also to its third), plus ~4-month and ~1-year pairs that tie the network together."""
    pairs = set()
    for i in range(n_dates):
        for step in (1, 2):
            if i + step < n_dates:
                pairs.add((i, i + step))
        if i % 2 == 0 and i + 3 < n_dates:
            pairs.add((i, i + 3))
        if i % 8 == 0 and i + 10 < n_dates:
            pairs.add((i, i + 10))
        if i % 3 == 0 and i + 30 < n_dates:
            pairs.add((i, i + 30))
    return sorted(pairs)


def product_name(reference: dt.date, secondary: dt.date) -> str:
    """An INSAR_GAMMA name.

    For example ``S1AA_20190104T223456_20190116T223457_VVP012_INT80_G_ueF_1A2B``.
    """
    days = (secondary - reference).days
    checksum = hashlib.md5(f"{reference}{secondary}".encode()).hexdigest()[:4].upper()
    return (
        f"S1AA_{reference:%Y%m%d}T223456_{secondary:%Y%m%d}T223457_VVP{days:03d}"
        f"_INT80_G_ueF_{checksum}"
    )


def _granule(date: dt.date, orbit: int) -> str:
    take = hashlib.md5(str(date).encode()).hexdigest()
    return (
        f"S1A_IW_SLC__1SDV_{date:%Y%m%d}T223443_{date:%Y%m%d}T223510_{orbit:06d}_"
        f"{take[:6].upper()}_{take[6:10].upper()}"
    )


def _power_law_fields(
    rng: np.random.Generator,
    count: int,
    shape: Tuple[int, int],
    pixel: float,
    std: float,
    outer_scale: float = 20_000.0,
) -> np.ndarray:
    """``count`` random fields with a -8/3 power-law spectrum (Kolmogorov turbulence),
    each scaled to standard deviation ``std``; float32 (count, L, W)."""
    length, width = shape
    ky = np.fft.fftfreq(length, d=pixel)[:, None]
    kx = np.fft.rfftfreq(width, d=pixel)[None, :]
    k = np.sqrt(kx**2 + ky**2 + (1.0 / outer_scale) ** 2)
    spectrum = np.fft.rfft2(rng.standard_normal((count, length, width)), axes=(1, 2))
    fields = np.fft.irfft2(spectrum * k ** (-8.0 / 6.0), s=shape, axes=(1, 2))
    fields -= fields.mean(axis=(1, 2), keepdims=True)
    fields *= std / (fields.std(axis=(1, 2), keepdims=True) + 1e-30)
    return fields.astype(np.float32)


def gradient_decorrelation(deformation_phase: np.ndarray) -> np.ndarray:
    """Coherence factor |sinc(g / 2 pi)| of a phase ramp of ``g`` radians across a pixel
    (the magnitude of the per-pixel gradient of ``deformation_phase``, radians)."""
    gy, gx = np.gradient(deformation_phase)
    return np.abs(np.sinc(np.hypot(gx, gy) / (2 * np.pi))).astype(np.float32)


def aliases(deformation_phase: np.ndarray) -> bool:
    """True when neighbouring pixels differ by more than pi (the phase cannot be unwrapped)."""
    return bool(
        (np.abs(np.diff(deformation_phase, axis=0)) > np.pi).any()
        or (np.abs(np.diff(deformation_phase, axis=1)) > np.pi).any()
    )


def least_squares_unwrap(wrapped: np.ndarray) -> np.ndarray:
    """Unweighted least-squares phase unwrapping (Ghiglia & Romero 1994): the surface whose
    gradients best match the wrapped phase differences, solved with a cosine transform
    (Neumann boundaries). Exact, up to a constant, where no neighbours differ by more than
    pi; too flat where they do."""
    from scipy.fft import dctn, idctn

    def wrap(values):
        return (values + np.pi) % (2 * np.pi) - np.pi

    length, width = wrapped.shape
    dx = np.zeros((length, width))
    dy = np.zeros((length, width))
    dx[:, :-1] = wrap(np.diff(wrapped, axis=1))
    dy[:-1, :] = wrap(np.diff(wrapped, axis=0))
    rho = dx.copy()
    rho[:, 1:] -= dx[:, :-1]
    rho += dy
    rho[1:, :] -= dy[:-1, :]
    transform = dctn(rho, type=2, norm="ortho")
    i = np.arange(length)[:, None]
    j = np.arange(width)[None, :]
    denominator = 2 * np.cos(np.pi * i / length) + 2 * np.cos(np.pi * j / width) - 4
    denominator[0, 0] = 1.0
    transform = transform / denominator
    transform[0, 0] = 0.0
    return idctn(transform, type=2, norm="ortho")


def _coherence(scene: DemoScene, days: float, texture: np.ndarray) -> np.ndarray:
    """Expected coherence of a pair ``days`` apart: bare ground stays coherent, vegetation
    decorrelates within weeks, water is incoherent."""
    bare = 0.45 + 0.45 * np.exp(-days / 60.0)
    vegetated = 0.12 + 0.4 * np.exp(-days / 15.0)
    gamma = np.where(scene.vegetation, vegetated, bare) * texture
    return np.where(scene.water, 0.05, gamma).astype(np.float32)


def _geotiff_bytes(data: np.ndarray, grid: Grid, nodata: float) -> bytes:
    """A GeoTIFF as HyP3 writes it (LZW, striped, nodata set), built in memory."""
    from osgeo import gdal

    gdal.UseExceptions()
    gdal_type = gdal.GDT_Byte if data.dtype == np.uint8 else gdal.GDT_Float32
    name = f"/vsimem/hyp3_demo_{id(data)}.tif"
    ds = gdal.GetDriverByName("GTiff").Create(
        name, grid.width, grid.length, 1, gdal_type, ["COMPRESS=LZW"]
    )
    ds.SetGeoTransform(grid.geotransform)
    ds.SetProjection(grid.crs_wkt())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(nodata)
    band.WriteArray(data)
    ds = None
    handle = gdal.VSIFOpenL(name, "rb")
    size = gdal.VSIStatL(name).size
    content = bytes(gdal.VSIFReadL(1, size, handle))
    gdal.VSIFCloseL(handle)
    gdal.Unlink(name)
    return content


def _reference_pixel(scene: DemoScene) -> Tuple[int, int]:
    """A stable, coherent pixel far from the bowls (upper right), as HyP3 would pick."""
    length, width = scene.grid.shape
    stable = ~(scene.vegetation | scene.water)
    rows, cols = np.nonzero(stable)
    target = (0.1 * length, 0.9 * width)
    index = np.argmin((rows - target[0]) ** 2 + (cols - target[1]) ** 2)
    return int(rows[index]), int(cols[index])


def _lonlat(grid: Grid, x: float, y: float) -> Tuple[float, float]:
    from osgeo import osr

    source = osr.SpatialReference()
    source.ImportFromEPSG(grid.epsg)
    target = osr.SpatialReference()
    target.ImportFromEPSG(4326)
    target.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    source.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lon, lat, _ = osr.CoordinateTransformation(source, target).TransformPoint(x, y)
    return lon, lat


def _metadata_text(
    scene: DemoScene,
    i: int,
    j: int,
    baseline: float,
    ref_phase: float,
    ref_pixel: Tuple[int, int],
    lonlat: Tuple[float, float],
) -> str:
    orbit_i = ORBIT_OF_FIRST_DATE + 175 * i
    orbit_j = ORBIT_OF_FIRST_DATE + 175 * j
    ranges = slant_range(
        [scene.incidence.min(), scene.incidence.mean(), scene.incidence.max()],
        SPACECRAFT_HEIGHT,
        EARTH_RADIUS,
    )
    x, y = scene.grid.xy(*ref_pixel)
    direction = "ASCENDING" if scene.is_ascending() else "DESCENDING"
    utc = UTC_SECONDS_ASCENDING if scene.is_ascending() else UTC_SECONDS
    lines = [
        ("Reference Granule", _granule(scene.dates[i], orbit_i)),
        ("Secondary Granule", _granule(scene.dates[j], orbit_j)),
        ("Reference Pass Direction", direction),
        ("Reference Orbit Number", orbit_i),
        ("Secondary Pass Direction", direction),
        ("Secondary Orbit Number", orbit_j),
        ("Baseline", f"{baseline:.4f}"),
        ("UTC time", f"{utc + 0.013 * i:.6f}"),
        ("Heading", f"{scene.heading:.7f}"),
        ("Spacecraft height", f"{SPACECRAFT_HEIGHT:.4f}"),
        ("Earth radius at nadir", f"{EARTH_RADIUS:.4f}"),
        ("Slant range near", f"{ranges[0]:.4f}"),
        ("Slant range center", f"{ranges[1]:.4f}"),
        ("Slant range far", f"{ranges[2]:.4f}"),
        ("Range looks", 20),
        ("Azimuth looks", 4),
        ("INSAR phase filter", "adf"),
        ("Phase filter parameter", "0.6"),
        ("Resolution of output (m)", 80),
        ("Range bandpass filter", "no"),
        ("Azimuth bandpass filter", "no"),
        ("DEM source", "GLO-30"),
        ("DEM resolution (m)", 80),
        ("Unwrapping type", "mcf"),
        ("Phase at reference point", f"{ref_phase:.5f}"),
        ("Azimuth line of the reference point in SAR space", ref_pixel[0]),
        ("Range pixel of the reference point in SAR space", ref_pixel[1]),
        ("Y coordinate of the reference point in the map projection", f"{float(y):.4f}"),
        ("X coordinate of the reference point in the map projection", f"{float(x):.4f}"),
        ("Latitude of the reference point (WGS84)", f"{lonlat[1]:.8f}"),
        ("Longitude of the reference point (WGS84)", f"{lonlat[0]:.8f}"),
        ("Unwrapping threshold", "none"),
        ("Speckle filter", "no"),
    ]
    return "".join(f"{key}: {value}\n" for key, value in lines)


def dem_error(scene: DemoScene) -> np.ndarray:
    """Height error of the DEM HyP3 used (m): true height minus the product DEM, non-zero at
    a few land pixels (e.g. new spoil heaps)."""
    rng = np.random.default_rng([scene.seed, 7])
    error = np.zeros(scene.grid.shape, np.float32)
    rows, cols = np.nonzero(~scene.water)
    picks = rng.choice(rows.size, size=6, replace=False)
    error[rows[picks], cols[picks]] = rng.choice([-1, 1], 6) * rng.uniform(20, 60, 6)
    return error


def tropospheric_delay(scene: DemoScene, rng: np.random.Generator) -> np.ndarray:
    """(n, L, W) LOS tropospheric delay (m) per date: turbulence with a power-law spectrum plus
    a stratified term proportional to relief. Drawn first from the product writer's stream
    (seed ``[scene.seed, 3]``), so the GACOS extension can redraw the same delay."""
    n = len(scene.dates)
    delay = _power_law_fields(rng, n, scene.grid.shape, abs(scene.grid.x_step), TURBULENCE_STD)
    relief = scene.height - scene.height.mean()
    delay += rng.normal(0.0, STRATIFIED_STD, n)[:, None, None].astype(np.float32) * relief[None]
    return delay


def write_hyp3_products(
    scene: DemoScene, folder: Path, progress: ProgressCallback = silent, noise_stream: int = 3
) -> Dict[str, Path]:
    """Write one HyP3 product zip per pair of :func:`small_baseline_pairs` into ``folder``.

    Product zips of an earlier scene in ``folder`` are removed so that the folder holds one
    stack. Returns ``{"hyp3": folder}``. Deterministic for the scene's seed; the noise is drawn
    from the stream ``[seed, noise_stream]`` (another track draws its own).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([scene.seed, noise_stream])
    grid = scene.grid
    shape = grid.shape
    n = len(scene.dates)
    report(progress, 0.0, "Simulating interferometric phase...")

    los = scene.los_displacement().astype(np.float32)
    delay = tropospheric_delay(scene, rng)
    ranges = slant_range(scene.incidence, SPACECRAFT_HEIGHT, EARTH_RADIUS)
    topo_per_metre = dem_error(scene) / (ranges * np.sin(np.deg2rad(scene.incidence)))
    # phase of each date relative to a common origin; pairs are differences of these
    deformation_phase = los_to_phase(los).astype(np.float32)
    date_phase = (
        los_to_phase(los - delay + scene.bperp[:, None, None] * topo_per_metre[None])
    ).astype(np.float32)
    del los, delay

    ref_pixel = _reference_pixel(scene)
    lonlat = _lonlat(grid, *[float(v) for v in grid.xy(*ref_pixel)])
    texture = 0.9 + 0.1 * np.tanh(_power_law_fields(rng, 1, shape, abs(grid.x_step), 1.0)[0])
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]] / max(shape)
    pairs = small_baseline_pairs(n)
    names = {product_name(scene.dates[i], scene.dates[j]) for i, j in pairs}
    for stale in folder.glob("S1*.zip"):  # products of an earlier, different scene
        if stale.stem not in names:
            stale.unlink()
    jump_pairs = set(rng.choice(len(pairs), size=max(1, len(pairs) // 40), replace=False).tolist())
    veg_rows, veg_cols = np.nonzero(scene.vegetation)

    static = {
        "dem": _geotiff_bytes((scene.height - dem_error(scene)).astype(np.float32), grid, 0.0),
        "lv_theta": _geotiff_bytes(
            np.deg2rad(90.0 - scene.incidence).astype(np.float32), grid, 0.0
        ),
        "lv_phi": _geotiff_bytes(np.deg2rad(scene.azimuth + 90.0).astype(np.float32), grid, 0.0),
        "water_mask": _geotiff_bytes((~scene.water).astype(np.uint8), grid, 255.0),
    }
    for k, (i, j) in enumerate(pairs):
        days = (scene.dates[j] - scene.dates[i]).days
        deformation = deformation_phase[j] - deformation_phase[i]
        gamma = _coherence(scene, days, texture) * gradient_decorrelation(deformation)
        gamma = np.maximum(gamma, 0.01)
        sigma = np.minimum(np.sqrt((1 - gamma**2) / (2 * LOOKS * gamma**2)), 2.5)
        phase = date_phase[j] - date_phase[i] + sigma * rng.standard_normal(shape, np.float32)
        if aliases(deformation):
            wrapped = np.angle(np.exp(1j * deformation))
            phase += (least_squares_unwrap(wrapped) - deformation).astype(np.float32)
        phase += rng.normal(0, RAMP_STD) * (xx - 0.5) + rng.normal(0, RAMP_STD) * (yy - 0.5)
        if k in jump_pairs and veg_rows.size:
            pick = rng.integers(veg_rows.size)
            radius = 0.06 * max(shape)
            patch = (yy * max(shape) - veg_rows[pick]) ** 2 + (
                xx * max(shape) - veg_cols[pick]
            ) ** 2
            phase += np.where(patch < radius**2, rng.choice([-2, 2]) * np.pi, 0.0)
        ref_phase = float(phase[ref_pixel])
        phase = (phase - ref_phase).astype(np.float32)
        phase[phase == 0.0] = 1e-6  # 0 is HyP3's nodata: keep the reference pixel valid
        phase[scene.water] = 0.0
        corr = np.clip(gamma + rng.normal(0, 0.04, shape) * (1 - gamma), 0.01, 1.0).astype(
            np.float32
        )

        name = product_name(scene.dates[i], scene.dates[j])
        baseline = float(scene.bperp[j] - scene.bperp[i])
        files = {
            f"{name}.txt": _metadata_text(
                scene, i, j, baseline, ref_phase, ref_pixel, lonlat
            ).encode(),
            f"{name}_unw_phase.tif": _geotiff_bytes(phase, grid, 0.0),
            f"{name}_corr.tif": _geotiff_bytes(corr, grid, 0.0),
        }
        files.update({f"{name}_{layer}.tif": content for layer, content in static.items()})
        # processing time stamped as the day after the secondary acquisition: same seed, same bytes
        stamp = (scene.dates[j] + dt.timedelta(days=1)).timetuple()[:6]
        with atomic_output(folder / f"{name}.zip") as temp:
            with zipfile.ZipFile(temp, "w") as archive:
                for member, content in files.items():
                    info = zipfile.ZipInfo(f"{name}/{member}", date_time=stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, content, compresslevel=1)
        report(progress, (k + 1) / len(pairs), f"HyP3 product {k + 1}/{len(pairs)}: {name}")
    return {"hyp3": folder}
