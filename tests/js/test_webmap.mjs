// test_webmap.mjs — the web map in a real browser: Debian's Chromium (WebGL
// on SwiftShader) driven by playwright-core opens the page `plankit serve`
// serves and checks, for each style, that the map went idle with no console
// error and no failed request, that every style layer visible at the zoom
// rendered features, that the Chinese zone labels were placed, that the
// layer-group and style switchers work and that a click shows the clicked
// town's attributes with its task ids. Screenshots go to OUT_DIR.
// usage: node test_webmap.mjs URL OUT_DIR
import { chromium } from 'playwright-core';
import { join } from 'node:path';

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) {
  console.error('usage: node test_webmap.mjs URL OUT_DIR');
  process.exit(2);
}
let failed = 0, passed = 0;
const ok = (cond, what) => {
  if (cond) { passed++; console.log(`ok - ${what}`); } else { failed++; console.log(`not ok - ${what}`); }
};

// playwright gives the browser a fresh profile (--user-data-dir) of its own.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
         '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
         '--disable-quic'],
});
const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
const problems = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });

// Resolve when the map is idle (style and tiles loaded, nothing moving).
const idle = () => page.evaluate(() => new Promise((resolve) => {
  const m = window.plankitMap;
  const done = () => m.isStyleLoaded() && m.areTilesLoaded() && !m.isMoving();
  if (done()) resolve(); else m.once('idle', resolve);
}));

// Do something to the map and wait for the 'idle' that follows it (a map
// that looks idle right after a jump has not yet asked for its new tiles).
async function andIdle(action) {
  await page.evaluate(() => {
    window.__idle = new Promise((resolve, reject) => {
      window.plankitMap.once('idle', resolve);
      setTimeout(() => reject(new Error('the map did not go idle in 60 s')), 60000);
    });
  });
  await action();
  await page.evaluate(() => window.__idle);
}
const jump = (center, zoom) => andIdle(() => page.evaluate(([c, z]) => window.plankitMap.jumpTo({ center: c, zoom: z }), [center, zoom]));

// For every layer of the current style: [id, minzoom, maxzoom, rendered features].
const rendered = () => page.evaluate(() => {
  const m = window.plankitMap;
  return m.getStyle().layers.filter((l) => l.type !== 'background').map((l) =>
    [l.id, l.minzoom ?? 0, l.maxzoom ?? 24, m.queryRenderedFeatures({ layers: [l.id] }).length]);
});

// fromZoom: only the layers that appear above that zoom (a second, closer view).
async function checkLayers(style, zoom, fromZoom = -1) {
  for (const [id, minzoom, maxzoom, n] of await rendered()) {
    if (zoom < minzoom || zoom >= maxzoom || minzoom <= fromZoom) continue;
    ok(n > 0, `${style} z${zoom}: layer ${id} rendered features (${n})`);
  }
}

async function openStyle(style) {
  problems.length = 0;
  await page.goto(`${url}?style=${style}`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.plankitMap && window.plankitMap.isStyleLoaded(), null, { timeout: 60000 });
  await idle();
  await jump([120.98, 31.38], 10);
  ok(problems.length === 0, `${style}: idle with no console error and no failed request ${problems.join('; ')}`);
  ok(await page.evaluate((s) => window.plankitMap.getStyle().name === `plankit ${s}`, style), `${style}: style loaded`);
  await checkLayers(style, 10);
  await page.screenshot({ path: join(outDir, `webmap-${style}.png`) });
}

try {
  // zones: every layer, the Chinese labels, the station labels at z12.5
  await openStyle('zones');
  const names = await page.evaluate(() => window.plankitMap.queryRenderedFeatures({ layers: ['zones-label'] })
    .map((f) => f.properties.name));
  ok(names.includes('青阳港中央商务区'), `zones: the key area label 青阳港中央商务区 was placed (${names.join(' ')})`);
  const towns = await page.evaluate(() => window.plankitMap.queryRenderedFeatures({ layers: ['towns-label'] })
    .map((f) => f.properties.name));
  ok(towns.length >= 6 && towns.every((n) => /[\u4e00-\u9fff]/.test(n)), `zones: Chinese town labels placed (${towns.join(' ')})`);
  const station = await page.evaluate(() =>
    window.plankitMap.queryRenderedFeatures({ layers: ['metro_stations-circle'] })[0]?.geometry.coordinates);
  ok(Array.isArray(station), 'zones: a metro station is drawn');
  if (station) {
    await jump(station, 12.5);
    await checkLayers('zones', 12.5, 10);
  }

  // the layer switcher hides a group
  await jump([120.98, 31.38], 10);
  await andIdle(() => page.click('input[data-group="标注 labels"]'));
  const hidden = await page.evaluate(() => window.plankitMap.queryRenderedFeatures({ layers: ['towns-label', 'zones-label'] }).length);
  const shown = await page.evaluate(() => window.plankitMap.queryRenderedFeatures({ layers: ['towns-fill'] }).length);
  ok(hidden === 0 && shown > 0, `layer switcher: labels hidden (${hidden} left), towns still drawn (${shown})`);

  // the style switcher
  await andIdle(() => page.selectOption('#style', 'tasks'));
  ok(await page.evaluate(() => window.plankitMap.queryRenderedFeatures({ layers: ['tasks-zone-fill'] }).length > 0),
     'style switcher: the tasks style is drawn');

  // coverage and tasks: every layer; a click on a town shows its task ids
  await openStyle('coverage');
  const town = await page.evaluate(() => {
    const m = window.plankitMap;
    for (let y = 300; y < 740; y += 40)   // below the panel
      for (let x = 40; x < 980; x += 40) {
        const f = m.queryRenderedFeatures([x, y], { layers: ['towns-share-fill'] }).find((t) => t.properties.task_ids);
        if (f) return { x, y, name: f.properties.name, ids: f.properties.task_ids };
      }
    return null;
  });
  ok(town !== null, 'coverage: a town with task ids under a point of the map');
  if (town) {
    await page.mouse.click(town.x, town.y);
    const popup = await page.waitForSelector('.maplibregl-popup', { timeout: 10000 }).then((e) => e.textContent());
    const first = town.ids.split(',')[0];
    ok(popup.includes(town.name) && popup.includes(first) && popup.includes('share'),
       `popup: ${town.name} with its task id ${first} and share`);
  }
  await openStyle('tasks');
  ok(problems.length === 0, `no console error and no failed request at the end ${problems.join('; ')}`);
} catch (e) {
  ok(false, `browser test ran to the end: ${e.stack}`);
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
