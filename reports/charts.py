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


def state_map(values):
    """values: {state code: number}. Each state's outline, shaded by its number."""
    paths, width, height = _state_outlines()
    peak = max(values.values(), default=0) or 1
    states = []
    for code, d in paths.items():
        value = values.get(code, 0)
        states.append({"code": code, "d": d, "value": value, "fill": _shade(value / peak)})
    return {"states": states, "width": width, "height": height}


def _shade(share):
    """From pale grey (nothing) through light to dark blue."""
    if share <= 0:
        return "#e9ecef"
    light, dark = (198, 219, 239), (8, 69, 148)
    r, g, b = (round(a + (b - a) * share) for a, b in zip(light, dark, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"
