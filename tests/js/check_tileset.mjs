// check_tileset.mjs — a plankit tileset decoded by independent decoders
// (@mapbox/vector-tile + pbf for MVT, pmtiles for PMTiles v3), for the
// shell tests of `plankit tiles vector` (tests/cli/t6001-tiles-vector.sh):
//
//   node check_tileset.mjs FOLDER ARCHIVE.pmtiles EXPECTED.json
//
// FOLDER is a z/x/y.pbf export and ARCHIVE the same export as PMTiles.
// EXPECTED.json: {"minzoom", "maxzoom", "layers": {NAME: {"z0": features
// in the z0 tile, "fields": [allowed keys]}}}. Every tile of the folder is
// decoded; every feature has an id and only the layer's keys; every polygon
// ring closes with >= 3 distinct points, exteriors have positive area by the
// spec's formula; the z0 counts match; the archive holds the same tiles with
// the same features. Prints one line per check; exits 1 on the first failure.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader as Pbf } from 'pbf';
import { PMTiles } from 'pmtiles';

const [folder, archive, expectedFile] = process.argv.slice(2);
const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));

class FileRangeSource {
  constructor(file) { this.file = file; this.fd = fs.openSync(file, 'r'); }
  getKey() { return this.file; }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(this.fd, buf, 0, length, offset);
    return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + n) };
  }
}

const unzip = (b) => (b[0] === 0x1f && b[1] === 0x8b ? zlib.gunzipSync(b) : b);

function area2(ring) {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++) s += ring[i].x * ring[i + 1].y - ring[i + 1].x * ring[i].y;
  return s;
}

// Decode one tile; returns {layer: feature count}.
function checkTile(bytes, where) {
  const tile = new VectorTile(new Pbf(unzip(Buffer.from(bytes))));
  const counts = {};
  for (const [name, layer] of Object.entries(tile.layers)) {
    const want = expected.layers[name];
    assert.ok(want, `${where}: unexpected layer ${name}`);
    assert.equal(layer.extent, 4096);
    counts[name] = layer.length;
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      assert.ok(f.id !== undefined, `${where} ${name}: a feature without id`);
      for (const k of Object.keys(f.properties)) assert.ok(want.fields.includes(k), `${where} ${name}: key ${k}`);
      const geom = f.loadGeometry();
      assert.ok(geom.length >= 1, `${where} ${name} ${f.id}: no geometry`);
      if (f.type !== 3) continue;
      assert.ok(area2(geom[0]) > 0, `${where} ${name} ${f.id}: first ring is not an exterior`);
      for (const ring of geom) {
        assert.ok(ring.length >= 4, `${where} ${name} ${f.id}: a ring of ${ring.length} points`);
        assert.deepEqual(ring[0], ring[ring.length - 1]);
        assert.notEqual(area2(ring), 0, `${where} ${name} ${f.id}: a ring of zero area`);
      }
    }
  }
  return counts;
}

let tiles = 0;
const seen = [];
for (let z = expected.minzoom; z <= expected.maxzoom; z++) {
  const zdir = path.join(folder, String(z));
  if (!fs.existsSync(zdir)) continue;
  for (const x of fs.readdirSync(zdir))
    for (const file of fs.readdirSync(path.join(zdir, x))) {
      const y = parseInt(file, 10);
      const counts = checkTile(fs.readFileSync(path.join(zdir, x, file)), `${z}/${x}/${y}`);
      seen.push({ z, x: parseInt(x, 10), y, counts });
      tiles++;
    }
}
assert.ok(tiles > 0, 'the folder has tiles');
console.log(`ok - ${tiles} tiles of the folder decoded and checked`);

const z0 = seen.find((t) => t.z === expected.minzoom && expected.minzoom === 0);
if (z0)
  for (const [name, want] of Object.entries(expected.layers))
    if (want.z0 !== undefined) {
      assert.equal(z0.counts[name] ?? 0, want.z0, `z0 features of ${name}`);
      console.log(`ok - z0 holds the ${want.z0} features of ${name}`);
    }

const p = new PMTiles(new FileRangeSource(archive));
const header = await p.getHeader();
assert.equal(header.minZoom, expected.minzoom);
assert.equal(header.maxZoom, expected.maxzoom);
for (const t of seen) {
  const r = await p.getZxy(t.z, t.x, t.y);
  assert.ok(r, `archive tile ${t.z}/${t.x}/${t.y} missing`);
  assert.deepEqual(checkTile(new Uint8Array(r.data), `pmtiles ${t.z}/${t.x}/${t.y}`), t.counts);
}
assert.equal(header.numAddressedTiles, tiles, 'the archive holds as many tiles as the folder');
console.log(`ok - the PMTiles archive holds the same ${tiles} tiles with the same features`);
