"""ASF HyP3 InSAR products: names, ``.txt`` metadata, discovery and raster access.

Three product kinds are recognised by name (the pair dates are fields of the name):

* ``INSAR_GAMMA``: ``S1AA_20190610T135156_20190622T135157_VVP012_INT80_G_ueF_F8BF``
  (dates = fields 1 and 2);
* ``INSAR_ISCE_BURST``: ``S1_056072_IW2_20220814_20220907_VV_INT80_E09B`` (fields 3 and 4);
* ``INSAR_ISCE_MULTI_BURST``:
  ``S1_044_000000s1n00-093117s2n01-093118s3n01_IW_20250718_20250730_VV_INT80_B4FA``
  (fields 4 and 5).

A product is a zip ``<NAME>.zip`` holding ``<NAME>/<NAME>_<layer>.tif`` and ``<NAME>/<NAME>.txt``,
or the same files unzipped in a folder. Rasters inside zips are read through GDAL's
``/vsizip/`` without extracting anything.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from ..conventions import SPEED_OF_LIGHT
from ..dates import parse_yyyymmdd
from ..errors import InputError

PathLike = Union[str, Path]

GAMMA = "INSAR_GAMMA"
ISCE_BURST = "INSAR_ISCE_BURST"
ISCE_MULTI_BURST = "INSAR_ISCE_MULTI_BURST"

#: Raster layers of a product, by file-name suffix.
LAYERS = ("unw_phase", "corr", "conncomp", "dem", "lv_theta", "lv_phi", "inc_map", "water_mask")

#: Sentinel-1 IW range sampling rate (Hz) and azimuth pixel spacing (m) for single looks.
SENTINEL1_RANGE_SAMPLING_RATE = 64.35e6
SENTINEL1_AZIMUTH_PIXEL_SIZE = 14.1
SENTINEL1_RANGE_PIXEL_SIZE = SPEED_OF_LIGHT / (2 * SENTINEL1_RANGE_SAMPLING_RATE)

_PATTERNS = (
    (
        GAMMA,
        re.compile(
            r"S1[A-D]{2}_(\d{8})T\d{6}_(\d{8})T\d{6}_(?:VV|HH|VH|HV)[PRO]\d{3,4}"
            r"_INT\d{2}_G_[uw][ec][123F]_[0-9A-F]{4}"
        ),
    ),
    (ISCE_BURST, re.compile(r"S1_\d{6}_IW[123]_(\d{8})_(\d{8})_(?:VV|HH)_INT\d{2}_[0-9A-F]{4}")),
    (
        ISCE_MULTI_BURST,
        re.compile(
            r"S1_\d{3}_\d{6}s1n\d{2}-\d{6}s2n\d{2}-\d{6}s3n\d{2}_IW"
            r"_(\d{8})_(\d{8})_(?:VV|HH)_INT\d{2}_[0-9A-F]{4}"
        ),
    ),
)
NAME_EXAMPLE = "S1AA_20190610T135156_20190622T135157_VVP012_INT80_G_ueF_F8BF"


@dataclass(frozen=True)
class ProductName:
    """A parsed HyP3 product name: ``kind`` is one of GAMMA, ISCE_BURST, ISCE_MULTI_BURST."""

    name: str
    kind: str
    reference: dt.date
    secondary: dt.date

    @property
    def pair(self) -> Tuple[dt.date, dt.date]:
        return (self.reference, self.secondary)


def find_product_name(text: str) -> Optional[ProductName]:
    """The HyP3 product name inside ``text`` (a file or folder name), or None."""
    for kind, pattern in _PATTERNS:
        match = pattern.search(text)
        if match:
            reference, secondary = (parse_yyyymmdd(g, text) for g in match.groups())
            return ProductName(match.group(0), kind, reference, secondary)
    return None


def parse_product_name(text: str, source: Optional[PathLike] = None) -> ProductName:
    """Like :func:`find_product_name` but raises InputError naming ``source`` when it fails."""
    parsed = find_product_name(text)
    if parsed is None:
        raise InputError(
            f"'{text}' is not an ASF HyP3 InSAR product name.",
            source or text,
            f"keep the names HyP3 gives its products, e.g. {NAME_EXAMPLE}.zip.",
        )
    return parsed


def parse_metadata_text(text: str) -> Dict[str, str]:
    """``Key: value`` lines of a HyP3 ``.txt`` file as a dict (keys and values stripped).

    Only the first colon separates key and value, so granule lists and times keep theirs.
    """
    metadata = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, value = line.split(":", 1)
        if key.strip():
            metadata[key.strip()] = value.strip()
    return metadata


def slant_range(incidence_deg, spacecraft_height: float, earth_radius: float):
    """Slant range (m) from ground to satellite for a local incidence (deg), spherical Earth.

    With ``Re`` the Earth radius and ``Rs = Re + H`` the orbit radius, the look angle is
    ``asin(Re/Rs * sin(inc))`` and the range ``Rs * sin(inc - look) / sin(inc)``.
    """
    import numpy as np

    incidence = np.deg2rad(np.asarray(incidence_deg, dtype=np.float64))
    orbit_radius = earth_radius + spacecraft_height
    look = np.arcsin(earth_radius / orbit_radius * np.sin(incidence))
    return orbit_radius * np.sin(incidence - look) / np.sin(incidence)


@dataclass
class Hyp3Product:
    """One product found on disk; ``layers`` maps layer names to GDAL paths."""

    product: ProductName
    source: Path
    layers: Dict[str, str]
    metadata: Dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.product.name

    @property
    def pair(self) -> Tuple[dt.date, dt.date]:
        return self.product.pair

    def number(self, key: str, default: Optional[float] = None) -> Optional[float]:
        """A numeric metadata value (``Baseline``, ``Heading``, ``UTC time``...)."""
        value = self.metadata.get(key)
        if value in (None, ""):
            return default
        try:
            number = float(value.split(",")[0])
        except ValueError:
            number = float("nan")
        if not math.isfinite(number):
            raise InputError(
                f"metadata '{key}: {value}' is not a number.",
                self.source,
                "restore the product's original .txt file.",
            )
        return number

    @property
    def baseline(self) -> float:
        """Perpendicular baseline of the pair (m)."""
        return self.number("Baseline", 0.0)

    def raster(self, layer: str) -> str:
        if layer not in self.layers:
            raise InputError(
                f"product has no '{layer}' raster.",
                self.source,
                f"download the product again; it should hold {self.name}_{layer}.tif.",
            )
        return self.layers[layer]


def _layers_from_names(names: List[str], product: str, prefix: str) -> Dict[str, str]:
    found = {}
    for member in names:
        base = member.rsplit("/", 1)[-1]
        for layer in LAYERS:
            if base == f"{product}_{layer}.tif":
                found[layer] = prefix + member
    return found


def _from_zip(path: Path, parsed: ProductName) -> Hyp3Product:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            txt = [n for n in names if n.rsplit("/", 1)[-1] == f"{parsed.name}.txt"]
            metadata = (
                parse_metadata_text(archive.read(txt[0]).decode("utf-8", "replace")) if txt else {}
            )
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"not a readable zip file ({exc}).",
            path,
            "download the product again or remove it from the folder.",
        ) from None
    layers = _layers_from_names(names, parsed.name, f"/vsizip/{path}/")
    return _checked(Hyp3Product(parsed, path, layers, metadata), bool(txt))


def _from_folder(path: Path, parsed: ProductName) -> Hyp3Product:
    names = [p.name for p in path.glob(f"{parsed.name}_*.tif")]
    layers = _layers_from_names(names, parsed.name, f"{path}/")
    txt = path / f"{parsed.name}.txt"
    metadata = parse_metadata_text(txt.read_text(errors="replace")) if txt.exists() else {}
    return _checked(Hyp3Product(parsed, path, layers, metadata), txt.exists())


def _checked(product: Hyp3Product, has_txt: bool) -> Hyp3Product:
    if "unw_phase" not in product.layers:
        raise InputError(
            f"the product holds no unwrapped phase ({product.name}_unw_phase.tif).",
            product.source,
            "order HyP3 InSAR products with unwrapped phase, or remove this one.",
        )
    if not has_txt:
        raise InputError(
            f"the product has no metadata file {product.name}.txt.",
            product.source,
            "keep the .txt file HyP3 ships with every product (it holds the baseline).",
        )
    _check_metadata(product)
    return product


#: ``.txt`` keys every stack needs, with the range of plausible values
REQUIRED_METADATA = {
    "Baseline": (-10_000.0, 10_000.0),  # m
    "UTC time": (0.0, 86_400.0),  # s of day
    "Heading": (-360.0, 360.0),  # deg
    "Range looks": (1.0, 1000.0),
    "Azimuth looks": (1.0, 1000.0),
}
#: keys that may be absent but, when present, must be plausible numbers
OPTIONAL_METADATA = {
    "Spacecraft height": (100e3, 2_000e3),  # m
    "Earth radius at nadir": (6.2e6, 6.5e6),  # m
    "Slant range near": (100e3, 3_000e3),  # m
}


def _check_metadata(product: Hyp3Product) -> None:
    """Refuse a ``.txt`` whose keys are missing, unparseable or implausible (a truncated or
    garbled file would otherwise give heading -360, looks 1/1 and a zero baseline)."""
    fix = "restore the product's original .txt file (download the product again)."
    for key, (low, high) in {**REQUIRED_METADATA, **OPTIONAL_METADATA}.items():
        if key not in product.metadata and key in OPTIONAL_METADATA:
            continue
        if product.metadata.get(key, "") == "":
            raise InputError(f"its {product.name}.txt has no '{key}'.", product.source, fix)
        value = product.number(key)
        if not low <= value <= high:
            raise InputError(
                f"its {product.name}.txt gives '{key}: {product.metadata[key]}', outside "
                f"{low:g} to {high:g}.",
                product.source,
                fix,
            )
    direction = product.metadata.get("Reference Pass Direction", "").upper()
    if (
        direction in ("ASCENDING", "DESCENDING")
        and orbit_direction(product.number("Heading")) != direction
    ):
        raise InputError(
            f"its {product.name}.txt gives heading {product.metadata['Heading']} deg for a "
            f"{direction.lower()} pass.",
            product.source,
            fix,
        )


def orbit_direction(heading_deg: float) -> str:
    """ASCENDING for a northward heading (within 90 deg of north), else DESCENDING."""
    heading = heading_deg % 360.0
    return "ASCENDING" if heading < 90 or heading > 270 else "DESCENDING"


def _holds_unwrapped_phase(path: Path) -> bool:
    if path.is_dir():
        return any(path.glob("*unw_phase*.tif"))
    try:
        with zipfile.ZipFile(path) as archive:
            return any("unw_phase" in n and n.endswith(".tif") for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def discover_products(folder: PathLike) -> List[Hyp3Product]:
    """Every HyP3 product in ``folder``: ``*.zip`` files and unzipped product folders
    (including products unpacked straight into ``folder``), sorted by name.

    A zip or folder that holds an unwrapped-phase raster but whose name is not a HyP3 product
    name raises InputError naming it; unrelated files are ignored. Duplicates are kept here
    (see :func:`unique_pairs`).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            "folder not found.",
            folder,
            "choose the folder holding the HyP3 product zips (or unzipped product folders).",
        )
    products = []
    entries = sorted(folder.iterdir())
    for entry in entries:
        if not (entry.is_dir() or entry.suffix.lower() == ".zip"):
            continue
        parsed = find_product_name(entry.name)
        if parsed is None:
            if _holds_unwrapped_phase(entry):
                parse_product_name(entry.name, entry)
            continue
        products.append(
            _from_zip(entry, parsed) if entry.is_file() else _from_folder(entry, parsed)
        )
    loose = sorted(
        {
            p.name
            for p in (
                find_product_name(e.name)
                for e in entries
                if e.is_file() and e.name.endswith("_unw_phase.tif")
            )
            if p
        }
    )
    for name in loose:
        products.append(_from_folder(folder, find_product_name(name)))
    if not products:
        raise InputError(
            "no HyP3 InSAR products found.",
            folder,
            f"put the product zips (e.g. {NAME_EXAMPLE}.zip) or their unzipped "
            "folders in this folder.",
        )
    return sorted(products, key=lambda p: (p.pair, p.name))


def unique_pairs(products: List[Hyp3Product]) -> Tuple[List[Hyp3Product], List[str]]:
    """Keep the first product of each (reference, secondary) pair; return the kept products
    and one warning per skipped duplicate."""
    kept: Dict[Tuple[dt.date, dt.date], Hyp3Product] = {}
    warnings = []
    for product in products:
        first = kept.get(product.pair)
        if first is None:
            kept[product.pair] = product
        else:
            warnings.append(
                f"Skipping {product.source.name}: it repeats the pair "
                f"{product.pair[0]:%Y%m%d}_{product.pair[1]:%Y%m%d} of {first.source.name}."
            )
    return list(kept.values()), warnings


def stack_attributes(product: Hyp3Product) -> Dict[str, str]:
    """MintPy attributes derived from one product's metadata (as MintPy's prep_hyp3 does)."""
    from ..conventions import SENTINEL1_WAVELENGTH

    heading = product.number("Heading") % 360.0 - 360.0
    range_looks = int(product.number("Range looks"))
    azimuth_looks = int(product.number("Azimuth looks"))
    attrs = {
        "PROCESSOR": "hyp3",
        "PLATFORM": "Sen",
        "ANTENNA_SIDE": "-1",
        "WAVELENGTH": repr(SENTINEL1_WAVELENGTH),
        "HEADING": repr(heading),
        "ORBIT_DIRECTION": orbit_direction(heading),
        "RLOOKS": str(range_looks),
        "ALOOKS": str(azimuth_looks),
        "RANGE_PIXEL_SIZE": repr(SENTINEL1_RANGE_PIXEL_SIZE * range_looks),
        "AZIMUTH_PIXEL_SIZE": repr(SENTINEL1_AZIMUTH_PIXEL_SIZE * azimuth_looks),
        "beam_mode": "IW",
        "PRODUCT_TYPE": product.product.kind,
    }
    optional = {
        "CENTER_LINE_UTC": "UTC time",
        "EARTH_RADIUS": "Earth radius at nadir",
        "HEIGHT": "Spacecraft height",
        "STARTING_RANGE": "Slant range near",
        "unwrap_method": "Unwrapping type",
    }
    for attr, key in optional.items():
        if product.metadata.get(key):
            attrs[attr] = product.metadata[key]
    return attrs
