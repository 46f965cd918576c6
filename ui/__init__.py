"""Dock widgets and map tools of the plugin (pyqtgraph plots).

* :mod:`.timeseries_dock` — click a pixel of a time-series file or a point of a layer with
  ``DYYYYMMDD`` fields; plot displacement (mm) against date, fits, reference, forecasts.
* :mod:`.profile_dock` — draw a line or pick a line feature; rates along it within a buffer.
* :mod:`.map_tools` — the point-picking and polyline map tools both docks use.
* :mod:`.dock` — their base: the tool button that follows the canvas, wiring, unload, exports.

Forecast convention (read by the time-series dock, written by the forecasting steps): point
layers may carry ``FYYYYMMDD`` (forecast displacement, mm) with ``FLOYYYYMMDD`` /
``FHIYYYYMMDD`` (lower / upper bound of the band, mm), next to the observed ``DYYYYMMDD``.
"""
