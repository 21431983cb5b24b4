// From STIX objects to graph elements: the attack model (intrusion-sets ->
// attack-patterns by "uses" to the first steps and "related-to" between
// steps, as storm models tree draws it), a session's path over it, and a
// session's object graph (sightings, indicators, observed-data, SCOs and
// their references).
import { short } from './dom.js';

export function buildModel(data) {
  const byId = new Map();
  for (const o of data.objects) byId.set(o.id, o);
  const rels = data.objects.filter((o) => o.type === 'relationship');
  const indicates = new Map(); // indicator -> [attack-pattern]
  const next = new Map(); // attack-pattern -> [attack-pattern]
  const incoming = new Set();
  for (const r of rels) {
    if (r.relationship_type === 'indicates') {
      if (!indicates.has(r.source_ref)) indicates.set(r.source_ref, []);
      indicates.get(r.source_ref).push(r.target_ref);
    } else if (r.relationship_type === 'related-to' && r.source_ref.startsWith('attack-pattern--') && r.target_ref.startsWith('attack-pattern--')) {
      if (!next.has(r.source_ref)) next.set(r.source_ref, []);
      next.get(r.source_ref).push(r.target_ref);
      incoming.add(r.target_ref);
    }
  }
  const steps = data.objects.filter((o) => o.type === 'attack-pattern').map((o) => ({ id: o.id, name: o.name || o.id, obj: o }));
  const stepById = new Map(steps.map((s) => [s.id, s]));
  return {
    byId, rels, indicates, next, incoming, steps, stepById,
    sets: data.objects.filter((o) => o.type === 'intrusion-set'),
    indicators: data.objects.filter((o) => o.type === 'indicator'),
    stats: data.stats || {},
    stepsOf(indicatorIds) {
      const out = [];
      for (const id of indicatorIds || []) for (const ap of indicates.get(id) || []) {
        const s = stepById.get(ap);
        if (s && !out.includes(s)) out.push(s);
      }
      return out;
    },
  };
}

// Nodes: intrusion-sets and attack-patterns. Edges: related-to between
// steps, and uses from a set to the steps nothing leads to (its entry points).
export function modelElements(m) {
  const sighted = new Set();
  for (const [ind, st] of Object.entries(m.stats)) if (st.sightings) for (const ap of m.indicates.get(ind) || []) sighted.add(ap);
  const els = [];
  for (const s of m.sets) els.push({ data: { id: s.id, label: short(s.name, 40), kind: 'intrusion-set', obj: s } });
  for (const s of m.steps) els.push({ data: { id: s.id, label: short(s.name, 40), kind: 'attack-pattern', obj: s.obj }, classes: sighted.has(s.id) ? 'seen' : '' });
  for (const r of m.rels) {
    if (!m.byId.has(r.source_ref) || !m.byId.has(r.target_ref)) continue;
    const entry = r.relationship_type === 'uses' && r.source_ref.startsWith('intrusion-set--') && !m.incoming.has(r.target_ref);
    const step = r.relationship_type === 'related-to' && m.stepById.has(r.source_ref) && m.stepById.has(r.target_ref);
    if (entry || step) els.push({ data: { id: r.id, source: r.source_ref, target: r.target_ref, label: '' } });
  }
  return els;
}

// The model graph with the session's reached steps numbered in the order
// first sighted; a step reached with no earlier reached step leading to it
// (and not an entry point) is unexpected.
// The model graph with a session's reached steps marked: from the stored
// attack path when given (its order and status), else from the sightings.
export function pathElements(m, sightings, stored) {
  const order = [];
  const status = new Map();
  if (stored) for (const r of stored.reached) { order.push(r.step_id); status.set(r.step_id, r.status); }
  else for (const s of sightings) for (const st of m.stepsOf([s.sighting_of_ref])) if (!order.includes(st.id)) order.push(st.id);
  const els = modelElements(m);
  const reached = new Set(order);
  const prev = new Map(); // step -> steps leading to it
  for (const [a, bs] of m.next) for (const b of bs) { if (!prev.has(b)) prev.set(b, []); prev.get(b).push(a); }
  for (const e of els) {
    const d = e.data;
    if (d.source) { if (reached.has(d.source) && reached.has(d.target)) e.classes = 'taken'; continue; }
    const i = order.indexOf(d.id);
    if (i < 0) continue;
    const before = new Set(order.slice(0, i));
    const entry = !m.incoming.has(d.id);
    const led = (prev.get(d.id) || []).some((p) => before.has(p));
    const unexpected = stored ? status.get(d.id) === 'unpredicted' : !entry && !led;
    e.classes = 'reached' + (unexpected ? ' unexpected' : '');
    d.label = `${i + 1}. ${d.label}`;
  }
  return { elements: els, order };
}

const REF_KEYS = ['parent_ref', 'image_ref', 'creator_user_ref', 'src_ref', 'dst_ref', 'parent_directory_ref', 'binary_ref', 'installed_software_refs', 'child_refs', 'opened_connection_refs', 'contains_refs'];

function label(o) {
  switch (o.type) {
  case 'process': return short(o.command_line || o.x_proc_binary || 'process ' + (o.pid || ''), 40);
  case 'file': return short(o.name || o.id, 30);
  case 'directory': return short(o.path || o.id, 30);
  case 'ipv4-addr': case 'ipv6-addr': case 'domain-name': return o.value;
  case 'network-traffic': return 'traffic ' + (o.dst_port || '');
  case 'user-account': return 'user ' + (o.user_id || o.account_login || '');
  case 'software': return short(o.name || 'software', 30);
  case 'observed-data': return 'observed ' + (o.first_observed || '').slice(11, 23);
  case 'sighting': return 'sighting ' + (o.first_seen || '').slice(11, 23);
  default: return o.name || o.type;
  }
}

export function objectElements(m, sightings, objects) {
  const els = [], ids = new Set();
  const add = (o, kind) => { if (ids.has(o.id)) return; ids.add(o.id); els.push({ data: { id: o.id, label: label(o), kind: kind || o.type } }); };
  const edge = (a, b, lab) => { if (ids.has(a) && ids.has(b)) els.push({ data: { id: a + '>' + b + ':' + lab, source: a, target: b, label: lab } }); };
  for (const o of objects) add(o);
  for (const s of sightings) {
    add(s, 'sighting');
    const ind = m.byId.get(s.sighting_of_ref);
    if (ind) add(ind, 'indicator');
    for (const ap of m.indicates.get(s.sighting_of_ref) || []) { const o = m.byId.get(ap); if (o) { add(o, 'attack-pattern'); edge(s.sighting_of_ref, ap, 'indicates'); } }
    edge(s.id, s.sighting_of_ref, 'of');
    for (const od of s.observed_data_refs || []) edge(s.id, od, 'evidence');
  }
  for (const o of objects) {
    if (o.type === 'observed-data') for (const r of o.object_refs || []) edge(o.id, r, '');
    for (const k of REF_KEYS) {
      const v = o[k];
      for (const r of Array.isArray(v) ? v : v ? [v] : []) edge(k === 'parent_ref' ? r : o.id, k === 'parent_ref' ? o.id : r, k.replace(/_refs?$/, ''));
    }
  }
  return els;
}
