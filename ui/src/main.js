// Storm's web UI: one page per hash route, data from the JSON API under
// /api/ of the same server. Plain DOM code; cytoscape (+ dagre layout) draws
// graphs, uPlot the timeline. Nothing is fetched from anywhere else.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { api, apiPost, setCsrf } from './api.js';
import { el, clear, fmtTime, short, table } from './dom.js';
import { buildModel, modelElements, pathElements, objectElements } from './graphs.js';

let libs = null;
const graphLibs = () => (libs ||= import('./graphlibs.js'));

// The graphs on screen, for the browser tests (window.stormGraphs.models.nodes().length).
window.stormGraphs = {};

let me = null;
let modelCache = null;

async function model() {
  if (!modelCache) modelCache = buildModel(await api('/api/models'));
  return modelCache;
}

const page = () => document.getElementById('page');

function setTitle(text, note) {
  const p = page();
  clear(p);
  p.append(el('h1', {}, text));
  if (note) p.append(el('p', { class: 'note' }, note));
  return p;
}

function showError(err) {
  const p = page();
  p.append(el('p', { class: 'error', role: 'alert' }, String(err.message || err)));
}

// ---- inspector: a clicked object's JSON ------------------------------------
// evidence (may be absent): [{ what, obj }] shown below the object, each
// a summary line that opens to its JSON.
function inspect(title, obj, evidence) {
  document.getElementById('inspector-title').textContent = title;
  document.getElementById('inspector-json').textContent = JSON.stringify(obj, null, 2);
  const ev = document.getElementById('inspector-evidence');
  clear(ev);
  if (evidence && evidence.length) {
    ev.append(el('h3', {}, `Evidence (${evidence.length})`));
    for (const e of evidence.slice(0, 50))
      ev.append(el('details', { class: 'evidence', 'data-id': e.obj.id }, el('summary', {}, e.what),
        el('pre', {}, JSON.stringify(e.obj, null, 2))));
    if (evidence.length > 50) ev.append(el('p', { class: 'note' }, `and ${evidence.length - 50} more`));
  }
  document.getElementById('inspector').hidden = false;
}

// What in the session supports an object of its graph: a sighting's
// observed-data; the sightings citing an observed-data; the observed-data
// (and their sightings) holding an SCO; an indicator's or a step's sightings.
function evidenceOf(id, m, sightings, objects) {
  const out = [];
  const od = (x) => ({ what: `observed-data ${fmtTime(x.first_observed)} (${x.x_storm_sensor || x.id})`, obj: x });
  const sg = (x) => ({ what: `sighting ${fmtTime(x.first_seen)} of ${(m.byId.get(x.sighting_of_ref) || {}).name || x.sighting_of_ref}`, obj: x });
  const o = objects.get(id);
  const type = id.split('--')[0];
  if (type === 'sighting' && o) for (const r of o.observed_data_refs || []) { if (objects.has(r)) out.push(od(objects.get(r))); }
  else if (type === 'observed-data') for (const s of sightings) { if ((s.observed_data_refs || []).includes(id)) out.push(sg(s)); }
  else if (type === 'indicator') for (const s of sightings) { if (s.sighting_of_ref === id) out.push(sg(s)); }
  else if (type === 'attack-pattern') for (const s of sightings) { if ((m.indicates.get(s.sighting_of_ref) || []).includes(id)) out.push(sg(s)); }
  else {
    const holders = [...objects.values()].filter((x) => x.type === 'observed-data' && (x.object_refs || []).includes(id));
    for (const h of holders) out.push(od(h));
    const hs = new Set(holders.map((h) => h.id));
    for (const s of sightings) if ((s.observed_data_refs || []).some((r) => hs.has(r))) out.push(sg(s));
  }
  return out;
}

const graphStyle = [
  { selector: 'node', style: { label: 'data(label)', 'font-size': 10, 'text-wrap': 'wrap', 'text-max-width': 110,
    'text-valign': 'bottom', 'text-margin-y': 4, 'text-background-color': '#fff', 'text-background-opacity': 0.75, 'text-background-padding': 1, 'background-color': '#8aa4c8', width: 18, height: 18, color: '#222' } },
  { selector: 'node[kind = "intrusion-set"]', style: { shape: 'diamond', 'background-color': '#6b4fa0', width: 26, height: 26 } },
  { selector: 'node[kind = "attack-pattern"]', style: { shape: 'round-rectangle', 'background-color': '#c9d3e3' } },
  { selector: 'node[kind = "indicator"]', style: { shape: 'triangle', 'background-color': '#d9a441' } },
  { selector: 'node[kind = "sighting"]', style: { shape: 'star', 'background-color': '#d2452f' } },
  { selector: 'node[kind = "observed-data"]', style: { shape: 'hexagon', 'background-color': '#7fb07f' } },
  { selector: 'node[kind = "process"]', style: { 'background-color': '#3c7dc4' } },
  { selector: 'node[kind = "file"], node[kind = "directory"]', style: { 'background-color': '#9b9b9b', shape: 'rectangle' } },
  { selector: 'node.reached', style: { 'background-color': '#d2452f', 'border-width': 3, 'border-color': '#7a1d10', color: '#7a1d10', 'font-weight': 'bold' } },
  { selector: 'node.unexpected', style: { 'border-style': 'dashed', 'border-color': '#e08a00', 'border-width': 4 } },
  { selector: 'node.seen', style: { 'border-width': 3, 'border-color': '#d2452f' } },
  { selector: 'edge', style: { width: 1.5, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', 'line-color': '#aab', 'target-arrow-color': '#aab',
    label: 'data(label)', 'font-size': 8, color: '#667', 'min-zoomed-font-size': 7 } },
  { selector: 'edge.taken', style: { 'line-color': '#d2452f', 'target-arrow-color': '#d2452f', width: 3 } },
];

// dagre's layered layout reads best but grows faster than linearly; past
// this many nodes the breadth-first layout (linear) keeps large graphs quick.
const DAGRE_MAX_NODES = 600;
// nodeSep: the model graphs (TB) put many steps side by side on one rank,
// each with a label below it: wider spacing keeps the labels apart.
function layoutOptions(nodes, rankDir, nodeSep = 20) {
  return nodes <= DAGRE_MAX_NODES
    ? { name: 'dagre', rankDir, nodeSep, rankSep: 45, animate: false }
    : { name: 'breadthfirst', directed: true, spacingFactor: 0.9, animate: false };
}
window.stormLayout = (cy, rankDir = 'LR') => cy.layout(layoutOptions(cy.nodes().length, rankDir)).run();

async function drawGraph(container, elements, name, onClick, rankDir = 'TB', nodeSep = 20) {
  const { cytoscape } = await graphLibs();
  const nodes = elements.filter((e) => !e.data.source).length;
  const t0 = performance.now();
  const cy = cytoscape({
    container, elements, style: graphStyle, wheelSensitivity: 0.3,
    layout: layoutOptions(nodes, rankDir, nodeSep),
  });
  window.stormGraphs[name] = cy;
  // layout time and size, for bench/bench_ui.mjs (the layout runs in the constructor)
  window.stormGraphStats = window.stormGraphStats || {};
  window.stormGraphStats[name] = { nodes: cy.nodes().length, edges: cy.edges().length, layout_ms: Math.round(performance.now() - t0) };
  if (onClick) cy.on('tap', 'node', (e) => onClick(e.target.data()));
  // A large graph fitted into the box is a band of dots: show the start of
  // it readable instead (the wheel zooms out, a drag pans).
  if (cy.zoom() < 0.3) {
    cy.zoom(0.7);
    const first = cy.nodes('[kind = "sighting"]').first();
    cy.center(first.length ? first : cy.nodes().first());
    container.dataset.zoomedIn = 'yes';
  }
  return cy;
}

// ---- Sessions -----------------------------------------------------------------
// A session's reached steps in order: the stored attack path (source
// "sessions"), else (the adapter) its sightings' indicators' steps.
const STATUS = { entry: 'entry point', modelled: 'following the model', skipped: 'modelled, steps skipped', unpredicted: 'not predicted', 'not-in-models': 'not in the models' };
function reachedSteps(m, s) {
  if (s.path) return s.path.reached.map((r) => ({ id: r.step_id, name: r.name || r.step_id, status: r.status, from: r.from, skipped: r.skipped }));
  return m.stepsOf(s.indicators);
}
// A session's path status, for the filter and the Path column:
// complete (every step of its deepest model path reached), partial (some),
// unexpected (a step reached that the model did not predict, or not in the
// models), skipped (modelled steps skipped on the way), multi (more than one
// step reached).
const PATH_FILTERS = { complete: 'complete path', partial: 'partial path', multi: 'several steps', unexpected: 'unexpected steps', skipped: 'steps skipped' };
function pathTags(m, s) {
  const tags = new Set();
  if (s.path) {
    const d = s.path.deepest || [];
    const k = d.filter((x) => x.reached).length;
    if (d.length && k === d.length) tags.add('complete');
    else if (k) tags.add('partial');
    if (s.path.reached.length > 1) tags.add('multi');
    for (const r of s.path.reached) {
      if (r.status === 'unpredicted' || r.status === 'not-in-models') tags.add('unexpected');
      if (r.status === 'skipped') tags.add('skipped');
    }
    return tags;
  }
  // the adapter: unexpected = reached with no earlier reached step leading to it, and not an entry point
  const order = m.stepsOf(s.indicators).map((x) => x.id);
  if (order.length > 1) tags.add('multi');
  order.forEach((id, i) => {
    if (!m.incoming.has(id)) return;
    const before = new Set(order.slice(0, i));
    let led = false;
    for (const [a, bs] of m.next) if (bs.includes(id) && before.has(a)) led = true;
    if (!led) tags.add('unexpected');
  });
  return tags;
}
function pathCell(m, s) {
  const tags = pathTags(m, s);
  const d = s.path ? s.path.deepest || [] : [];
  const text = d.length ? `${d.filter((x) => x.reached).length} of ${d.length} steps of its deepest model path` : '—';
  return el('span', { class: 'path-cell', 'data-tags': [...tags].join(' ') }, text,
    ...[...tags].filter((t) => t === 'unexpected' || t === 'skipped').map((t) => el('span', { class: 'badge tag-' + t }, t)));
}

// pods and nodes of a session; a long list (a session over hundreds of
// pods) is cut: the first few and how many more.
const PLACES_SHOWN = 6;
function places(s) {
  if (s.pods || s.nodes) {
    const all = [...(s.pods || []).map((x) => 'pod ' + x), ...(s.nodes || []).map((x) => 'node ' + x)];
    return all.slice(0, PLACES_SHOWN).join(', ') + (all.length > PLACES_SHOWN ? ` and ${all.length - PLACES_SHOWN} more` : '');
  }
  return [s.namespace && s.pod ? s.namespace + '/' + s.pod : null, s.node].filter(Boolean).join(' on ');
}

async function pageSessions() {
  const p = setTitle('Sessions', 'Attack sessions: the steps one attacker reached, linked by pod, process lineage, address, identity (docs/sessions.md).');
  const [data, m] = await Promise.all([api('/api/sessions'), model()]);
  if (data.source === 'sightings-by-pod')
    p.append(el('p', { class: 'note adapter' }, 'Adapter: this store keeps no attack sessions (storm run --db writes them), so sightings are grouped by pod.'));
  const ns = el('input', { type: 'search', placeholder: 'namespace', id: 'filter-ns' });
  const step = el('select', { id: 'filter-step' }, el('option', { value: '' }, 'any step'),
    ...m.steps.map((s) => el('option', { value: s.id }, s.name)));
  const from = el('input', { type: 'search', placeholder: 'from (2025-01-19)', id: 'filter-from' });
  const to = el('input', { type: 'search', placeholder: 'to', id: 'filter-to' });
  const pstat = el('select', { id: 'filter-path' }, el('option', { value: '' }, 'any path'),
    ...Object.entries(PATH_FILTERS).map(([k, v]) => el('option', { value: k }, v)));
  p.append(el('div', { class: 'filters' }, ns, step, pstat, from, to, el('span', { id: 'sessions-count', class: 'note' })));
  const holder = el('div');
  p.append(holder);
  const render = () => {
    const rows = data.sessions.filter((s) => {
      const steps = reachedSteps(m, s);
      const nss = s.pods ? s.pods.map((x) => x.split('/')[0]).join(' ') : (s.namespace || '');
      if (ns.value && !nss.includes(ns.value)) return false;
      if (step.value && !steps.some((x) => x.id === step.value)) return false;
      if (pstat.value && !pathTags(m, s).has(pstat.value)) return false;
      if (from.value && (s.last_seen || '') < from.value) return false;
      if (to.value && (s.first_seen || '') > to.value + '\uffff') return false;
      return true;
    }).sort((a, b) => (b.last_seen || '').localeCompare(a.last_seen || ''));
    clear(holder);
    document.getElementById('sessions-count').textContent = `${rows.length} of ${data.sessions.length} sessions`;
    const SHOWN = 500; // a table of thousands of rows is slow to draw and to read: filter instead
    if (rows.length > SHOWN) holder.append(el('p', { class: 'note', id: 'sessions-more' }, `Showing the ${SHOWN} most recent of ${rows.length} sessions: filter to narrow.`));
    holder.append(table(['Session', 'First seen', 'Last seen', 'Entry point', 'Steps reached', 'Path', 'Size', 'Pods / nodes'],
      rows.slice(0, SHOWN).map((s) => {
        const steps = reachedSteps(m, s);
        return [el('a', { href: '#/session/' + encodeURIComponent(s.key) }, s.key), fmtTime(s.first_seen), fmtTime(s.last_seen),
          steps.length ? steps[0].name : '—', steps.map((x) => x.name + (x.status === 'unpredicted' ? ' (!)' : '')).join(' → '),
          pathCell(m, s), String(s.size ?? s.sightings), places(s)];
      }), 'sessions'));
  };
  for (const i of [ns, step, pstat, from, to]) i.addEventListener('input', render);
  render();
}

async function pageSession(key) {
  const p = setTitle('Session ' + key);
  const [data, m] = await Promise.all([api('/api/session?key=' + encodeURIComponent(key)), model()]);
  const sightings = data.sightings.slice().sort((a, b) => (a.first_seen || '').localeCompare(b.first_seen || ''));
  const objects = new Map(data.objects.map((o) => [o.id, o]));
  for (const s of sightings) objects.set(s.id, s);
  const stored = data.source === 'sessions' ? data.session : null;
  p.append(el('p', { class: 'note' }, `${sightings.length} sightings, ${data.objects.length} observed objects` +
    (stored ? ` · first seen ${fmtTime(stored.first_seen)}, last seen ${fmtTime(stored.last_seen)} · size ${stored.size} · ${places(stored)}` : '') +
    (data.source === 'sightings-by-pod' ? ' (adapter: sightings grouped by pod)' : '')));

  p.append(el('h2', {}, 'Attack path'));
  const pathBox = el('div', { class: 'graph tall', id: 'graph-path' });
  p.append(pathBox);
  const path = pathElements(m, sightings, data.path);
  await drawGraph(pathBox, path.elements, 'path', (d) => d.obj && inspect(d.label, d.obj), 'TB', 95);
  p.append(el('p', { class: 'legend' }, 'Red: steps reached (numbered in order). Dashed orange: reached without an earlier step leading to it (not predicted by the model).'));
  if (data.path) {
    p.append(el('ol', { id: 'path-steps', class: 'path-steps' }, ...data.path.reached.map((r) =>
      el('li', { 'data-step': r.step_id, 'data-status': r.status }, el('strong', {}, r.name || r.step_id), ' — ' + (STATUS[r.status] || r.status) +
        (r.from ? ' after ' + r.from : '') + (r.skipped && r.skipped.length ? '; not seen: ' + r.skipped.join(', ') : '')))));
    if (data.path.deepest.length)
      p.append(el('p', { class: 'note', id: 'path-deepest' }, `Deepest model path: step ${data.path.deepest_reached} of ${data.path.deepest.length} reached (` +
        data.path.deepest.map((d) => (d.reached ? '[' + d.name + ']' : d.name)).join(' → ') + ')' +
        (data.path.anomalies ? ` · ${data.path.anomalies} baseline anomalies inside` : '')));
  }

  p.append(el('h2', {}, 'Timeline'));
  const tl = el('div', { id: 'timeline' });
  p.append(tl);
  const anomalies = stored ? (stored.steps || []).filter((st) => st.anomaly) : [];
  await drawTimeline(tl, sightings, m, anomalies, stored ? stored.steps || [] : []);

  p.append(el('h2', {}, 'Objects'));
  const objBox = el('div', { class: 'graph tall', id: 'graph-objects' });
  p.append(objBox);
  const part = graphPart(sightings, data.objects);
  if (part.sightings.length < sightings.length)
    p.append(el('p', { class: 'note', id: 'objects-part' }, `The object graph shows the first ${part.sightings.length} of ${sightings.length} sightings ` +
      `with their evidence (${part.objects.length} of ${data.objects.length} objects): larger graphs take too long to lay out. The timeline has them all. Scroll on the graph to zoom out, drag to pan.`));
  const oe = objectElements(m, part.sightings, part.objects);
  await drawGraph(objBox, oe, 'objects', (d) => inspect(d.label, objects.get(d.id) || m.byId.get(d.id) || d,
    evidenceOf(d.id, m, sightings, objects)), 'TB', 30);
  p.append(el('p', { class: 'legend' }, 'Click a node for its JSON and its evidence. Stars: sightings; triangles: indicators; hexagons: observed-data; blue: processes (parent → child).'));
}

// x: time; y: the steps this session reached, in the order first reached,
// and a row below them for the baseline anomalies stored with the session.
// The first sightings (in time) and the objects of their evidence, up to
// OBJECT_GRAPH_MAX nodes: a session of a thousand steps has ~9,000 objects
// and ~44,000 references, which took 85 s to lay out breadth-first and drew
// as an unreadable flat band (bench/bench_ui.sh); up to this size the
// layered layout (dagre) keeps the graph readable and takes seconds.
const OBJECT_GRAPH_MAX = DAGRE_MAX_NODES;
function graphPart(sightings, objects) {
  if (sightings.length + objects.length <= OBJECT_GRAPH_MAX) return { sightings, objects };
  const byId = new Map(objects.map((o) => [o.id, o]));
  const keep = new Set();
  const take = [];
  const refsOf = (o) => [...(o.object_refs || []), ...['parent_ref', 'image_ref', 'creator_user_ref', 'src_ref', 'dst_ref', 'parent_directory_ref', 'binary_ref']
    .map((k) => o[k]).filter(Boolean)];
  for (const s of sightings) {
    const mine = new Set();
    const walk = (id, depth) => {
      if (keep.has(id) || mine.has(id) || !byId.has(id)) return;
      mine.add(id);
      if (depth < 2) for (const r of refsOf(byId.get(id))) walk(r, depth + 1);
    };
    for (const od of s.observed_data_refs || []) walk(od, 0);
    if (take.length && keep.size + take.length + mine.size + 1 > OBJECT_GRAPH_MAX) break;
    take.push(s);
    for (const id of mine) keep.add(id);
  }
  return { sightings: take, objects: objects.filter((o) => keep.has(o.id)) };
}

async function drawTimeline(box, sightings, m, anomalies = [], storedSteps = []) {
  const { uPlot } = await graphLibs();
  const reached = [];
  const pts = [];
  // a stored session says which step each sighting stands for; else its indicator's first step
  const stepOfSighting = new Map(storedSteps.filter((st) => st.step_id).map((st) => [st.sighting_id, m.stepById.get(st.step_id)]));
  for (const s of sightings) {
    const st = stepOfSighting.get(s.id) || m.stepsOf([s.sighting_of_ref])[0];
    if (st && !reached.includes(st)) reached.push(st);
    pts.push([Date.parse(s.first_seen) / 1000, st ? reached.indexOf(st) + 1 : null, null]);
  }
  for (const a of anomalies) pts.push([Date.parse(a.first_seen) / 1000, null, 0]);
  if (!pts.length) return;
  pts.sort((a, b) => a[0] - b[0]);
  const names = ['baseline anomaly', ...reached.map((s) => s.name)];
  const lo = anomalies.length ? -0.5 : 0.5;
  const width = Math.max(400, box.clientWidth || 900);
  const opts = {
    width, height: 80 + 34 * Math.max(2, reached.length + (anomalies.length ? 1 : 0)),
    // padded: a point on the very edge would be cut (and uPlot drops the
    // later of equal times at the scale's max); also on zoom, which is fine
    scales: { x: { time: true, range: (u, min, max) => { const pad = Math.max(1e-3, (max - min) * 0.04); return [min - pad, max + pad]; } }, y: { range: [lo, reached.length + 0.5] } },
    axes: [{ label: 'time (UTC)' }, { splits: () => names.map((_, i) => i).filter((i) => i > 0 || anomalies.length),
      values: (u, vals) => vals.map((v) => short(names[v] || '', 24)), size: 210 }],
    series: [{}, { label: 'step reached', stroke: '#d2452f', width: 0, points: { show: true, size: 9, fill: '#d2452f' } },
      { label: 'baseline anomaly', stroke: '#e08a00', width: 0, points: { show: true, size: 8, fill: '#e08a00' } }],
    cursor: { drag: { x: true, y: false } },
  };
  window.stormGraphs.timeline = new uPlot(opts, [pts.map((x) => x[0]), pts.map((x) => x[1]), pts.map((x) => x[2])], box);
  box.append(el('p', { class: 'legend' }, `${sightings.length} sightings` + (anomalies.length ? `, ${anomalies.length} baseline anomalies` : '') +
    '. Drag across the chart to zoom in on a time range; double-click to zoom out.'));
}

// ---- Models -------------------------------------------------------------------
const COVERAGE = { covered: 'covered', partly: 'partly', not: 'not covered', external: 'other sensor' };
async function pageModels() {
  const p = setTitle('Models', 'The attack trees (storm models tree as a graph) and every indicator with its sightings and tripwire coverage.');
  const [m, cov] = await Promise.all([model(), api('/api/coverage').catch((err) => ({ error: err }))]);
  const box = el('div', { class: 'graph tall', id: 'graph-models' });
  p.append(box);
  await drawGraph(box, modelElements(m), 'models', (d) => d.obj && inspect(d.label, d.obj), 'TB', 95);
  p.append(el('p', { class: 'legend' }, 'Diamonds: intrusion-sets; boxes: attack steps (red border: sighted). Click a step for its STIX object.'));
  p.append(el('h2', {}, 'Indicators'));
  if (cov.error) p.append(el('p', { class: 'error' }, 'Coverage: ' + String(cov.error.message || cov.error)));
  else {
    const s = cov.summary;
    p.append(el('p', { class: 'note', id: 'coverage-summary' }, `Tripwire coverage by the sensors Storm generates for these models ` +
      `(${s.policies} TracingPolicies over ${s.hooks} hooks, an audit Policy of ${s.audit_rules} rules, Tetragon's process_exec): ` +
      `${s.covered} covered, ${s.partly} partly, ${s.not} not covered, ${s.external} read another sensor's alerts or an application log.`));
  }
  const covOf = (id) => (cov.indicators && cov.indicators[id]) || null;
  const rows = m.indicators.map((i) => {
    const st = m.stats[i.id] || {};
    return { n: st.sightings || 0, id: i.id, cells: [i.name || i.id, m.stepsOf([i.id]).map((s) => s.name).join(', '), el('code', {}, i.pattern || ''),
      String(st.sightings || 0), fmtTime(st.last_seen), coverageCell(covOf(i.id), i)] };
  }).sort((a, b) => b.n - a.n);
  const t = table(['Indicator', 'Step', 'Pattern', 'Sightings', 'Last seen', 'Tripwire coverage'], rows.map((r) => r.cells), 'indicators');
  rows.forEach((r, k) => { t.tBodies[0].rows[k].dataset.indicator = r.id; });
  p.append(t);
}

function coverageCell(c, ind) {
  if (!c) return '—';
  const refs = (ind.external_references || []).filter((r) => r.source_name === 'tetragon-tracingpolicy').map((r) => r.external_id);
  return el('div', { class: 'coverage', 'data-status': c.status },
    el('span', { class: 'badge cov-' + c.status }, COVERAGE[c.status] || c.status),
    el('div', { class: 'reason' }, c.reason || ''),
    refs.length ? el('div', { class: 'reason' }, 'model names: ' + refs.join(', ')) : null);
}

// ---- Sightings ----------------------------------------------------------------
async function pageSightings(after) {
  const p = setTitle('Sightings');
  const [data, m] = await Promise.all([api('/api/sightings?limit=100' + (after ? '&after=' + after : '')), model()]);
  p.append(el('p', { class: 'note', id: 'sightings-total' }, `${data.total} sightings in the store; showing ${data.sightings.length}.`));
  p.append(table(['First seen', 'Last seen', 'Count', 'Indicator', 'Step', 'Description'], data.sightings.map((s) => {
    const ind = m.byId.get(s.sighting_of_ref);
    const a = el('a', { href: '#' }, fmtTime(s.first_seen));
    a.addEventListener('click', (e) => { e.preventDefault(); inspect(s.id, s); });
    return [a, fmtTime(s.last_seen), String(s.count || 1), ind ? ind.name : s.sighting_of_ref,
      m.stepsOf([s.sighting_of_ref]).map((x) => x.name).join(', '), short(s.description || '', 140)];
  }), 'sightings'));
  if (data.more) p.append(el('p', {}, el('a', { href: '#/sightings/' + data.next, id: 'sightings-next' }, 'Next page →')));
}

// ---- Pattern playground -------------------------------------------------------
async function pagePlayground() {
  const p = setTitle('Pattern playground', 'Type a STIX pattern: errors show as you type; Run matches it against the stored observations (bounded, cancellable).');
  const input = el('textarea', { id: 'pattern', rows: 4, spellcheck: 'false' });
  input.value = localStorage.getItem('storm.pattern') || "[process:x_k8s_namespace = 'default']";
  const status = el('div', { id: 'pattern-status', class: 'status' });
  const runBtn = el('button', { id: 'run', type: 'button' }, 'Run');
  const cancelBtn = el('button', { id: 'cancel', type: 'button', disabled: '' }, 'Cancel');
  const results = el('div', { id: 'results' });
  p.append(input, status, el('div', { class: 'buttons' }, runBtn, cancelBtn), results);
  let timer = null, seq = 0;
  const check = async () => {
    const mine = ++seq;
    localStorage.setItem('storm.pattern', input.value);
    const r = await api('/api/pattern/check?pattern=' + encodeURIComponent(input.value));
    if (mine !== seq) return;
    clear(status);
    if (r.ok && !r.warning) { status.className = 'status ok'; status.append('Pattern OK'); return; }
    const e = r.error || r.warning;
    status.className = r.ok ? 'status warn' : 'status bad';
    status.append(el('div', { class: 'msg' }, `${r.ok ? 'Warning' : 'Error'} at line ${e.line}, column ${e.column}: ${e.message}`));
    const line = input.value.split('\n')[e.line - 1] || '';
    status.append(el('pre', { class: 'caret' }, line + '\n' + ' '.repeat(Math.max(0, e.column - 1)) + '^'.repeat(Math.max(1, Math.min(e.length, 40)))));
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(check, 150); });
  let runId = null;
  runBtn.addEventListener('click', async () => {
    runId = 'r' + Math.random().toString(36).slice(2);
    runBtn.disabled = true; cancelBtn.disabled = false;
    clear(results);
    results.append(el('p', {}, 'Running…'));
    try {
      const r = await apiPost('/api/pattern/run', { pattern: input.value, run: runId });
      showMatches(results, r, input.value);
    } catch (err) {
      clear(results);
      results.append(el('p', { class: 'error' }, String(err.message || err)));
    } finally { runBtn.disabled = false; cancelBtn.disabled = true; }
  });
  cancelBtn.addEventListener('click', () => runId && apiPost('/api/pattern/cancel', { run: runId }));
  await saveForm(p, input, results);
  await check();
}

// "Save pattern to model": a new indicator with this pattern, indicating
// the step picked, stored in the indicators collection (needs write rights
// there; the server checks them and the CSRF token).
async function saveForm(p, input, results) {
  const m = await model();
  const canWrite = !!(me && me.rights && me.rights.indicators && me.rights.indicators.write);
  const box = el('div', { id: 'save', class: 'save' }, el('h2', {}, 'Save pattern to model'));
  results.before(box); // above the matches, which can be long
  if (!canWrite) {
    box.append(el('p', { class: 'note', id: 'save-readonly' }, (me && me.user ? `User ${me.user} has` : 'This server gives') +
      ' no write rights on the indicators collection: the playground is read-only (storm users grant USER write indicators).'));
    return;
  }
  const name = el('input', { id: 'save-name', type: 'text', placeholder: 'indicator name', maxlength: '200' });
  const stepSel = el('select', { id: 'save-step' }, el('option', { value: '' }, 'the step it indicates…'),
    ...m.steps.slice().sort((a, b) => a.name.localeCompare(b.name)).map((s) => el('option', { value: s.id }, s.name)));
  const btn = el('button', { id: 'save-button', type: 'button' }, 'Save to model');
  const result = el('p', { id: 'save-result' });
  box.append(el('div', { class: 'filters' }, name, stepSel, btn), result);
  btn.addEventListener('click', async () => {
    clear(result);
    result.className = '';
    btn.disabled = true;
    try {
      const r = await apiPost('/api/models/indicator', { pattern: input.value, name: name.value, attack_pattern: stepSel.value });
      modelCache = null; // the stored models changed
      result.className = 'status ok';
      result.append(`Saved ${r.indicator.id}, indicating ${r.attack_pattern_name}.`);
    } catch (err) {
      result.className = 'status bad';
      result.append(String(err.message || err));
    } finally { btn.disabled = false; }
  });
}

// Property names the pattern compares ("process:x_hook_args[0].path" -> x_hook_args).
function patternProps(text) {
  const props = new Set();
  for (const m of text.matchAll(/[a-z0-9-]+:([A-Za-z0-9_]+)/g)) props.add(m[1]);
  return props;
}

function highlightJson(obj, props) {
  const pre = el('pre', { class: 'json' });
  const text = JSON.stringify(obj, null, 2);
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*"([^"]+)":/);
    pre.append(m && props.has(m[1]) ? el('mark', {}, line) : line, '\n');
  }
  return pre;
}

function showMatches(box, r, text) {
  clear(box);
  const flags = [r.truncated && `stopped at ${r.max_results} matches`, r.timed_out && `stopped after ${r.max_ms} ms`,
    r.capped && 'observation cap reached', r.cancelled && 'cancelled'].filter(Boolean);
  box.append(el('p', { id: 'run-summary' }, `${r.matched} of ${r.scanned} observations matched (${r.observations} loaded, ${r.elapsed_ms} ms)` +
    (flags.length ? ' — ' + flags.join(', ') : '') + '.'));
  const props = patternProps(text);
  const list = r.matches.length ? r.matches : (r.combined || []);
  if (!r.matches.length && r.combined) box.append(el('p', {}, `The pattern holds over ${r.combined.length} observations together:`));
  for (const mt of list) {
    const od = mt.observed_data || {};
    const item = el('details', { class: 'match' }, el('summary', {}, `${fmtTime(od.first_observed)}  ${od.id || ''}  (${od.x_storm_sensor || ''})`));
    for (const o of mt.objects) if (Object.keys(o).some((k) => props.has(k))) item.append(highlightJson(o, props));
    box.append(item);
  }
}

// ---- Baseline -----------------------------------------------------------------
async function pageBaseline() {
  const p = setTitle('Baseline', 'Workload profiles of normal behaviour, and what each explains.');
  const data = await api('/api/baseline');
  if (!data.profiles.length) { p.append(el('p', { id: 'baseline-empty' }, 'No profiles yet: storm baseline learn --db FILE RECORDINGS.')); return; }
  const byW = new Map();
  for (const f of data.features) { if (!byW.has(f.workload)) byW.set(f.workload, []); byW.get(f.workload).push(f); }
  p.append(table(['Workload', 'Origin', 'Events learned', 'Explained', 'Unexplained', 'Features', 'Last seen'],
    data.profiles.map((pr) => {
      const feats = byW.get(pr.workload) || [];
      const det = el('details', {}, el('summary', {}, `${feats.length} features`),
        el('ul', {}, ...feats.slice(0, 300).map((f) => el('li', { class: f.denied ? 'denied' : '' }, `${f.feature} (${f.hits} hits)${f.denied ? ' — denied' : ''}`))));
      return [pr.workload, pr.origin, String(pr.events_learned), String(pr.explained), String(pr.unexplained), det,
        pr.last_seen_ns ? fmtTime(new Date(pr.last_seen_ns / 1e6).toISOString()) : '—'];
    }), 'profiles'));
}

// ---- Sharing ------------------------------------------------------------------
async function pageSharing() {
  const p = setTitle('Sharing', 'TAXII collections, what was published where and when, with which markings.');
  const data = await api('/api/sharing');
  p.append(el('h2', {}, 'Collections'));
  p.append(table(['Collection', 'Id', 'Objects', 'Markings', 'Rights'], data.collections.map((c) => [
    c.alias || c.title, el('code', {}, c.id),
    Object.entries(c.types).map(([t, n]) => `${n} ${t}`).join(', ') || 'empty',
    c.markings.map((mk) => `${mk.name || mk.id} (${mk.objects})`).join(', ') || 'none',
    (c.can_read ? 'read' : '') + (c.can_write ? ' write' : '')]), 'collections'));
  p.append(el('h2', {}, 'Published'));
  if (!data.published) p.append(el('p', {}, 'Not shown: needs read rights on sightings.'));
  else if (!data.published.length) p.append(el('p', {}, 'Nothing published yet (storm publish).'));
  else p.append(table(['Target', 'Objects', 'First', 'Last'], data.published.map((t) => [t.target, String(t.objects), t.first_published, t.last_published]), 'published'));
  p.append(el('h2', {}, 'Pulled'));
  if (data.pulled && data.pulled.length) p.append(table(['Source', 'Up to'], data.pulled.map((s) => [s.source, s.added_last]), 'pulled'));
  else p.append(el('p', {}, 'Nothing pulled yet (storm pull).'));
}

// ---- routing --------------------------------------------------------------------
const routes = [
  [/^#\/sessions$/, pageSessions],
  [/^#\/session\/(.+)$/, (k) => pageSession(decodeURIComponent(k))],
  [/^#\/models$/, pageModels],
  [/^#\/sightings(?:\/(\d+))?$/, pageSightings],
  [/^#\/playground$/, pagePlayground],
  [/^#\/baseline$/, pageBaseline],
  [/^#\/sharing$/, pageSharing],
];

async function route() {
  const hash = location.hash || '#/sessions';
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', hash.startsWith('#/' + a.dataset.page));
  for (const g of Object.values(window.stormGraphs)) if (g && g.destroy) g.destroy();
  window.stormGraphs = {};
  document.body.dataset.ready = 'no';
  for (const [re, fn] of routes) {
    const m = hash.match(re);
    if (m) {
      try { await fn(...m.slice(1)); } catch (err) { showError(err); }
      // ms from navigation start (first load) to the page drawn, for the load measurements
      document.body.dataset.readyMs = String(Math.round(performance.now()));
      document.body.dataset.ready = 'yes';
      return;
    }
  }
  location.hash = '#/sessions';
}

async function start() {
  document.getElementById('inspector-close').addEventListener('click', () => { document.getElementById('inspector').hidden = true; });
  try {
    me = await api('/api/me');
    setCsrf(me.csrf);
    document.getElementById('who').textContent = me.user ? 'signed in as ' + me.user : 'anonymous (read-only)';
  } catch (err) { showError(err); }
  window.addEventListener('hashchange', route);
  await route();
}

start();
