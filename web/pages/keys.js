// Keys: the gateway's API keys, listed, created (the key shown once) and revoked, for the admin scope.
import { api } from '../api.js';
import { announce, formatTime, h } from '../dom.js';

export function render(root, { session }) {
  root.append(h('h1', { tabindex: '-1' }, 'API keys'));
  if (!session.admin) {
    root.append(h('p', {}, 'Keys are managed by principals with the admin scope.'));
    return;
  }
  const rows = h('tbody', {});
  const error = h('p', { class: 'error', role: 'alert' });
  const made = h('div', { 'aria-live': 'polite' });
  const name = h('input', { id: 'key-name', required: true, pattern: '[A-Za-z0-9._@\\-]{1,64}', autocomplete: 'off' });
  const scopes = h('input', { id: 'key-scopes', required: true, autocomplete: 'off', 'aria-describedby': 'key-scopes-hint' });
  const days = h('input', { id: 'key-days', type: 'number', min: '0', step: '1', 'aria-describedby': 'key-days-hint' });
  const form = h('form', {},
    h('div', { class: 'row' },
      h('div', {}, h('label', { for: 'key-name' }, 'Name'), name),
      h('div', {}, h('label', { for: 'key-scopes' }, 'Scopes'), scopes),
      h('div', {}, h('label', { for: 'key-days' }, 'Expires after (days)'), days),
      h('div', {}, h('button', { type: 'submit' }, 'Create key'))),
    h('p', { class: 'hint', id: 'key-scopes-hint' }, 'Separated by spaces: tools:*, tools:SERVER, tools:SERVER:TOOL, resources:*, prompts:*, admin.'),
    h('p', { class: 'hint', id: 'key-days-hint' }, 'Empty or 0: the key does not expire.'));

  async function load() {
    try {
      const { keys } = await api('GET', '/api/v1/keys');
      rows.replaceChildren(...keys.map((k) => h('tr', {},
        h('td', {}, h('code', {}, k.id)), h('th', { scope: 'row' }, k.name), h('td', {}, k.scopes.join(' ')),
        h('td', {}, formatTime(k.created * 1000, true)),
        h('td', { class: k.expired ? 'error' : '' }, k.expires ? `${k.expired ? 'expired ' : ''}${formatTime(k.expires * 1000, true)}` : 'never'),
        h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${k.name} (${k.id})`, onclick: () => revoke(k) }, 'Revoke')))));
      if (!keys.length) rows.append(h('tr', {}, h('td', { colspan: '6' }, 'No keys.')));
    } catch (e) {
      error.textContent = e.message;
    }
  }

  async function revoke(k) {
    if (!window.confirm(`Revoke the key ${k.name} (${k.id})? Whoever uses it is refused from now on.`)) return;
    error.textContent = '';
    try {
      await api('DELETE', `/api/v1/keys/${encodeURIComponent(k.id)}`);
      announce(`Revoked ${k.name}`);
    } catch (e) {
      error.textContent = e.message;
    }
    load();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const q = new URLSearchParams({ name: name.value.trim() });
    for (const s of scopes.value.split(/\s+/).filter(Boolean)) q.append('scope', s);
    if (days.value && Number(days.value) > 0) q.set('expires_in', String(Math.round(Number(days.value) * 86400)));
    try {
      const k = await api('POST', `/api/v1/keys?${q}`);
      const out = h('output', { class: 'key', id: 'new-key', tabindex: '-1' }, k.key);
      made.replaceChildren(h('p', {}, `The key of ${k.name}, shown this once:`), out);
      out.focus();
      form.reset();
      load();
    } catch (e) {
      error.textContent = e.message;
    }
  });

  root.append(h('h2', {}, 'New key'), form, error, made,
    h('h2', {}, 'Keys'),
    h('table', {}, h('caption', { class: 'visually-hidden' }, 'API keys'),
      h('thead', {}, h('tr', {}, ['Id', 'Name', 'Scopes', 'Created', 'Expires', ''].map((t) => h('th', { scope: 'col' }, t)))), rows));
  load();
}
