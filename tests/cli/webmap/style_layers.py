#!/usr/bin/env python3
"""style_layers.py TILES.mbtiles STYLE.json...: every source-layer a style
names is a tile layer of the tiles (vector_layers of the MBTiles metadata),
and every attribute its expressions and filters read (get, has, legacy
filters) is a field of that tile layer. A wrong name draws nothing, silently.
Prints one line per problem; exit 1 when there is any."""
import json
import sqlite3
import sys


def attributes(node, legacy_filter=False):
    """The attribute names an expression or a legacy filter reads."""
    if not isinstance(node, list) or not node:
        return
    op = node[0]
    if op in ("get", "has") and len(node) == 2 and isinstance(node[1], str):
        yield node[1]
        return
    if legacy_filter and op in ("==", "!=", "<", "<=", ">", ">=", "in", "!in", "has", "!has") \
            and len(node) >= 2 and isinstance(node[1], str) and not node[1].startswith("$"):
        yield node[1]
        return
    for child in node[1:]:
        yield from attributes(child, legacy_filter and op in ("all", "any", "none"))


def main():
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    meta = json.loads(db.execute("SELECT value FROM metadata WHERE name = 'json'").fetchone()[0])
    fields = {v["id"]: set(v.get("fields", {})) for v in meta["vector_layers"]}
    problems = 0
    for path in sys.argv[2:]:
        style = json.load(open(path, encoding="utf-8"))
        for layer in style["layers"]:
            src = layer.get("source-layer")
            if src is None:
                continue
            if src not in fields:
                print(f"{path}: layer {layer['id']}: source-layer '{src}' is not in the tiles")
                problems += 1
                continue
            used = set(attributes(layer.get("filter"), True))
            for group in ("layout", "paint"):
                for value in layer.get(group, {}).values():
                    used |= set(attributes(value))
            for name in sorted(used - fields[src]):
                print(f"{path}: layer {layer['id']}: attribute '{name}' is not a field of tile layer '{src}'")
                problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
