#!/usr/bin/env python3
"""Candidate cells of a regular grid for the overlay benchmark.

usage: grid.py COUNTIES.gpkg OUT.geojson [--keep IDS.txt] [--step DEG]

Writes every cell of the global STEP_DEG grid (origin -180, -90) whose box
intersects the bounding box of a county (read from the GeoPackage's R-tree,
which GDAL writes for every layer), as GeoJSON polygons with a stable
integer id: cell_id = row * (360 / STEP) + col, where col and row count from
the origin. With --keep, only the cells whose ids the file lists (one a line:
those that really intersect a county, found by the caller with SpatiaLite
ST_Intersects). Only the Python standard library is used.
"""
import json
import math
import sqlite3
import sys


def main():
    args = sys.argv[1:]
    keep, step = None, 0.25
    while len(args) > 2 and args[-2] in ("--keep", "--step"):
        if args[-2] == "--keep":
            with open(args[-1]) as f:
                keep = {int(line) for line in f if line.strip()}
        else:
            step = float(args[-1])
        args = args[:-2]
    if len(args) != 2:
        sys.exit(__doc__)
    gpkg, out = args
    ncols = int(round(360 / step))
    db = sqlite3.connect(gpkg)
    (table,) = db.execute("SELECT table_name FROM gpkg_geometry_columns LIMIT 1").fetchone()
    (column,) = db.execute("SELECT column_name FROM gpkg_geometry_columns LIMIT 1").fetchone()
    cells = set()
    # R-tree boxes are float32, rounded outwards: a superset, filtered exactly later.
    for minx, maxx, miny, maxy in db.execute(f'SELECT minx, maxx, miny, maxy FROM "rtree_{table}_{column}"'):
        c0, c1 = math.floor((minx + 180) / step), math.floor((maxx + 180) / step)
        r0, r1 = math.floor((miny + 90) / step), math.floor((maxy + 90) / step)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if keep is None or r * ncols + c in keep:
                    cells.add((r, c))
    with open(out, "w") as f:
        f.write('{"type":"FeatureCollection","name":"grid",'
                '"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[\n')
        first = True
        for r, c in sorted(cells):
            x0, y0 = c * step - 180, r * step - 90  # exact: multiples of a power-of-two fraction
            x1, y1 = x0 + step, y0 + step
            ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
            feat = {"type": "Feature", "properties": {"cell_id": r * ncols + c},
                    "geometry": {"type": "Polygon", "coordinates": [ring]}}
            f.write(("" if first else ",\n") + json.dumps(feat, separators=(",", ":")))
            first = False
        f.write("\n]}\n")
    print(f"{len(cells)} cells written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
