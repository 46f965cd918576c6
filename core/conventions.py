"""Physical constants and project-wide defaults (units in the names or docstrings)."""

SPEED_OF_LIGHT = 299_792_458.0  # m/s
SENTINEL1_FREQUENCY = 5.405e9  # Hz, C band
SENTINEL1_WAVELENGTH = SPEED_OF_LIGHT / SENTINEL1_FREQUENCY  # 0.0554658 m
SENTINEL1_REVISIT_DAYS = 12
DAYS_PER_YEAR = 365.25

#: Memory budget for row-block processing of stacks, in MiB.
DEFAULT_MEMORY_BUDGET_MB = 1024

#: Nodata written to float GeoTIFFs.
FLOAT_NODATA = float("nan")
