// Small DOM helpers: elements from tag, attributes and children (text is
// always set as text, never parsed as HTML), tables, times.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

export function clear(e) { while (e.firstChild) e.firstChild.remove(); }

export function short(s, n) { return s && s.length > n ? s.slice(0, n - 1) + '…' : s || ''; }

export function fmtTime(t) { return t ? t.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1Z') : '—'; }

export function table(head, rows, id) {
  return el('table', { id: id ? 'table-' + id : undefined },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
}
