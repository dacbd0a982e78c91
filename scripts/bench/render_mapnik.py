#!/usr/bin/python3
"""render_mapnik.py — the Mapnik side of scripts/bench/render.sh: translate a
plankit MapLibre style (the subset styles/zones.json uses: background, fill,
line, circle and symbol layers; literals, zoom interpolation, match on a
field; the `labels` layer of the tile contract) into an equivalent Mapnik
XML style reading the same SpatiaLite store, then draw the same XYZ tile
grid plankit draws (256-pixel tiles of zoom z styled as MapLibre's zoom
z - 1) into a z/x/y.png folder, one process, one thread.

usage: render_mapnik.py STYLE STORE OUT_DIR MINZOOM MAXZOOM W,S,E,N XML_OUT
"""
import json
import math
import os
import sqlite3
import sys
from xml.sax.saxutils import escape, quoteattr

import mapnik

HALF = 20037508.342789244
SCALE0 = 559082264.028  # the scale denominator of zoom 0 at 256-pixel tiles (0.28 mm pixels)


def evaluate(v, zoom):
    """A style value at a style zoom: literals and interpolate over zoom."""
    if isinstance(v, list) and v and v[0] == "interpolate":
        assert v[1] == ["linear"] and v[2] == ["zoom"], v
        stops = list(zip(v[3::2], v[4::2]))
        if zoom <= stops[0][0]:
            return stops[0][1]
        for (z0, a), (z1, b) in zip(stops, stops[1:]):
            if zoom <= z1:
                return a + (b - a) * (zoom - z0) / (z1 - z0)
        return stops[-1][1]
    return v


def cases(v, zoom):
    """[(mapnik filter or None for the else case, value)] of a match on a field, or one case."""
    if isinstance(v, list) and v and v[0] == "match":
        field, out = v[1][1], []
        for label, value in zip(v[2:-1:2], v[3:-1:2]):
            labels = label if isinstance(label, list) else [label]
            out.append((" or ".join(f"[{field}] = {quoteattr(str(x))[1:-1]!r}".replace('"', "'") for x in labels), value))
        return out + [(None, v[-1])]
    return [("", evaluate(v, zoom))]


def filter_of(f):
    """A MapLibre filter of the forms zones.json uses, as a Mapnik filter ('' = none)."""
    if f is None:
        return ""
    assert f[0] == "match" and f[-2] is True and f[-1] is False, f
    return " or ".join(f"[{f[1][1]}] = '{x}'" for x in f[2])


def scale_range(z):
    s = SCALE0 / 2 ** z
    return f'<MinScaleDenominator>{s / math.sqrt(2):.4f}</MinScaleDenominator>' \
           f'<MaxScaleDenominator>{s * math.sqrt(2):.4f}</MaxScaleDenominator>'


def symbolizers(layer, sz):
    """Mapnik symbolizers of a style layer at style zoom sz (match cases aside)."""
    p, lay, t = layer.get("paint", {}), layer.get("layout", {}), layer["type"]
    if t == "fill":
        op = evaluate(p.get("fill-opacity", 1), sz)
        out = []
        for flt, color in cases(p.get("fill-color", "#000000"), sz):
            outline = p.get("fill-outline-color", color)
            out.append((flt, f'<PolygonSymbolizer fill="{color}" fill-opacity="{op}"/>'
                             f'<LineSymbolizer stroke="{outline}" stroke-width="1" stroke-opacity="{op}"/>'))
        return out
    if t == "line":
        w = evaluate(p.get("line-width", 1), sz)
        dash = p.get("line-dasharray")
        dash = f' stroke-dasharray="{",".join(str(d * w) for d in dash)}"' if dash else ""
        return [("", f'<LineSymbolizer stroke="{p.get("line-color", "#000000")}" stroke-width="{w}"'
                     f' stroke-opacity="{evaluate(p.get("line-opacity", 1), sz)}"{dash}'
                     f' stroke-linecap="{lay.get("line-cap", "butt")}" stroke-linejoin="{lay.get("line-join", "miter")}"/>')]
    if t == "circle":
        r, sw = evaluate(p.get("circle-radius", 5), sz), evaluate(p.get("circle-stroke-width", 0), sz)
        return [(flt, f'<MarkersSymbolizer marker-type="ellipse" width="{2 * r + sw}" height="{2 * r + sw}"'
                      f' fill="{color}" stroke="{p.get("circle-stroke-color", "#000000")}" stroke-width="{sw}"'
                      f' allow-overlap="true" ignore-placement="true"/>')
                for flt, color in cases(p.get("circle-color", "#000000"), sz)]
    return []


def text_symbolizer(layer, sz, field, placement):
    p, lay = layer.get("paint", {}), layer.get("layout", {})
    font = lay.get("text-font", ["Noto Sans CJK SC Regular"])[0]
    return (f'<TextSymbolizer face-name="{font}" size="{evaluate(lay.get("text-size", 16), sz)}"'
            f' fill="{p.get("text-color", "#000000")}" halo-fill="{p.get("text-halo-color", "#ffffff")}"'
            f' halo-radius="{evaluate(p.get("text-halo-width", 0), sz)}" placement="{placement}"'
            f' allow-overlap="false">[{field}]</TextSymbolizer>')


def rules(layer, zooms, flt_layer="", text=None):
    out = []
    for z in zooms:
        sz = max(z - 1, 0)
        if not (layer.get("minzoom", 0) <= sz < layer.get("maxzoom", 99)):
            continue
        syms = [("", text(sz))] if text else symbolizers(layer, sz)
        for flt, sym in syms:
            f = " and ".join(f"({x})" for x in (flt_layer, flt) if x)
            tag = "<ElseFilter/>" if flt is None else (f"<Filter>{escape(f)}</Filter>" if f else "")
            out.append(f"<Rule>{scale_range(z)}{tag}{sym}</Rule>")
    return out


def datasource(store, table):
    return (f'<Datasource><Parameter name="type">sqlite</Parameter><Parameter name="file">{escape(store)}</Parameter>'
            f'<Parameter name="table">{table}</Parameter><Parameter name="geometry_field">geom</Parameter>'
            f'<Parameter name="wkb_format">spatialite</Parameter><Parameter name="key_field">fid</Parameter>'
            f'<Parameter name="use_spatial_index">true</Parameter></Datasource>')


def translate(style, store, zooms):
    db = sqlite3.connect(store)
    tables = {n: (t, g, f) for n, t, g, f in db.execute("SELECT name, table_name, geometry_type, name_field FROM pk_layers")}
    bg = next((l["paint"]["background-color"] for l in style["layers"] if l["type"] == "background"), "#ffffff")
    styles, layers = [], []

    def add(name, table, rs):
        styles.append(f'<Style name="{name}">{"".join(rs)}</Style>')
        layers.append(f'<Layer name="{name}" srs="epsg:4326"><StyleName>{name}</StyleName>'
                      f'{datasource(store, table)}</Layer>')

    for l in style["layers"]:
        if l["type"] == "background" or l.get("layout", {}).get("visibility") == "none":
            continue
        src = l["source-layer"]
        if l["type"] == "symbol" and src == "labels" and src not in tables:
            # the labels layer: a label inside each named polygon of the layers the filter names
            for name in l["filter"][2]:
                table, _, field = tables[name]
                add(f'{l["id"]}-{name}', table,
                    rules(l, zooms, text=lambda sz, f=field: text_symbolizer(l, sz, f, "interior")))
        elif l["type"] == "symbol":
            table, _, field = tables[src]
            add(l["id"], table, rules(l, zooms, filter_of(l.get("filter")),
                                      text=lambda sz: text_symbolizer(l, sz, field, "point")))
        else:
            add(l["id"], tables[src][0], rules(l, zooms, filter_of(l.get("filter"))))
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<Map srs="epsg:3857" background-color="{bg}"'
            f' buffer-size="128">\n' + "\n".join(styles) + "\n" + "\n".join(layers) + "\n</Map>\n")


def tile_range(bbox, z):
    w, s, e, n = bbox
    k = 2 ** z

    def ty(lat):
        r = math.radians(max(min(lat, 85.0511287798066), -85.0511287798066))
        return (1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k
    clamp = lambda t: min(max(int(math.floor(t)), 0), k - 1)
    return clamp((w + 180) / 360 * k), clamp(ty(n)), clamp((e + 180) / 360 * k), clamp(ty(s))


def main():
    style_path, store, out, minz, maxz, bbox, xml_out = sys.argv[1:8]
    minz, maxz, bbox = int(minz), int(maxz), [float(v) for v in bbox.split(",")]
    zooms = range(minz, maxz + 1)
    xml = translate(json.load(open(style_path, encoding="utf-8")), store, zooms)
    with open(xml_out, "w", encoding="utf-8") as f:
        f.write(xml)
    mapnik.register_fonts("/usr/share/fonts/opentype/noto")
    m = mapnik.Map(256, 256)
    mapnik.load_map_from_string(m, xml)
    n = 0
    for z in zooms:
        x0, y0, x1, y1 = tile_range(bbox, z)
        size = 2 * HALF / 2 ** z
        for x in range(x0, x1 + 1):
            os.makedirs(f"{out}/{z}/{x}", exist_ok=True)
            for y in range(y0, y1 + 1):
                m.zoom_to_box(mapnik.Box2d(-HALF + x * size, HALF - (y + 1) * size, -HALF + (x + 1) * size, HALF - y * size))
                im = mapnik.Image(256, 256)
                mapnik.render(m, im)
                with open(f"{out}/{z}/{x}/{y}.png", "wb") as f:
                    f.write(im.tostring("png32"))
                n += 1
    print(n)


if __name__ == "__main__":
    main()
