"""Time-series dock overlay: the breakpoint, the rates before and after it, and the steps
that ``subsidence:onset`` finds, fitted to the clicked series itself (core.timeseries.onset)."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..core.errors import InputError
from ..core.timeseries.onset import OnsetOptions, fit_onset
from .timeseries_dock import OverlayPainter, PlottedSeries, SeriesOverlay

STEP_COLOUR = "#e66101"


class OnsetOverlay(SeriesOverlay):
    """Draws the piecewise-linear fit (dashed), a dotted line at a significant breakpoint and
    a dash-dot line at each step, with a note of the dates and rates."""

    name = "Onset and steps"
    tooltip = (
        "Fit one breakpoint (when subsidence began) and steps (collapses, unwrapping errors) "
        "to each plotted series, as the Onset of subsidence and steps algorithm does"
    )

    def __init__(self, options: Optional[OnsetOptions] = None):
        # fewer simulations than the algorithm: a click must answer at once
        self.options = options or OnsetOptions(simulations=500)

    def draw(self, entry: PlottedSeries, painter: OverlayPainter) -> Optional[str]:
        series = entry.shown or entry.raw
        values = np.asarray(series.values_mm, float)
        try:
            fit = fit_onset(series.dates, values, self.options)
        except InputError as exc:
            return f"{entry.label}: no onset fit ({exc.problem})"
        dates = [d for d, v in zip(series.dates, values, strict=True) if np.isfinite(v)]
        painter.curve(dates, fit.fitted, style="dash", width=1.2)
        parts = []
        if fit.breakpoint is not None:
            kind = "onset" if fit.onset is not None else "break"
            painter.date_line(fit.breakpoint, f"{kind} {fit.breakpoint:%Y-%m-%d}")
            parts.append(
                f"{kind} {fit.breakpoint:%Y-%m-%d} ({fit.rate_before:+.1f} -> "
                f"{fit.rate_after:+.1f} mm/yr, p={fit.p_value:.3f})"
            )
        for step in fit.steps:
            label = f"step {step.size_mm:+.1f} mm" + (" (2 pi?)" if step.unwrapping else "")
            painter.date_line(step.date, label, colour=STEP_COLOUR, style="dashdot")
            parts.append(f"{label} on {step.date:%Y-%m-%d}")
        if not parts:
            return f"{entry.label}: no breakpoint or step."
        return f"{entry.label}: " + "; ".join(parts) + "."
