// test_raster_maplibre.mjs — plankit's raster tiles against MapLibre GL JS
// drawing the same style: the web map page `plankit serve` serves, in
// Debian's Chromium (driven by playwright-core), is set to the view of a
// block of raster tiles (zoom z - 1: MapLibre's world is 512 pixels at zoom
// 0, a 256-pixel tile's is 256), its canvas is read, and plankit's tiles of
// the block are stitched in the page; both are compared with a perceptual
// metric: SSIM of the luminance (8x8 windows) and the mean difference of
// the colours after a blur of radius 2 (so antialiasing and one-pixel
// differences of edges do not count). Symbol layers are hidden on both
// sides (text is drawn by different engines with different placement
// rules). The comparison must also fail for two broken renders: plankit's
// tiles shifted by 6 pixels (geometry offset) and tiles drawn with the
// towns' fill in the wrong colour (WRONG_DIR).
// usage: node test_raster_maplibre.mjs URL Z X0 Y0 NX NY TILE_DIR WRONG_DIR OUT_DIR
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, zs, x0s, y0s, nxs, nys, tileDir, wrongDir, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node test_raster_maplibre.mjs URL Z X0 Y0 NX NY TILE_DIR WRONG_DIR OUT_DIR');
  process.exit(2);
}
const [z, x0, y0, nx, ny] = [zs, x0s, y0s, nxs, nys].map(Number);
// the tolerance: what a render must reach to count as the same map
const SSIM_MIN = 0.95, DIFF_MAX = 1.5;
let failed = 0, passed = 0;
const ok = (cond, what) => {
  if (cond) { passed++; console.log(`ok - ${what}`); } else { failed++; console.log(`not ok - ${what}`); }
};

// the block's centre in degrees, from its world pixels at zoom z
const world = 256 * 2 ** z;
const cx = x0 * 256 + nx * 128, cy = y0 * 256 + ny * 128;
const center = [cx / world * 360 - 180, Math.atan(Math.sinh(Math.PI * (1 - 2 * cy / world))) * 180 / Math.PI];

const tilesOf = (dir) => {
  const t = [];
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++)
      t.push([i, j, 'data:image/png;base64,' + readFileSync(join(dir, `${z}`, `${x0 + i}`, `${y0 + j}.png`)).toString('base64')]);
  return t;
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
         '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
         '--disable-quic'],
});
const page = await browser.newPage({ viewport: { width: nx * 256, height: ny * 256 }, deviceScaleFactor: 1 });
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
await page.goto(`${url}?style=zones`, { waitUntil: 'load' });
await page.waitForFunction(() => window.plankitMap && window.plankitMap.isStyleLoaded(), null, { timeout: 60000 });

// MapLibre at the block's view, labels hidden; its canvas once idle
const maplibre = await page.evaluate(async ([c, zoom]) => {
  const m = window.plankitMap;
  for (const l of m.getStyle().layers) if (l.type === 'symbol') m.setLayoutProperty(l.id, 'visibility', 'none');
  await new Promise((resolve, reject) => {
    m.once('idle', resolve);
    setTimeout(() => reject(new Error('the map did not go idle in 60 s')), 60000);
    m.jumpTo({ center: c, zoom });
  });
  return await new Promise((resolve) => {
    m.once('render', () => resolve(m.getCanvas().toDataURL('image/png')));
    m.triggerRepaint();
  });
}, [center, z - 1]);
writeFileSync(join(outDir, 'maplibre.png'), Buffer.from(maplibre.split(',')[1], 'base64'));

// Compare MapLibre's image with stitched tiles (shifted by dx, dy pixels):
// [ssim, mean blurred colour difference]; the stitched image is saved.
const compare = (tiles, dx, dy) => page.evaluate(async ([a, tiles, w, h, dx, dy]) => {
  const load = (src) => new Promise((resolve, reject) => {
    const im = new Image(); im.onload = () => resolve(im); im.onerror = reject; im.src = src;
  });
  const canvas = (draw) => {
    const c = document.createElement('canvas'); c.width = w; c.height = h;
    const g = c.getContext('2d'); draw(g); return [c, g.getImageData(0, 0, w, h).data];
  };
  const imA = await load(a);
  const [, A] = canvas((g) => g.drawImage(imA, 0, 0));
  const ims = await Promise.all(tiles.map((t) => load(t[2])));
  const [cB, B] = canvas((g) => { g.fillStyle = '#fff'; g.fillRect(0, 0, w, h);
    tiles.forEach((t, k) => g.drawImage(ims[k], t[0] * 256 + dx, t[1] * 256 + dy)); });
  // box blur of radius r of one channel, twice (close to a Gaussian)
  const blur = (src, r) => {
    let cur = src;
    for (let pass = 0; pass < 2; pass++) {
      const tmp = new Float32Array(w * h), out = new Float32Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        let s = 0, n = 0;
        for (let k = -r; k <= r; k++) { const xx = x + k; if (xx >= 0 && xx < w) { s += cur[y * w + xx]; n++; } }
        tmp[y * w + x] = s / n;
      }
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        let s = 0, n = 0;
        for (let k = -r; k <= r; k++) { const yy = y + k; if (yy >= 0 && yy < h) { s += tmp[yy * w + x]; n++; } }
        out[y * w + x] = s / n;
      }
      cur = out;
    }
    return cur;
  };
  const channel = (P, c) => { const o = new Float32Array(w * h); for (let i = 0; i < w * h; i++) o[i] = P[4 * i + c]; return o; };
  let diff = 0;
  for (let c = 0; c < 3; c++) {
    const a1 = blur(channel(A, c), 2), b1 = blur(channel(B, c), 2);
    for (let i = 0; i < w * h; i++) diff += Math.abs(a1[i] - b1[i]);
  }
  diff /= 3 * w * h;
  // SSIM of the luminance over 8x8 windows
  const lum = (P) => { const o = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) o[i] = 0.299 * P[4 * i] + 0.587 * P[4 * i + 1] + 0.114 * P[4 * i + 2]; return o; };
  const la = lum(A), lb = lum(B), C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;
  let ssim = 0, nwin = 0;
  for (let y = 0; y + 8 <= h; y += 4) for (let x = 0; x + 8 <= w; x += 4) {
    let ma = 0, mb = 0;
    for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) { ma += la[(y + j) * w + x + i]; mb += lb[(y + j) * w + x + i]; }
    ma /= 64; mb /= 64;
    let va = 0, vb = 0, cov = 0;
    for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) {
      const da = la[(y + j) * w + x + i] - ma, db = lb[(y + j) * w + x + i] - mb;
      va += da * da; vb += db * db; cov += da * db;
    }
    va /= 63; vb /= 63; cov /= 63;
    ssim += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
    nwin++;
  }
  return [ssim / nwin, diff, cB.toDataURL('image/png')];
}, [maplibre, tiles, nx * 256, ny * 256, dx, dy]);

const same = (r) => r[0] >= SSIM_MIN && r[1] <= DIFF_MAX;
const show = (r) => `SSIM ${r[0].toFixed(3)}, blurred difference ${r[1].toFixed(2)}`;
const good = await compare(tilesOf(tileDir), 0, 0);
writeFileSync(join(outDir, 'plankit.png'), Buffer.from(good[2].split(',')[1], 'base64'));
ok(same(good), `plankit's tiles look like MapLibre at zoom ${z - 1} (${show(good)}; needs SSIM >= ${SSIM_MIN}, difference <= ${DIFF_MAX})`);
const shifted = await compare(tilesOf(tileDir), 6, 6);
ok(!same(shifted), `tiles offset by 6 px do not (${show(shifted)})`);
const wrong = await compare(tilesOf(wrongDir), 0, 0);
ok(!same(wrong), `tiles with the towns in the wrong colour do not (${show(wrong)})`);
ok(problems.length === 0, `no page error ${problems.join('; ')}`);
await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
