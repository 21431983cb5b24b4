// The web UI in a real browser (Debian's chromium, headless, driven by
// playwright-core): every page loads with no console error and shows the
// data of a store built from the corpus; the models and session graphs have
// the nodes and edges the store implies; the playground reports a
// positioned error for a bad pattern and the right matches for a good one;
// a server with --users refuses the UI without credentials. Screenshots of
// every page go to OUT_DIR (look at them).
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
  await finish('session', p);
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
