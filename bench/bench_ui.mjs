// On-demand benchmark of the web UI (not a test), in Debian's headless
// chromium through playwright-core:
//  - first page load (GET /ui/ -> the Sessions page drawn) over a store with
//    BIG_DB's sightings, cold (a fresh browser context each round), beside a
//    floor measured in the same run: the same bundle drawing a page over an
//    empty store (bundle transfer, parse and one small API call);
//  - the other pages over the same store (Models, the largest Session with
//    its graphs' sizes and layout times), and the API calls behind them;
//    each cold load also gives, from navigation start, the load event, the
//    first contentful paint and the data painted;
//  - a playground run over the store, and a cancelled one;
//  - the largest object graph drawn smoothly: graphs of N nodes laid out
//    as the pages do (dagre, breadth-first past 600 nodes) in the session
//    page's cytoscape, then panned and zoomed for 90
//    frames; "smooth" = median frame time under 33 ms (30 frames/s; the
//    95th percentile is printed too, but on a shared machine it measures
//    the neighbours as much as the drawing).
// Each figure is the median of ROUNDS (default 3).
//
// usage: node bench/bench_ui.mjs STORM_BIN BIG_DB
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [storm, bigDb] = process.argv.slice(2);
const ROUNDS = Number(process.env.ROUNDS || 3);
const { chromium } = createRequire(path.join(root, 'ui/package.json'))('playwright-core');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'storm-bench-ui-'));

function serve(db) {
  return new Promise((resolve, reject) => {
    const p = spawn(storm, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--ui', '--ui-dir', path.join(root, 'ui/dist')],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/web UI at (http:\/\/[^ ]+\/ui\/)/);
      if (m) resolve({ proc: p, url: m[1], base: m[1].replace(/\/ui\/$/, '') });
    });
    p.on('exit', (c) => reject(new Error(`serve exited ${c}: ${err}`)));
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const big = await serve(bigDb);
const empty = await serve(path.join(tmp, 'empty.db'));
const browser = await chromium.launch({ executablePath: process.env.STORM_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });

// One cold page load in a fresh browser context. Figures from the page's
// own Navigation Timing (ms from navigation start): the load event, the
// first contentful paint, and "data painted" (the page drawn with its API
// data: body[data-ready] set after the last await, data-ready-ms); wall is
// goto -> data painted as the test process sees it.
async function load(url) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 300000 });
  const ms = Date.now() - t0;
  if (errors.length) throw new Error(errors.join('; '));
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { load: Math.round(n.loadEventEnd), fcp: fcp ? Math.round(fcp.startTime) : null,
      data: Number(document.body.dataset.readyMs), graphs: window.stormGraphStats || {} };
  });
  return { ms, nav, page, ctx };
}

// The first round is cold on the server too (its kept answers are empty);
// later rounds are a fresh browser over a server that kept the answers.
async function pageFigure(url) {
  const xs = [];
  let first = null;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await load(url);
    xs.push(r.ms);
    if (!first) first = r.nav;
    await r.ctx.close();
  }
  return { cold: xs[0], warm: xs.length > 1 ? median(xs.slice(1)) : xs[0], nav: first };
}
const fmt = (f, floor) => `cold ${f.cold} ms (${(f.cold / floor.cold).toFixed(2)}x floor), warm ${f.warm} ms (${(f.warm / floor.warm).toFixed(2)}x floor)` +
  ` [cold, from navigation start: load event ${f.nav.load} ms, first paint ${f.nav.fcp} ms, data painted ${f.nav.data} ms]`;

async function apiFigure(url) {
  const xs = [];
  let bytes = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const body = await (await fetch(url)).arrayBuffer();
    xs.push(performance.now() - t0);
    bytes = body.byteLength;
  }
  return { ms: Math.round(median(xs)), cold: Math.round(xs[0]), bytes };
}

const sightings = (await (await fetch(big.base + '/api/sightings?limit=1')).json()).total;
const floor = await pageFigure(empty.url + '#/sharing');
const first = await pageFigure(big.url);
console.log(`store: ${sightings} sightings (${bigDb})`);
console.log(`floor: the bundle over an empty store (Sharing page): cold ${floor.cold} ms, warm ${floor.warm} ms`);
console.log(`first page load (/ui/ -> Sessions drawn), ${sightings} sightings: ${fmt(first, floor)}`);
for (const [name, hash] of [['Models', '#/models'], ['Sightings (first page of 100)', '#/sightings'], ['Playground', '#/playground']]) {
  console.log(`page ${name}: ${fmt(await pageFigure(big.url + hash), floor)}`);
}
for (const api of ['/api/sessions', '/api/models', '/api/coverage', '/api/sightings?limit=100', '/api/me']) {
  const r = await apiFigure(big.base + api);
  console.log(`api ${api}: ${r.ms} ms kept (${r.cold} ms first), ${r.bytes} bytes`);
}
const sess = (await (await fetch(big.base + '/api/sessions')).json()).sessions.sort((a, b) => b.sightings - a.sightings)[0];
const sessMs = await pageFigure(big.url + '#/session/' + encodeURIComponent(sess.key));
console.log(`page Session (largest: ${sess.key}, ${sess.sightings} sightings): ${fmt(sessMs, floor)}`);
for (const [name, g] of Object.entries(sessMs.nav.graphs))
  console.log(`  its ${name} graph: ${g.nodes} nodes, ${g.edges} edges, layout ${g.layout_ms} ms`);

// The playground over this store: a pattern every process matches, run to
// its bounds; then the same run cancelled 300 ms in (how soon it stops).
{
  const me = await (await fetch(big.base + '/api/me')).json();
  const post = (p, body) => fetch(big.base + p, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Storm-CSRF': me.csrf }, body: JSON.stringify(body) }).then((r) => r.json());
  const t0 = performance.now();
  const full = await post('/api/pattern/run', { pattern: '[process:pid > 0]', run: 'bench-full', max_results: 200 });
  console.log(`playground run '[process:pid > 0]': ${Math.round(performance.now() - t0)} ms wall, ${full.scanned} of ${full.observations} observations scanned, ` +
    `${full.matched} matches (truncated ${full.truncated}, timed out ${full.timed_out}, capped ${full.capped})`);
  const t1 = performance.now();
  const running = post('/api/pattern/run', { pattern: "[process:name = 'never-there']", run: 'bench-cancel' });
  await new Promise((r) => setTimeout(r, 300));
  const tc = performance.now();
  const c = await post('/api/pattern/cancel', { run: 'bench-cancel' });
  const stopped = await running;
  console.log(`playground cancel: asked at ${Math.round(tc - t1)} ms (found: ${c.cancelled}); the run answered ${Math.round(performance.now() - tc)} ms later, ` +
    `cancelled ${stopped.cancelled}, ${stopped.scanned} of ${stopped.observations} scanned`);
}

// Graph scaling in the session page's object-graph canvas: synthetic
// graphs of N nodes (beyond what a session of this store holds).
const r = await load(big.url + '#/session/' + encodeURIComponent(sess.key));
const graphs = [];
for (const n of (process.env.GRAPH_SIZES || '250,500,1000,2000,4000').split(',').map(Number)) {
  const fig = await r.page.evaluate(async (n) => {
    const cy = window.stormGraphs.objects;
    cy.elements().remove();
    const els = [];
    for (let i = 0; i < n; i++) {
      els.push({ data: { id: 'n' + i, label: 'process ' + i, kind: i % 5 ? 'process' : 'file' } });
      if (i) els.push({ data: { id: 'e' + i, source: 'n' + Math.floor((i - 1) / 3), target: 'n' + i, label: '' } });
      if (i > 10 && i % 7 === 0) els.push({ data: { id: 'x' + i, source: 'n' + (i - 9), target: 'n' + i, label: '' } });
    }
    cy.add(els);
    let t0 = performance.now();
    window.stormLayout(cy, 'LR'); // dagre up to 600 nodes, then breadth-first, as the pages do
    cy.fit();
    const layout = performance.now() - t0;
    const frames = [];
    await new Promise((done) => {
      let k = 0, last = performance.now();
      const step = () => {
        const now = performance.now();
        frames.push(now - last); last = now;
        cy.panBy({ x: 3, y: 1 });
        cy.zoom({ level: cy.zoom() * (k % 30 < 15 ? 1.02 : 0.98), renderedPosition: { x: 300, y: 300 } });
        if (++k < 90) requestAnimationFrame(step); else done();
      };
      requestAnimationFrame(step);
    });
    frames.shift();
    frames.sort((a, b) => a - b);
    return { n, edges: cy.edges().length, layout_ms: Math.round(layout), frame_p50_ms: Math.round(frames[Math.floor(frames.length / 2)]),
      frame_p95_ms: Math.round(frames[Math.floor(frames.length * 0.95)]) };
  }, n);
  graphs.push(fig);
  console.log(`graph ${fig.n} nodes, ${fig.edges} edges: layout ${fig.layout_ms} ms, pan/zoom frame p50 ${fig.frame_p50_ms} ms, p95 ${fig.frame_p95_ms} ms` +
    (fig.frame_p50_ms < 33 ? ' (smooth)' : ' (not smooth)'));
}
const smooth = graphs.filter((g) => g.frame_p50_ms < 33).pop();
console.log(`largest graph drawn smoothly: ${smooth ? smooth.n + ' nodes' : 'none of those measured'}`);
await r.ctx.close();
await browser.close();
big.proc.kill('SIGTERM');
empty.proc.kill('SIGTERM');
rmSync(tmp, { recursive: true, force: true });
