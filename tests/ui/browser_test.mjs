// The web UI in a real browser (Debian's chromium, headless, driven by
// playwright-core): every page loads with no console error and shows the
// data of a store built from the corpus; the models and session graphs have
// the nodes and edges the store implies; the playground reports a
// positioned error for a bad pattern and the right matches for a good one;
// the Models page's coverage agrees with storm policy coverage and its
// sightings counts with the store; the session filters narrow as the data
// says; "save pattern to model" works for a writer and is refused for a
// reader, anonymously and without the CSRF token; a server with --users
// refuses the UI without credentials. Screenshots of every page go to
// OUT_DIR (look at them).
//
// usage: node tests/ui/browser_test.mjs STORM_BINARY OUT_DIR
// Exit 0 all passed, 1 a check failed, 77 skipped (no chromium).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const [storm, outArg] = process.argv.slice(2);
const CHROMIUM = process.env.STORM_CHROMIUM || '/usr/bin/chromium';
if (!storm || !outArg) {
  console.error('usage: node tests/ui/browser_test.mjs STORM_BINARY OUT_DIR');
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.log(`SKIP: ${CHROMIUM} not found (scripts/deps.sh --test installs Debian's chromium)`);
  process.exit(77);
}
const require = createRequire(path.join(root, 'ui', 'package.json'));
let chromium;
try { ({ chromium } = require('playwright-core')); } catch {
  console.error('browser_test: playwright-core is not installed in ui/node_modules: run scripts/ui_build.sh (npm ci)');
  process.exit(1);
}
if (!existsSync(path.join(root, 'ui/dist/index.html'))) {
  console.error('browser_test: ui/dist is not built: run scripts/ui_build.sh');
  process.exit(1);
}
const out = path.resolve(outArg);
const shots = path.join(out, 'screenshots');
rmSync(out, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

let passed = 0, failed = 0;
function check(ok, what, detail = '') {
  if (ok) { passed++; console.log(`ok   ${what}`); } else { failed++; console.log(`FAIL ${what} ${detail}`); }
}
const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();

// ---- a store from the corpus ---------------------------------------------------
const db = path.join(out, 'corpus.db');
const corpus = path.join(root, 'tests/data/corpus');
const inputs = ['tetragon/honeycluster-kubehound-calibration.jsonl', 'tetragon/tetragon-book-security-observability.jsonl',
  'tetragon/tetragon-docs-examples.jsonl', 'k8s-audit/falco-trace-files-k8s-audit.jsonl', 'k8s-audit/falco-trace-files-psp.jsonl',
  'falco/falco-website-alerts.jsonl', 'kubescape/honeycluster-webapp-ping.jsonl'].map((f) => path.join(corpus, f));
const run = (args, input) => execFileSync(storm, args, { cwd: root, input, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8' });
try { run(['run', '--models', 'models/', '--db', db, '--identity', 'demo-cluster', '--format', 'text', ...inputs]); } catch (e) { if (e.status > 1) throw e; }
run(['baseline', 'learn', '--db', db, ...['examples/recordings'].flatMap((d) => execFileSync('sh', ['-c', `ls ${d}/*.jsonl`], { cwd: root, encoding: 'utf8' }).trim().split('\n'))]);
run(['publish', '--db', db, '--to-db', db, '--collection', 'shared', '--tlp', 'amber']);

function serve(extra, dbFile = db) {
  return new Promise((resolve, reject) => {
    const p = spawn(storm, ['serve', '--db', dbFile, '--listen', '127.0.0.1:0', '--ui', '--ui-dir', path.join(root, 'ui/dist'), ...extra],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/web UI at (http:\/\/[^ ]+\/ui\/)/);
      if (m) resolve({ proc: p, url: m[1], base: m[1].replace(/\/ui\/$/, '') });
    });
    p.on('exit', (code) => reject(new Error(`storm serve exited ${code}: ${err}`)));
  });
}

const anon = await serve([]);
const password = 'correct horse battery staple';
const usersFile = path.join(out, 'storm.users');
run(['users', '--file', usersFile, '--iterations', '1000', 'add', 'alice'], password + '\n');
run(['users', '--file', usersFile, 'grant', 'alice', 'read', '*']);
run(['users', '--file', usersFile, 'grant', 'alice', 'write', 'shared']);
// walter may write the models (the indicators collection); alice only reads them
run(['users', '--file', usersFile, '--iterations', '1000', 'add', 'walter'], password + '\n');
run(['users', '--file', usersFile, 'grant', 'walter', 'read', '*']);
run(['users', '--file', usersFile, 'grant', 'walter', 'write', 'indicators']);
const authed = await serve(['--users', usersFile]);
// Something in the publish log: the redacted sightings pushed over TAXII.
const publishTarget = authed.base + '/storm/';
execFileSync(storm, ['publish', '--db', db, '--to', publishTarget, '--collection', 'shared', '--user', 'alice', '--tlp', 'amber'],
  { cwd: root, env: { ...process.env, STORM_TAXII_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] });

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
const timings = {};

async function openPage(name, url, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, ...opts });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 60000 });
  timings[name] = { wall_ms: Date.now() - t0, in_page_ms: Number(await page.getAttribute('body', 'data-ready-ms')) };
  return { page, errors, context };
}

async function finish(name, p) {
  await p.page.waitForTimeout(300); // layouts settle before the picture
  await p.page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  check(p.errors.length === 0, `${name}: no console error`, JSON.stringify(p.errors));
  await p.context.close();
}

// ---- Models: the attack-tree graph ---------------------------------------------
{
  const p = await openPage('models', anon.url + '#/models');
  const g = await p.page.evaluate(() => ({ n: window.stormGraphs.models.nodes().length, e: window.stormGraphs.models.edges().length }));
  const idx = "(SELECT key FROM collections WHERE alias='indicators')";
  const nodes = Number(sql(db, `SELECT count(*) FROM objects WHERE collection=${idx} AND latest=1 AND type IN ('intrusion-set','attack-pattern')`));
  const related = Number(sql(db, `SELECT count(*) FROM objects WHERE collection=${idx} AND latest=1 AND type='relationship' AND json_extract(json,'$.relationship_type')='related-to' AND json_extract(json,'$.source_ref') LIKE 'attack-pattern--%' AND json_extract(json,'$.target_ref') LIKE 'attack-pattern--%'`));
  const entries = Number(sql(db, `SELECT count(*) FROM objects u WHERE u.collection=${idx} AND u.latest=1 AND u.type='relationship' AND json_extract(u.json,'$.relationship_type')='uses' AND json_extract(u.json,'$.source_ref') LIKE 'intrusion-set--%' AND NOT EXISTS (SELECT 1 FROM objects r WHERE r.collection=${idx} AND r.type='relationship' AND json_extract(r.json,'$.relationship_type')='related-to' AND json_extract(r.json,'$.target_ref')=json_extract(u.json,'$.target_ref'))`));
  check(g.n === nodes && nodes > 20, `models: graph has the ${nodes} intrusion-sets and attack-patterns`, `got ${g.n}`);
  check(g.e === related + entries, `models: graph has ${related} step edges + ${entries} entry edges`, `got ${g.e}`);
  const indicators = Number(sql(db, `SELECT count(*) FROM objects WHERE collection=${idx} AND latest=1 AND type='indicator'`));
  const rows = await p.page.locator('#table-indicators tbody tr').count();
  check(rows === indicators, `models: ${indicators} indicators listed`, `got ${rows}`);
  const text = await p.page.locator('#table-indicators').innerText();
  check(text.includes('Falco: terminal shell in a container'), 'models: a corpus indicator with its pattern is shown');
  // Sightings count and last seen per indicator, as the store holds them.
  const sig = "(SELECT key FROM collections WHERE alias='sightings')";
  const perInd = new Map(sql(db, `SELECT json_extract(json,'$.sighting_of_ref'), count(*), max(json_extract(json,'$.last_seen')) FROM objects WHERE collection=${sig} AND latest=1 AND type='sighting' GROUP BY 1`)
    .split('\n').filter(Boolean).map((l) => { const [id, n, last] = l.split('|'); return [id, { n: Number(n), last }]; }));
  const shownStats = await p.page.locator('#table-indicators tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    id: tr.dataset.indicator, n: Number(tr.cells[3].innerText), last: tr.cells[4].innerText, cov: tr.querySelector('.coverage')?.dataset.status })));
  const fmt = (t) => (t ? t.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1Z') : '—');
  const statsWrong = shownStats.filter((r) => r.n !== (perInd.get(r.id)?.n || 0) || r.last !== fmt(perInd.get(r.id)?.last));
  check(statsWrong.length === 0 && perInd.size > 5, `models: sightings count and last seen of every indicator match the store (${perInd.size} sighted)`,
    JSON.stringify(statsWrong.slice(0, 3)));
  // Coverage: the hook indicators' verdicts are storm policy coverage's over
  // the policies storm policy generate writes for the same models.
  const polDir = path.join(out, 'policies');
  run(['policy', 'generate', '--models', 'models/', '--out', polDir, '-q']);
  let covText = '';
  try { covText = run(['policy', 'coverage', '--models', 'models/', '--policies', polDir, '--format', 'json']); } catch (e) { covText = e.stdout; }
  const cli = JSON.parse(covText);
  const want = { covered: 'covered', partial: 'partly', uncovered: 'not' };
  const api = (await (await fetch(anon.base + '/api/coverage')).json()).indicators;
  const hookInds = cli.filter((x) => x.status !== 'no-policy-needed');
  const disagree = hookInds.filter((x) => !api[x.indicator] || api[x.indicator].status !== want[x.status] || api[x.indicator].sensor !== 'tetragon-tracingpolicy');
  check(hookInds.length > 10 && disagree.length === 0, `models: coverage of the ${hookInds.length} hook indicators agrees with storm policy coverage`, JSON.stringify(disagree.slice(0, 2)));
  const bySensor = {};
  for (const v of Object.values(api)) bySensor[v.sensor] = (bySensor[v.sensor] || 0) + 1;
  const gen = run(['policy', 'generate', '--models', 'models/', '--out', path.join(out, 'policies2')]);
  const g2 = gen.match(/(\d+) TracingPolic.*for (\d+) hook indicators; (\d+) indicators need no policy \(exec\), (\d+) read alerts; audit-policy.yaml: (\d+) rules for (\d+) audit/);
  check(g2 && bySensor['tetragon-process-exec'] === Number(g2[3]) && bySensor.alerts === Number(g2[4]) && bySensor['kubernetes-audit'] === Number(g2[6]),
    `models: exec, alert and audit indicators placed as storm policy generate places them (${JSON.stringify(bySensor)})`, gen.split('\n').pop());
  check(shownStats.every((r) => r.cov === api[r.id]?.status), 'models: every indicator row shows its coverage verdict');
  check(/\d+ covered, \d+ partly, \d+ not covered/.test(await p.page.locator('#coverage-summary').innerText()), 'models: the coverage summary is shown');
  // the indicators with their counts and coverage, as a reader sees them (docs/ui.md)
  await p.page.evaluate(() => document.getElementById('coverage-summary').scrollIntoView());
  await p.page.screenshot({ path: path.join(shots, 'models-coverage.png') });
  await finish('models', p);
}

// ---- Sessions and one session ------------------------------------------------------
// The stored attack sessions (storm run --db wrote them), as storm sessions reads them.
const storedSessions = run(['sessions', '--db', db, '--format', 'json']).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const sessions = await (await fetch(anon.base + '/api/sessions')).json();
const corpusPod = 'default/kh-identity-assume';
{
  check(sessions.source === 'sessions', 'sessions: the API serves the stored sessions', `source ${sessions.source}`);
  check(sessions.sessions.length === storedSessions.length && storedSessions.length > 5,
    `sessions: the API lists the ${storedSessions.length} sessions of storm sessions --db`, `got ${sessions.sessions.length}`);
  const apiIds = sessions.sessions.map((s) => s.id).sort().join(' ');
  check(apiIds === storedSessions.map((s) => s.id).sort().join(' '), 'sessions: the same session ids as storm sessions');
  const p = await openPage('sessions', anon.url + '#/sessions');
  const rows = await p.page.locator('#table-sessions tbody tr').count();
  check(rows === Math.min(500, storedSessions.length), `sessions: ${storedSessions.length} sessions in the table`, `got ${rows}`);
  check((await p.page.locator('#table-sessions').innerText()).includes('pod ' + corpusPod), 'sessions: a corpus pod is in a session');
  check(await p.page.locator('.note.adapter').count() === 0, 'sessions: no adapter note on a store with sessions');
  await p.page.screenshot({ path: path.join(shots, 'sessions-all.png'), fullPage: true });
  await p.page.fill('#filter-ns', 'falcoresponse');
  const filtered = await p.page.locator('#table-sessions tbody tr').count();
  const want = storedSessions.filter((s) => (s.pods || []).some((x) => x.split('/')[0].includes('falcoresponse'))).length;
  check(filtered === want && want > 0, `sessions: the namespace filter narrows the list to ${want}`, `got ${filtered}`);
  await p.page.fill('#filter-ns', '');
  // The step filter: the sessions whose path reached that step.
  const byStep = new Map();
  for (const s of sessions.sessions) for (const r of (s.path ? s.path.reached : [])) byStep.set(r.step_id, (byStep.get(r.step_id) || 0) + 1);
  const [stepId, stepN] = [...byStep.entries()].sort((a, b) => a[1] - b[1])[Math.floor(byStep.size / 2)];
  await p.page.selectOption('#filter-step', stepId);
  const stepRows = await p.page.locator('#table-sessions tbody tr').count();
  check(stepRows === stepN && stepN < sessions.sessions.length, `sessions: the step filter narrows the list to the ${stepN} sessions that reached it`, `got ${stepRows}`);
  await p.page.selectOption('#filter-step', '');
  // The path status filter.
  const tagCount = (f) => sessions.sessions.filter((s) => s.path && f(s.path)).length;
  const reachedOf = (pa) => pa.deepest.filter((d) => d.reached).length;
  for (const [tag, f] of [['partial', (pa) => reachedOf(pa) > 0 && reachedOf(pa) < pa.deepest.length],
    ['complete', (pa) => pa.deepest.length > 0 && reachedOf(pa) === pa.deepest.length],
    ['multi', (pa) => pa.reached.length > 1],
    ['unexpected', (pa) => pa.reached.some((r) => r.status === 'unpredicted' || r.status === 'not-in-models')],
    ['skipped', (pa) => pa.reached.some((r) => r.status === 'skipped')]]) {
    await p.page.selectOption('#filter-path', tag);
    const n = await p.page.locator('#table-sessions tbody tr').count();
    check(n === tagCount(f), `sessions: the path filter '${tag}' lists the ${tagCount(f)} sessions with such a path`, `got ${n}`);
  }
  await p.page.selectOption('#filter-path', 'multi');
  await p.page.screenshot({ path: path.join(shots, 'sessions-filtered.png'), fullPage: true });
  await p.page.selectOption('#filter-path', '');
  // The time filter: sessions overlapping [from, to].
  const firsts = sessions.sessions.map((s) => s.first_seen).sort();
  const day = firsts[Math.floor(firsts.length / 2)].slice(0, 10);
  await p.page.fill('#filter-from', day);
  await p.page.fill('#filter-to', day);
  const dayRows = await p.page.locator('#table-sessions tbody tr').count();
  const dayWant = sessions.sessions.filter((s) => s.last_seen.slice(0, 10) >= day && s.first_seen.slice(0, 10) <= day).length;
  check(dayRows === dayWant && dayWant > 0 && dayWant < sessions.sessions.length, `sessions: the time filter keeps the ${dayWant} sessions active on ${day}`, `got ${dayRows}`);
  await finish('sessions', p);
}
{
  const stored = storedSessions.find((s) => (s.pods || []).includes(corpusPod));
  check(!!stored, `session: a stored session holds pod ${corpusPod}`);
  const key = stored ? stored.id : 'none';
  const p = await openPage('session', anon.url + '#/session/' + encodeURIComponent(key));
  const data = await (await fetch(anon.base + '/api/session?key=' + encodeURIComponent(key))).json();
  check(data.source === 'sessions' && data.session && data.session.id === key, 'session: the API serves the stored session');
  // The path steps on the page: the stored steps reached, each once, in order.
  const storedSteps = [];
  for (const st of (stored ? stored.steps : [])) if (!st.anomaly && st.step_id && !storedSteps.includes(st.step_id)) storedSteps.push(st.step_id);
  const shownSteps = await p.page.locator('#path-steps li').evaluateAll((ls) => ls.map((l) => l.dataset.step));
  check(shownSteps.join(' ') === storedSteps.join(' ') && storedSteps.length > 0,
    `session: the page lists the ${storedSteps.length} stored steps in order`, `got ${shownSteps.length}`);
  const statuses = await p.page.locator('#path-steps li').evaluateAll((ls) => ls.map((l) => l.dataset.status));
  check(statuses[0] === 'entry' && statuses.every((x) => ['entry', 'modelled', 'skipped', 'unpredicted', 'not-in-models'].includes(x)),
    `session: each step has its attack-path status (${[...new Set(statuses)].join(', ')})`);
  const stepSightings = new Set((stored ? stored.steps : []).filter((st) => !st.anomaly).map((st) => st.sighting_id));
  check(data.sightings.length === stepSightings.size && data.sightings.every((s) => stepSightings.has(s.id)),
    `session: the ${stepSightings.size} sightings of its steps are served`, `got ${data.sightings.length}`);
  const ids = data.sightings.map((s) => `'${s.sighting_of_ref}'`).join(',');
  const steps = Number(sql(db, `SELECT count(DISTINCT json_extract(json,'$.target_ref')) FROM objects WHERE type='relationship' AND json_extract(json,'$.relationship_type')='indicates' AND json_extract(json,'$.source_ref') IN (${ids})`));
  const g = await p.page.evaluate(() => ({
    reached: window.stormGraphs.path.nodes('.reached').length,
    objects: window.stormGraphs.objects.nodes().map((n) => n.id()),
    evidence: window.stormGraphs.objects.edges().filter((e) => e.data('label') === 'evidence').length,
    parents: window.stormGraphs.objects.edges().filter((e) => e.data('label') === 'parent').length,
  }));
  check(g.reached === steps && steps > 0, `session: the path highlights the ${steps} steps reached`, `got ${g.reached}`);
  check(data.sightings.every((s) => g.objects.includes(s.id)), 'session: every sighting is a node of the object graph');
  check(data.objects.every((o) => g.objects.includes(o.id)), `session: all ${data.objects.length} observed objects are nodes`);
  const evidence = data.sightings.reduce((n, s) => n + (s.observed_data_refs || []).length, 0);
  check(g.evidence === evidence, `session: ${evidence} sighting -> observed-data edges`, `got ${g.evidence}`);
  const parents = data.objects.filter((o) => o.parent_ref && data.objects.some((x) => x.id === o.parent_ref)).length;
  check(g.parents === parents && parents > 0, `session: ${parents} process lineage edges`, `got ${g.parents}`);
  check(await p.page.locator('#timeline .uplot').count() === 1, 'session: the timeline is drawn');
  // Reached steps numbered in the order reached on the model graph; unexpected ones marked.
  const labels = await p.page.evaluate((ids) => ids.map((id) => window.stormGraphs.path.getElementById(id).data('label')), storedSteps);
  check(labels.every((l, i) => l && l.startsWith(`${i + 1}. `)), 'session: the path graph numbers the reached steps in order', JSON.stringify(labels));
  const unexpectedWant = (data.path ? data.path.reached : []).filter((r) => r.status === 'unpredicted').map((r) => r.step_id).sort();
  const unexpectedShown = await p.page.evaluate(() => window.stormGraphs.path.nodes('.unexpected').map((n) => n.id()).sort());
  check(unexpectedShown.join() === unexpectedWant.join(), `session: ${unexpectedWant.length} unexpected steps marked`, JSON.stringify(unexpectedShown));
  // The timeline: a time axis with one point per sighting, zoomed by a drag.
  const tl = await p.page.evaluate(() => { const u = window.stormGraphs.timeline; return { time: u.scales.x.time, n: u.data[1].filter((y) => y != null).length, min: u.scales.x.min, max: u.scales.x.max }; });
  check(tl.time === true && tl.n === data.sightings.length, `session: the timeline has a time axis and ${data.sightings.length} sighting points`, JSON.stringify(tl));
  await p.page.locator('#timeline .u-over').scrollIntoViewIfNeeded();
  const over = await p.page.locator('#timeline .u-over').boundingBox();
  await p.page.mouse.move(over.x + over.width * 0.3, over.y + over.height / 2);
  await p.page.mouse.down();
  await p.page.mouse.move(over.x + over.width * 0.6, over.y + over.height / 2, { steps: 5 });
  await p.page.mouse.up();
  const zoomed = await p.page.evaluate(() => { const u = window.stormGraphs.timeline; return { min: u.scales.x.min, max: u.scales.x.max }; });
  check(zoomed.max - zoomed.min < (tl.max - tl.min) * 0.5, 'session: a drag on the timeline zooms in on that time range', JSON.stringify({ tl, zoomed }));
  await p.page.mouse.dblclick(over.x + over.width / 2, over.y + over.height / 2);
  const reset = await p.page.evaluate(() => { const u = window.stormGraphs.timeline; return { min: u.scales.x.min, max: u.scales.x.max }; });
  check(Math.abs((reset.max - reset.min) - (tl.max - tl.min)) < 1e-6, 'session: a double-click on the timeline zooms out again', JSON.stringify({ tl, reset }));
  // A click on a node shows its JSON.
  // Scroll first, then read the node's place; the layout may still settle on
  // a loaded machine, so the place is read again before each of 3 clicks.
  await p.page.locator('#graph-objects').scrollIntoViewIfNeeded();
  let shown = '';
  for (let attempt = 0; attempt < 3 && !shown.includes(data.sightings[0].id); attempt++) {
    const pos = await p.page.evaluate((id) => window.stormGraphs.objects.getElementById(id).renderedPosition(),
      data.sightings[0].id);
    const box = await p.page.locator('#graph-objects').boundingBox();
    await p.page.mouse.click(box.x + pos.x, box.y + pos.y);
    await p.page.waitForSelector('#inspector:not([hidden])', { timeout: 5000 }).catch(() => {});
    shown = await p.page.locator('#inspector-json').innerText().catch(() => '');
  }
  check(shown.includes(data.sightings[0].id), 'session: a click on a sighting node shows its JSON');
  const evWant = (data.sightings[0].observed_data_refs || []).filter((r) => data.objects.some((o) => o.id === r)).sort();
  const evShown = await p.page.locator('#inspector-evidence details.evidence').evaluateAll((ds) => ds.map((d) => d.dataset.id).sort());
  check(evWant.length > 0 && evShown.join() === evWant.join(), `session: the sighting's evidence (${evWant.length} observed-data) is shown with it`, JSON.stringify(evShown));
  await p.page.locator('#inspector-evidence details.evidence summary').first().click();
  const evJson = await p.page.locator('#inspector-evidence details.evidence pre').first().innerText();
  check(evJson.includes(evWant[0]), 'session: opening the evidence shows its JSON');
  await finish('session', p);
}

{
  // A session with a step the model did not predict: that step is marked on the path graph.
  const odd = sessions.sessions.find((s) => s.path && s.path.reached.some((r) => r.status === 'unpredicted'));
  check(!!odd, 'session: the corpus has a session with an unpredicted step');
  if (odd) {
    const p = await openPage('session-unexpected', anon.url + '#/session/' + encodeURIComponent(odd.key));
    const want = odd.path.reached.filter((r) => r.status === 'unpredicted').map((r) => r.step_id).sort();
    const g = await p.page.evaluate(() => ({
      unexpected: window.stormGraphs.path.nodes('.unexpected').map((n) => n.id()).sort(),
      reached: window.stormGraphs.path.nodes('.reached').map((n) => n.data('label')),
    }));
    check(g.unexpected.join() === want.join(), `session: its ${want.length} unpredicted step(s) marked unexpected on the path graph`, JSON.stringify(g.unexpected));
    check(odd.path.reached.every((r, i) => g.reached.some((l) => l.startsWith(`${i + 1}. `))), 'session: its reached steps numbered 1..n');
    await finish('session-unexpected', p);
  }
}

// ---- Sightings --------------------------------------------------------------------
{
  const p = await openPage('sightings', anon.url + '#/sightings');
  const total = Number(sql(db, "SELECT count(*) FROM objects WHERE collection=(SELECT key FROM collections WHERE alias='sightings') AND latest=1 AND type='sighting'"));
  const text = await p.page.locator('#sightings-total').innerText();
  check(text.startsWith(`${total} sightings`), `sightings: the total is the store's ${total}`, text);
  const rows = await p.page.locator('#table-sightings tbody tr').count();
  check(rows === Math.min(total, 100), `sightings: the first page lists ${Math.min(total, 100)}`, `got ${rows}`);
  await finish('sightings', p);
}

// ---- Pattern playground -------------------------------------------------------------
{
  const p = await openPage('playground', anon.url + '#/playground');
  await p.page.fill('#pattern', "[process:name = ]");
  await p.page.waitForSelector('#pattern-status.bad', { timeout: 5000 });
  const err = await p.page.locator('#pattern-status').innerText();
  check(/Error at line 1, column 17: expected a value/.test(err), 'playground: a bad pattern gets a positioned error', err);
  check(/\n {16}\^/.test(err), 'playground: the caret points at column 17', JSON.stringify(err));
  await p.page.screenshot({ path: path.join(shots, 'playground-error.png') });
  const pod = 'kh-calibration-ptrace';
  await p.page.fill('#pattern', `[process:x_k8s_pod = '${pod}']`);
  await p.page.waitForSelector('#pattern-status.ok', { timeout: 5000 });
  await p.page.click('#run');
  await p.page.waitForSelector('#run-summary', { timeout: 30000 });
  const obs = "(SELECT key FROM collections WHERE alias='observations')";
  const expected = Number(sql(db, `SELECT count(DISTINCT od.id) FROM objects od, json_each(od.json,'$.object_refs') r JOIN objects p ON p.id = r.value AND p.collection=${obs} WHERE od.collection=${obs} AND od.type='observed-data' AND json_extract(p.json,'$.x_k8s_pod')='${pod}'`));
  const total = Number(sql(db, `SELECT count(*) FROM objects WHERE collection=${obs} AND latest=1 AND type='observed-data'`));
  const summary = await p.page.locator('#run-summary').innerText();
  check(summary.startsWith(`${expected} of ${total} observations matched`) && expected > 0, `playground: ${expected} of ${total} observations match`, summary);
  check(await p.page.locator('details.match').count() === expected, 'playground: each match is listed');
  check(await p.page.locator('pre.json mark').count() >= expected, 'playground: the matched property is highlighted');
  await p.page.locator('details.match').first().click();
  await finish('playground', p);
}

// ---- Baseline and Sharing -------------------------------------------------------------
{
  const p = await openPage('baseline', anon.url + '#/baseline');
  const workload = sql(db, 'SELECT workload FROM baseline_profile LIMIT 1');
  check((await p.page.locator('#table-profiles').innerText()).includes(workload), `baseline: the profile ${workload} is listed`);
  await finish('baseline', p);
}
{
  const p = await openPage('sharing', anon.url + '#/sharing');
  const text = await p.page.locator('#table-collections').innerText();
  check(text.includes('shared') && text.includes('TLP:AMBER'), 'sharing: the redacted collection and its TLP:AMBER marking are shown');
  const published = await p.page.locator('#table-published').innerText().catch(() => '');
  const logged = sql(db, 'SELECT count(*) FROM publish_log');
  check(published.includes(publishTarget) && published.includes(logged), `sharing: the publish log shows ${logged} objects sent to ${publishTarget}`, published);
  await finish('sharing', p);
}

// ---- Authentication and CSRF ---------------------------------------------------------
{
  for (const u of ['/ui/', '/api/me', '/api/sessions']) {
    const r = await fetch(authed.base + u);
    check(r.status === 401 && (r.headers.get('www-authenticate') || '').startsWith('Basic'), `auth: ${u} without credentials is refused (401)`, `got ${r.status}`);
  }
  const bad = await fetch(authed.base + '/ui/', { headers: { Authorization: 'Basic ' + Buffer.from('alice:wrong password!').toString('base64') } });
  check(bad.status === 401, 'auth: a wrong password is refused', `got ${bad.status}`);
  const p = await openPage('login', authed.url + '#/models', { httpCredentials: { username: 'alice', password } });
  check((await p.page.locator('#who').innerText()).includes('alice'), 'auth: with credentials the UI loads as alice');
  await p.context.close();
  const auth = { Authorization: 'Basic ' + Buffer.from('alice:' + password).toString('base64') };
  const me = await (await fetch(authed.base + '/api/me', { headers: auth })).json();
  const noToken = await fetch(authed.base + '/api/pattern/run', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"pattern":"[a:b = 1]","run":"x"}' });
  check(noToken.status === 403, 'csrf: a POST without the token is refused', `got ${noToken.status}`);
  const cross = await fetch(authed.base + '/api/pattern/run', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'X-Storm-CSRF': me.csrf, Origin: 'http://evil.example' }, body: '{"pattern":"[a:b = 1]","run":"x"}' });
  check(cross.status === 403, 'csrf: a cross-origin POST is refused', `got ${cross.status}`);
  const form = await fetch(authed.base + '/api/pattern/run', { method: 'POST', headers: { ...auth, 'Content-Type': 'text/plain', 'X-Storm-CSRF': me.csrf }, body: '{"pattern":"[a:b = 1]","run":"x"}' });
  check(form.status === 415, 'csrf: a POST that is not JSON is refused', `got ${form.status}`);
  const big = await fetch(authed.base + '/api/pattern/run', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'X-Storm-CSRF': me.csrf }, body: JSON.stringify({ pattern: 'x'.repeat(70000), run: 'x' }) });
  check(big.status === 413, 'limits: a POST body over 64 KiB is refused (413)', `got ${big.status}`);
  const ok = await fetch(authed.base + '/api/pattern/run', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'X-Storm-CSRF': me.csrf }, body: '{"pattern":"[process:pid > 0]","run":"y","max_results":3}' });
  const okBody = await ok.json();
  check(ok.status === 200 && okBody.matched === 3 && okBody.truncated, 'playground: a run stops at max_results', JSON.stringify({ s: ok.status, m: okBody.matched }));
  const csp = (await fetch(authed.base + '/ui/', { headers: auth })).headers.get('content-security-policy') || '';
  check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), 'csp: strict Content-Security-Policy on the page');
}

// ---- Save pattern to model (the one write action) ---------------------------------------
{
  const basic = (u) => ({ Authorization: 'Basic ' + Buffer.from(u + ':' + password).toString('base64') });
  const steps = JSON.parse('[' + sql(db, "SELECT json_object('id', id, 'name', json_extract(json,'$.name')) FROM objects WHERE type='attack-pattern' AND latest=1 AND collection=(SELECT key FROM collections WHERE alias='indicators') ORDER BY json_extract(json,'$.name')").split('\n').join(',') + ']');
  const step = steps.find((x) => /Exec into a pod/.test(x.name)) || steps[0];
  const pattern = "[process:x_k8s_pod = 'kh-calibration-ptrace' AND process:name = 'bash']";
  const indicators = () => Number(sql(db, "SELECT count(*) FROM objects WHERE type='indicator' AND latest=1 AND collection=(SELECT key FROM collections WHERE alias='indicators')"));
  const before = indicators();
  // walter, in the browser: the form, a step, Save.
  const p = await openPage('playground-save', authed.url + '#/playground', { httpCredentials: { username: 'walter', password } });
  await p.page.fill('#pattern', pattern);
  await p.page.waitForSelector('#pattern-status.ok', { timeout: 5000 });
  await p.page.fill('#save-name', 'UI test: bash in the ptrace pod');
  await p.page.selectOption('#save-step', step.id);
  await p.page.click('#save-button');
  await p.page.waitForSelector('#save-result.status', { timeout: 10000 });
  const res = await p.page.locator('#save-result').innerText();
  check(/^Saved indicator--/.test(res) && res.includes(step.name), 'save: walter (write on indicators) saves the pattern to the model', res);
  const newId = (res.match(/indicator--[0-9a-f-]{36}/) || [''])[0];
  const stored = sql(db, `SELECT json_extract(json,'$.pattern'), json_extract(json,'$.description') FROM objects WHERE id='${newId}' AND latest=1`);
  check(stored === pattern + "|Saved from Storm's pattern playground by walter.", 'save: the store holds the indicator with that pattern, saved by walter', stored);
  const rel = sql(db, `SELECT json_extract(json,'$.target_ref') FROM objects WHERE type='relationship' AND json_extract(json,'$.relationship_type')='indicates' AND json_extract(json,'$.source_ref')='${newId}'`);
  check(rel === step.id, `save: an indicates relationship links it to '${step.name}'`, rel);
  check(indicators() === before + 1, 'save: one indicator more in the store');
  await p.page.screenshot({ path: path.join(shots, 'playground-saved.png'), fullPage: true });
  // The Models page (same tab, the cached models dropped) lists it under its step, with a coverage verdict.
  await p.page.goto(authed.url + '#/models');
  await p.page.waitForSelector('body[data-ready="yes"]');
  const row = p.page.locator(`#table-indicators tr[data-indicator="${newId}"]`);
  check(await row.count() === 1 && (await row.innerText()).includes(step.name), 'save: the Models page lists the new indicator under its step');
  check(['covered', 'partly', 'not', 'external'].includes(await row.locator('.coverage').getAttribute('data-status').catch(() => '')), 'save: the new indicator has a coverage verdict');
  await finish('models-after-save', p);
  // alice reads the indicators but may not write them: no form, and the API refuses.
  const a = await openPage('playground-reader', authed.url + '#/playground', { httpCredentials: { username: 'alice', password } });
  check(await a.page.locator('#save-readonly').count() === 1 && await a.page.locator('#save-button').count() === 0, 'save: a reader gets no save form, a read-only note');
  await finish('playground-reader', a);
  const body = JSON.stringify({ pattern, name: 'x', attack_pattern: step.id });
  const meA = await (await fetch(authed.base + '/api/me', { headers: basic('alice') })).json();
  const ra = await fetch(authed.base + '/api/models/indicator', { method: 'POST', headers: { ...basic('alice'), 'Content-Type': 'application/json', 'X-Storm-CSRF': meA.csrf }, body });
  check(ra.status === 403, 'save: refused (403) for alice, who may only read the indicators', `got ${ra.status}`);
  const meW = await (await fetch(authed.base + '/api/me', { headers: basic('walter') })).json();
  const rn = await fetch(authed.base + '/api/models/indicator', { method: 'POST', headers: { ...basic('walter'), 'Content-Type': 'application/json' }, body });
  check(rn.status === 403, 'save: refused (403) for walter without the CSRF token', `got ${rn.status}`);
  const rw = await fetch(authed.base + '/api/models/indicator', { method: 'POST', headers: { ...basic('walter'), 'Content-Type': 'application/json', 'X-Storm-CSRF': meA.csrf }, body });
  check(rw.status === 403, "save: refused (403) for walter with alice's CSRF token", `got ${rw.status}`);
  const ru = await fetch(authed.base + '/api/models/indicator', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Storm-CSRF': meW.csrf }, body });
  check(ru.status === 401, 'save: refused (401) without credentials', `got ${ru.status}`);
  const meAnon = await (await fetch(anon.base + '/api/me')).json();
  const rx = await fetch(anon.base + '/api/models/indicator', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Storm-CSRF': meAnon.csrf }, body });
  check(rx.status === 403, 'save: refused (403) on a server without users (read-only)', `got ${rx.status}`);
  const bad = await fetch(authed.base + '/api/models/indicator', { method: 'POST', headers: { ...basic('walter'), 'Content-Type': 'application/json', 'X-Storm-CSRF': meW.csrf },
    body: JSON.stringify({ pattern: '[process:name = ]', name: 'x', attack_pattern: step.id }) });
  const badBody = await bad.json();
  check(bad.status === 400 && /line 1, column 17/.test(badBody.error.message), 'save: a bad pattern is refused with its position', JSON.stringify(badBody));
  const noStep = await fetch(authed.base + '/api/models/indicator', { method: 'POST', headers: { ...basic('walter'), 'Content-Type': 'application/json', 'X-Storm-CSRF': meW.csrf },
    body: JSON.stringify({ pattern, name: 'x', attack_pattern: 'attack-pattern--00000000-0000-4000-8000-000000000000' }) });
  check(noStep.status === 404, 'save: an attack-pattern not in the models is refused (404)', `got ${noStep.status}`);
  check(indicators() === before + 1, 'save: the refused requests stored nothing');
}

// A store without session rows (written before sessions): the adapter answers, and says so.
{
  const old = path.join(out, 'no-sessions.db');
  rmSync(old, { force: true });
  sql(db, `VACUUM INTO '${old}'`); // a consistent copy, WAL included
  sql(old, 'DELETE FROM sessions');
  const srv = await serve([], old);
  const list = await (await fetch(srv.base + '/api/sessions')).json();
  check(list.source === 'sightings-by-pod' && list.sessions.some((s) => s.key === 'pod ' + corpusPod),
    'sessions: a store without sessions gets the sightings-by-pod adapter', `source ${list.source}`);
  const one = await (await fetch(srv.base + '/api/session?key=' + encodeURIComponent('pod ' + corpusPod))).json();
  check(one.source === 'sightings-by-pod' && one.sightings.length > 0, 'session: the adapter serves a pod session');
  srv.proc.kill('SIGTERM');
}

await browser.close();
anon.proc.kill('SIGTERM');
authed.proc.kill('SIGTERM');
writeFileSync(path.join(out, 'timings.json'), JSON.stringify(timings, null, 2));
console.log('page load to ready (ms):', JSON.stringify(timings));
console.log(`screenshots: ${shots}`);
console.log(`browser_test: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
