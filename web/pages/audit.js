// The live audit log: the gateway's audit records as they come (server-sent events from /api/v1/audit),
// for principals with the admin scope.
import { formatTime, h } from '../dom.js';

export function render(root, { session }) {
  root.append(h('h1', { tabindex: '-1' }, 'Audit log'));
  if (!session.admin) {
    root.append(h('p', {}, 'The audit log is for principals with the admin scope.'));
    return undefined;
  }
  const state = h('p', { class: 'hint', id: 'audit-state', 'aria-live': 'polite' }, 'Connecting…');
  const rows = h('tbody', { id: 'audit-rows' });
  root.append(state, h('table', { class: 'audit' },
    h('caption', { class: 'visually-hidden' }, 'Audit records, newest first'),
    h('thead', {}, h('tr', {}, ['Time', 'Principal', 'Tool', 'Backend', 'Result', 'Duration'].map((t) => h('th', { scope: 'col' }, t)))),
    rows));

  const source = new EventSource('/api/v1/audit');
  source.onopen = () => { state.textContent = 'Following the journal’s audit records.'; state.className = 'hint ok'; };
  source.onerror = () => {
    state.textContent = source.readyState === EventSource.CLOSED ? 'The audit log cannot be read (see the gateway’s log).' : 'Reconnecting…';
    state.className = 'hint error';
  };
  source.addEventListener('audit', (event) => {
    const r = JSON.parse(event.data);
    const ok = r.result === 'ok';
    const row = h('tr', { class: 'new' },
      h('td', {}, formatTime(r.time_usec)), h('td', {}, r.principal ?? ''), h('td', {}, h('code', {}, r.tool ?? '')),
      h('td', {}, r.backend ?? ''), h('td', {}, h('span', { class: ok ? 'ok' : 'error' }, r.result ?? ''), r.reason ? ` (${r.reason})` : ''),
      h('td', { class: 'num' }, r.duration_usec ? `${(Number(r.duration_usec) / 1000).toFixed(1)} ms` : ''));
    rows.prepend(row);
    while (rows.rows.length > 500) rows.deleteRow(-1);
  });
  return () => source.close();
}
