// test_tiles.mjs — plankit's vector tiles decoded by independent decoders:
// @mapbox/vector-tile + pbf for the MVT bytes, pmtiles for the PMTiles v3
// archives. Reads what tests/unit/test_tile_kunshan wrote to
// $PLANKIT_TILE_OUT (the z/x/y folder, whose files the C test checked to be
// the MBTiles tiles ungzipped; towns.pmtiles; grid.pmtiles with leaf
// directories) and expected.json, the features the encoder was given.
// Run by ctest as js/test_tiles after unit/test_tile_kunshan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader as Pbf } from 'pbf';
import { PMTiles, TileType, Compression } from 'pmtiles';

const out = process.env.PLANKIT_TILE_OUT;
assert.ok(out, 'PLANKIT_TILE_OUT must name the folder test_tile_kunshan wrote');
const expected = JSON.parse(fs.readFileSync(path.join(out, 'expected.json'), 'utf8'));

// A pmtiles Source over a local file.
class FileRangeSource {
  constructor(file) {
    this.file = file;
    this.fd = fs.openSync(file, 'r');
  }
  getKey() {
    return this.file;
  }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(this.fd, buf, 0, length, offset);
    return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + n) };
  }
}

// Twice the signed area by the spec's surveyor's formula (tile coordinates).
function area2(ring) {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++) s += ring[i].x * ring[i + 1].y - ring[i + 1].x * ring[i].y;
  return s;
}

function checkPolygon(feature, want) {
  const rings = feature.loadGeometry();
  assert.ok(rings.length >= 1);
  assert.ok(area2(rings[0]) > 0, 'the first ring is an exterior (positive area)');
  let total = 0;
  for (const ring of rings) {
    assert.ok(ring.length >= 4, 'a ring has at least 3 distinct points and closes');
    assert.deepEqual(ring[0], ring[ring.length - 1]);
    for (let i = 1; i < ring.length; i++)
      assert.ok(ring[i].x !== ring[i - 1].x || ring[i].y !== ring[i - 1].y, 'no repeated point');
    const a = area2(ring);
    assert.notEqual(a, 0);
    total += a;
  }
  assert.equal(total / 2, want.area, `area of feature ${want.id}`);
}

// Decode one towns tile and compare it with what the encoder was given.
function checkTownsTile(bytes, t) {
  const tile = new VectorTile(new Pbf(bytes));
  assert.deepEqual(Object.keys(tile.layers), ['towns']);
  const layer = tile.layers.towns;
  assert.equal(layer.version, 2);
  assert.equal(layer.extent, 4096);
  assert.equal(layer.length, t.features.length, `features in ${t.z}/${t.x}/${t.y}`);
  const byId = new Map(t.features.map((f) => [f.id, f]));
  for (let i = 0; i < layer.length; i++) {
    const f = layer.feature(i);
    const want = byId.get(f.id);
    assert.ok(want, `feature id ${f.id} was encoded`);
    assert.equal(f.type, 3);
    for (const key of ['name', 'name_en', 'code', 'rank', 'offset', 'cx', 'is_town'])
      assert.strictEqual(f.properties[key], want[key], `${key} of feature ${f.id}`);
    checkPolygon(f, want);
    const gj = f.toGeoJSON(t.x, t.y, t.z);
    const lons = JSON.stringify(gj.geometry.coordinates).match(/-?\d+\.\d+/g).map(Number);
    for (let k = 0; k < lons.length; k += 2) {
      assert.ok(lons[k] > 120.7 && lons[k] < 121.3, 'longitude in Kunshan');
      assert.ok(lons[k + 1] > 31.0 && lons[k + 1] < 31.7, 'latitude in Kunshan');
    }
  }
}

test('expected.json lists real tiles', () => {
  assert.ok(expected.tiles.length >= 6);
  assert.ok(expected.tiles.some((t) => t.features.some((f) => f.name === '张浦镇')));
});

test('z/x/y folder: every tile decodes to the features given', () => {
  for (const t of expected.tiles) {
    const bytes = fs.readFileSync(path.join(out, 'towns-xyz', `${t.z}`, `${t.x}`, `${t.y}.pbf`));
    checkTownsTile(bytes, t);
  }
  const tj = JSON.parse(fs.readFileSync(path.join(out, 'towns-xyz', 'tiles.json'), 'utf8'));
  assert.equal(tj.tilejson, '3.0.0');
  assert.deepEqual(tj.tiles, ['{z}/{x}/{y}.pbf']);
  assert.equal(tj.name, '昆山区镇');
  assert.equal(tj.minzoom, 8);
  assert.equal(tj.maxzoom, 10);
  assert.equal(tj.vector_layers[0].id, 'towns');
  assert.equal(tj.vector_layers[0].fields.is_town, 'Boolean');
});

test('PMTiles: header, metadata and every tile through the pmtiles reader', async () => {
  const p = new PMTiles(new FileRangeSource(path.join(out, 'towns.pmtiles')));
  const h = await p.getHeader();
  assert.equal(h.specVersion, 3);
  assert.equal(h.tileType, TileType.Mvt);
  assert.equal(h.tileCompression, Compression.Gzip);
  assert.equal(h.internalCompression, Compression.Gzip);
  assert.equal(h.clustered, true);
  assert.equal(h.minZoom, 8);
  assert.equal(h.maxZoom, 10);
  assert.equal(h.centerZoom, 9);
  assert.ok(Math.abs(h.minLon - 120.805664) < 1e-6 && Math.abs(h.maxLat - 31.541992) < 1e-6);
  assert.equal(h.numAddressedTiles, expected.tiles.length);
  assert.equal(h.numTileContents, expected.tiles.length);
  const meta = await p.getMetadata();
  assert.equal(meta.name, '昆山区镇');
  assert.equal(meta.vector_layers[0].id, 'towns');
  assert.equal(meta.vector_layers[0].fields.name, 'String');
  for (const t of expected.tiles) {
    const r = await p.getZxy(t.z, t.x, t.y);
    assert.ok(r, `tile ${t.z}/${t.x}/${t.y} is in the archive`);
    checkTownsTile(new Uint8Array(r.data), t);
  }
  assert.equal(await p.getZxy(8, 0, 0), undefined);
});

test('PMTiles with leaf directories: tiles found where they belong', async () => {
  const p = new PMTiles(new FileRangeSource(path.join(out, 'grid.pmtiles')));
  const h = await p.getHeader();
  assert.ok(h.leafDirectoryLength > 0, 'the archive has leaf directories');
  assert.ok(h.numAddressedTiles > 40000);
  assert.ok(expected.grid.present.length > 100 && expected.grid.absent.length > 100);
  for (const [z, x, y] of expected.grid.present) {
    const r = await p.getZxy(z, x, y);
    assert.ok(r, `grid tile ${z}/${x}/${y} is in the archive`);
    const layer = new VectorTile(new Pbf(new Uint8Array(r.data))).layers.grid;
    assert.equal(layer.length, 1);
    assert.equal(layer.feature(0).properties.zxy, `${z}/${x}/${y}`);
  }
  for (const [z, x, y] of expected.grid.absent)
    assert.equal(await p.getZxy(z, x, y), undefined, `grid tile ${z}/${x}/${y} was left out`);
});
