"""Charts drawn on the server as SVG: they need no JavaScript and print well."""

import json
from functools import cache
from pathlib import Path

GEOJSON = Path(__file__).resolve().parent / "data" / "malaysia_states.geojson"


def bar_chart(items, *, width=560, bar_height=18, gap=5, label_width=235):
    """items: (label, value) pairs. The geometry of a horizontal bar chart; the labels
    have room for the longest state name in BM, "Wilayah Persekutuan Kuala Lumpur"."""
    items = list(items)
    peak = max((value for _, value in items), default=0) or 1
    room = width - label_width - 70
    bars = [
        {
            "label": label,
            "value": value,
            "y": index * (bar_height + gap),
            "text_y": index * (bar_height + gap) + bar_height * 0.72,
            "width": round(value / peak * room, 1),
            "value_x": label_width + round(value / peak * room, 1) + 6,
        }
        for index, (label, value) in enumerate(items)
    ]
    return {
        "bars": bars,
        "width": width,
        "height": len(items) * (bar_height + gap),
        "label_width": label_width,
        "bar_height": bar_height,
    }


@cache
def _state_outlines(width=760):
    """SVG path data per state code from DOSM's boundaries, projected equirectangular
    and rounded to whole pixels, which drops most of the points."""
    features = json.loads(GEOJSON.read_text())["features"]
    rings = [
        (f["properties"]["state_code"], ring)
        for f in features
        for polygon in f["geometry"]["coordinates"]
        for ring in polygon
    ]
    lons = [lon for _, ring in rings for lon, _ in ring]
    lats = [lat for _, ring in rings for _, lat in ring]
    west, north = min(lons), max(lats)
    scale = width / (max(lons) - west)
    height = round((north - min(lats)) * scale)
    paths = {}
    for code, ring in rings:
        points = []
        for lon, lat in ring:
            point = (round((lon - west) * scale), round((north - lat) * scale))
            if not points or point != points[-1]:
                points.append(point)
        if len(points) > 3:
            d = "M" + " L".join(f"{x} {y}" for x, y in points) + " Z"
            paths[code] = paths.get(code, "") + d
    return paths, width, height


def state_map(states, what):
    """states: (code, name, number) for each state; what: what the number counts
    ("projects"). Each state's outline shaded by its number, named with it in a
    tooltip and, where the state is big enough to hold it, in a label; and a
    legend of the shades."""
    paths, width, height = _state_outlines()
    known = {code: (name, value) for code, name, value in states}
    peak = max((value for _, value in known.values()), default=0) or 1
    shapes = []
    for code, d in paths.items():
        name, value = known.get(code, (code, 0))
        box = _box(d)
        shapes.append(
            {
                "code": code,
                "d": d,
                "name": name,
                "value": value,
                "fill": _shade(value / peak),
                # Dark shades take a white label.
                "ink": "#fff" if value / peak > 0.55 else "#212529",
                "label_x": round((box[0] + box[2]) / 2),
                "label_y": round((box[1] + box[3]) / 2),
                "labelled": box[2] - box[0] > 40 and box[3] - box[1] > 25,
            }
        )
    steps = [0, 0.25, 0.5, 0.75, 1]
    legend = [
        {"fill": _shade(step), "value": round(step * peak) if peak > 1 else step * peak}
        for step in steps
    ]
    return {"states": shapes, "width": width, "height": height, "legend": legend, "what": what}


@cache
def _box(d):
    points = [
        tuple(map(int, p.split()))
        for p in d.replace("M", " L").replace(" Z", "").split(" L")
        if p.strip()
    ]
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def _nice(peak):
    """The smallest whole 1, 2, 2.5 or 5 times a power of ten (1 at least) at or
    above `peak`."""
    if peak <= 1:
        return 1
    scale = 10 ** (len(str(int(peak))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * scale >= peak and (step * scale) % 1 == 0:
            return int(step * scale)
    return 10 * scale


LINE_STYLES = [("#0b4f8a", ""), ("#b35806", "6 4"), ("#1b7837", "2 3")]


def line_chart(months, series, *, width=640, height=240):
    """months: first days of months; series: (label, values), a value None where
    there is none. The geometry of a line chart with axes, ticks and a legend;
    each line has its own dash, so that colour is not the only way to tell them apart."""
    left, right, top, bottom = 56, 24, 14, 44
    plot_width, plot_height = width - left - right, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    # Four steps of a round size, so that every tick is a whole round number.
    step = _nice(max(values, default=0) / 4)
    peak = 4 * step
    count = len(months)

    def x(index):
        return round(left + (index * plot_width / max(count - 1, 1)), 1)

    def y(value):
        return round(top + plot_height - value / peak * plot_height, 1)

    every = max(1, -(-count // 12))  # at most twelve month labels
    x_ticks = [
        {"x": x(i), "label": f"{month:%m/%y}"} for i, month in enumerate(months) if i % every == 0
    ]
    y_ticks = [{"y": y(peak * f), "label": f"{round(peak * f):,}"} for f in (0, 0.25, 0.5, 0.75, 1)]
    lines = []
    for (label, numbers), (colour, dash) in zip(series, LINE_STYLES, strict=False):
        dots = [
            {"x": x(i), "y": y(v), "value": v, "month": f"{months[i]:%Y-%m}"}
            for i, v in enumerate(numbers)
            if v is not None
        ]
        lines.append(
            {
                "label": label,
                "colour": colour,
                "dash": dash,
                "points": " ".join(f"{d['x']},{d['y']}" for d in dots),
                "dots": dots,
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "right": width - right,
        "bottom": top + plot_height,
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "lines": lines,
    }


def _shade(share):
    """From pale grey (nothing) through light to dark blue."""
    if share <= 0:
        return "#e9ecef"
    light, dark = (198, 219, 239), (8, 69, 148)
    r, g, b = (round(a + (b - a) * share) for a, b in zip(light, dark, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"
