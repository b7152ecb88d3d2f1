"""A balance-history chart drawn on the server as SVG coordinates (no JavaScript)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT, PAD = 600, 160, 8


@dataclass(frozen=True)
class Chart:
    points: str  # SVG polyline "x,y x,y ..."
    area: str  # the same line closed along the bottom, for the filled area
    low: Decimal
    high: Decimal
    start: dt.datetime
    end: dt.datetime
    width: int = WIDTH
    height: int = HEIGHT


def balance_chart(
    series: list[tuple[dt.datetime, Decimal]], *, max_points: int = 300
) -> Chart | None:
    """``series``: (time, balance after) in time order. Steps are drawn as the balance holds
    until the next movement; long series keep every n-th point plus the last."""
    if not series:
        return None
    if len(series) > max_points:
        step = len(series) / max_points
        series = [series[int(i * step)] for i in range(max_points - 1)] + [series[-1]]
    start, end = series[0][0], series[-1][0]
    if len(series) == 1:
        series = [series[0], (series[0][0] + dt.timedelta(seconds=1), series[0][1])]
        end = series[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    low = min(min(b for _, b in series), Decimal("0"))
    high = max(b for _, b in series)
    rise = float(high - low) or 1.0

    def xy(moment: dt.datetime, balance: Decimal) -> tuple[float, float]:
        x = PAD + (WIDTH - 2 * PAD) * (moment - start).total_seconds() / span
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * float(balance - low) / rise
        return round(x, 1), round(y, 1)

    coords: list[tuple[float, float]] = []
    previous = None
    for moment, balance in series:
        x, y = xy(moment, balance)
        if previous is not None:
            coords.append((x, previous))
        coords.append((x, y))
        previous = y
    points = " ".join(f"{x},{y}" for x, y in coords)
    bottom = HEIGHT - PAD
    area = f"{coords[0][0]},{bottom} {points} {coords[-1][0]},{bottom}"
    return Chart(points=points, area=area, low=low, high=high, start=start, end=end)
