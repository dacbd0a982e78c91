#!/usr/bin/env python3
"""Markdown report of scripts/bench/overlay.sh from the files in its work
directory (results.tsv, compare_*.tsv, compare_details.txt, versions.txt).

usage: report.py WORK_DIR RUNS CELLS DETERMINISTIC
"""
import os
import statistics
import sys

NAMES = {
    "plankit-tdefault": "plankit (default threads)", "plankit-t1": "plankit --threads 1",
    "plankit-gpkg": "plankit -o pieces.gpkg (file output, default threads)",
    "ref-ogr2ogr-gpkg": "ogr2ogr copy of plankit's .gpkg (reference: writing alone)", "pkf": "plankit -o pieces.gpkg",
    "plankit": "plankit", "spatialite": "SpatiaLite", "postgis": "PostGIS", "postgis-serial": "PostGIS, no parallel workers", "geopandas": "GeoPandas",
    "pk": "plankit", "sl": "SpatiaLite", "pg": "PostGIS", "gp": "GeoPandas",
}


def read(path):
    return open(path).read() if os.path.exists(path) else ""


def main():
    work, runs, cells, det = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rows = [line.rstrip("\n").split("\t") for line in open(os.path.join(work, "results.tsv"))][1:]
    by = {}
    for r in rows:
        by.setdefault((r[0], r[1]), []).append(r)
    out = []
    out.append("Machine and versions:\n")
    for line in read(os.path.join(work, "versions.txt")).splitlines():
        out.append(f"    {line}")
    pairs = read(os.path.join(work, "pk_pairs.txt")).strip()
    out.append(f"\nInputs: 3,253 counties (one without geometry), {int(cells):,} grid cells of 0.25°; "
               f"plankit reports {pairs.strip('()')}.\n")
    for scen, title in (("overlay", "(1) Overlay alone, from repaired inputs in each tool's store"),
                        ("e2e", "(2) End to end: load + repair + overlay")):
        keys = [k for k in by if k[0] == scen]
        if not keys:
            continue
        best = {}
        for k in keys:
            rs = sorted(by[k], key=lambda r: float(r[3]))
            best[k[1]] = (rs[0], statistics.median(float(r[3]) for r in rs), len(rs))
        ref = best.get("plankit-tdefault", best.get("plankit"))
        ref1 = best.get("plankit-t1")
        out.append(f"### {title}\n")
        many = any(n > 1 for _, _, n in best.values())
        hdr = "| tool | wall s" + (" (best; median)" if many else "") + " | CPU s | peak RSS MB | pieces | wall ÷ plankit"
        hdr += " | wall ÷ plankit -t1 |" if ref1 else " |"
        hdr += " CPU ÷ plankit | others busy (cores) |"
        out.append(hdr)
        out.append("|" + "---|" * (hdr.count("|") - 1))
        order = ["plankit-tdefault", "plankit-t1", "plankit", "plankit-gpkg", "ref-ogr2ogr-gpkg", "postgis", "postgis-serial", "spatialite", "geopandas"]
        for tool in sorted(best, key=lambda t: order.index(t) if t in order else 99):
            r, med, n = best[tool]
            wall, cpu, rss = float(r[3]), float(r[4]), int(r[5]) / 1024
            w = f"{wall:.2f}" + (f"; {med:.2f}" if n > 1 else "")
            line = f"| {NAMES.get(tool, tool)} | {w} | {cpu:.2f} | {rss:.0f} | {r[6]} | {wall / float(ref[0][3]):.2f}"
            if ref1:
                line += f" | {wall / float(ref1[0][3]):.2f}"
            line += f" | {cpu / float(ref[0][4]):.2f} | {r[7]} |"
            out.append(line)
        out.append("")
        cmp = read(os.path.join(work, "compare_overlay.tsv" if scen == "overlay" else "compare_e2e.tsv"))
        if cmp.strip():
            out.append("Pieces measured the same way for every tool (ST_Area(ST_Transform(geom, 6933)) in one "
                       "SpatiaLite database), against plankit's:\n")
            out.append("| tool | rows | pieces (area > 0) | total km² | total rel. diff | matched pairs | "
                       "max rel. diff per pair | max abs. diff m² | pairs > 1e-6 rel. | only in tool | only in plankit |")
            out.append("|---|---|---|---|---|---|---|---|---|---|---|")
            checks = []
            for line in cmp.strip().splitlines():
                f = line.split("\t")
                if f[0].lstrip("e") != "pk":
                    pk_n = cmp.strip().splitlines()[0].split("\t")[2]
                    checks.append(f"{NAMES.get(f[0].lstrip('e'), f[0])}: piece count "
                                  f"{'equal' if f[2] == pk_n else f'DIFFERENT ({f[2]} vs plankit {pk_n})'}, total area "
                                  f"{'within' if float(f[4]) <= 1e-6 else 'NOT within'} 1e-6 ({f[4]}), "
                                  f"max per-pair difference {f[6]}")
                name = NAMES.get(f[0].lstrip("e") if scen == "e2e" else f[0], f[0])
                own = f" (own area_m2: {f[11]})" if len(f) > 11 and f[11] else ""
                out.append(f"| {name} | {f[1]} | {f[2]} | {f[3]}{own} | {f[4]} | {f[5]} | {f[6]} | {f[7]} | "
                           f"{f[8]} | {f[9]} | {f[10]} |")
            out.append("")
            out.append("Checks against plankit: " + "; ".join(checks) + ".\n")
        if ref:
            peers_best = {t: float(v[0][3]) for t, v in best.items() if not t.startswith(("plankit", "ref-"))}
            if peers_best:
                slowest_ratio = min(peers_best.values()) / float(ref[0][3])
                line = (f"Target: plankit (default threads) faster than every peer: "
                        f"{'yes' if slowest_ratio > 1 else 'NO'} (fastest peer ÷ plankit = {slowest_ratio:.2f})")
                if scen == "overlay" and "postgis" in peers_best:
                    r = peers_best["postgis"] / float(ref[0][3])
                    line += f"; at least 3× faster than PostGIS: {'yes' if r >= 3 else 'NO'} (PostGIS ÷ plankit = {r:.2f})"
                out.append(line + ".\n")
    out.append(f"plankit output identical for --threads 1 and the default: {det}\n")
    details = read(os.path.join(work, "compare_details.txt")).strip()
    if details:
        out.append("Details (county fid, cell id, area m²):\n")
        out.extend(f"    {line}" for line in details.splitlines())
        out.append("")
    plan = read(os.path.join(work, "pg_plan.txt")).strip()
    if plan:
        out.append("PostGIS plan of the overlay:\n")
        out.extend(f"    {line}" for line in plan.splitlines())
    print("\n".join(out))


if __name__ == "__main__":
    main()
