// The JSON API of the same origin. POSTs carry the CSRF token of /api/me.
let csrf = '';
export function setCsrf(token) { csrf = token; }

async function answer(r) {
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error((body && body.error && body.error.message) || `${r.status} ${r.statusText}`);
  return body;
}

export async function api(path) {
  return answer(await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } }));
}

export async function apiPost(path, body) {
  return answer(await fetch(path, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Storm-CSRF': csrf, Accept: 'application/json' },
    body: JSON.stringify(body),
  }));
}
