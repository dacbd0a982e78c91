#!/usr/bin/python3
"""GeoPandas peer of the overlay benchmark (optional: Debian python3-geopandas
and python3-rtree, shapely 1.8 on GEOS).

usage: gpd_overlay.py overlay COUNTIES.gpkg GRID.geojson OUT.gpkg
       gpd_overlay.py e2e RAW_COUNTIES GRID.geojson OUT.gpkg

overlay: reads the already-repaired counties and the grid, then times only
geopandas.overlay(how="intersection") (polygonal pieces, keep_geom_type).
e2e: times reading the raw counties, repairing them with shapely's make_valid
(GEOS MakeValid), reading the grid and the overlay.
Prints one line "wall cpu pieces" of the timed part (seconds, seconds, count)
and writes the pieces with area > 0 (county_fid, cell_id) to OUT.gpkg,
untimed. county_fid numbers the counties from 1 in file order, like the other
tools.
"""
import resource
import sys
import time
import warnings

import geopandas as gpd
from shapely.validation import make_valid

warnings.filterwarnings("ignore")


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def polygonal(g):
    """The polygonal part of a repaired geometry (None when nothing is left)."""
    if g is None or g.is_empty:
        return None
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    from shapely.ops import unary_union
    return unary_union(parts)


def read_counties(path, repair):
    c = gpd.read_file(path)
    c["county_fid"] = range(1, len(c) + 1)
    if repair:
        c["geometry"] = [polygonal(make_valid(g)) if g is not None and not g.is_valid else g
                         for g in c.geometry]
    c = c[c.geometry.notna() & ~c.geometry.is_empty]
    return c[["county_fid", "name", "city_key", "geometry"]]


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("overlay", "e2e"):
        sys.exit(__doc__)
    mode, counties_path, grid_path, out = sys.argv[1:]
    if mode == "overlay":
        counties = read_counties(counties_path, repair=False)
        grid = gpd.read_file(grid_path)[["cell_id", "geometry"]]
        w0, c0 = time.perf_counter(), cpu()
    else:
        w0, c0 = time.perf_counter(), cpu()
        counties = read_counties(counties_path, repair=True)
        grid = gpd.read_file(grid_path)[["cell_id", "geometry"]]
    pieces = gpd.overlay(counties, grid, how="intersection", keep_geom_type=True)
    wall, used = time.perf_counter() - w0, cpu() - c0
    pieces = pieces[pieces.geometry.area > 0]
    print(f"{wall:.3f} {used:.3f} {len(pieces)}")
    pieces[["county_fid", "cell_id", "geometry"]].to_file(out, driver="GPKG", layer="pieces")


if __name__ == "__main__":
    main()
