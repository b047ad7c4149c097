// Resources: the resources and templates the principal may read, each read on demand.
import { mcp } from '../api.js';
import { h } from '../dom.js';
import { renderError, renderResourceContents } from '../render.js';

export function render(root) {
  const list = h('tbody', {});
  const templates = h('ul', {});
  const out = h('div', { 'aria-live': 'polite' });
  root.append(h('h1', { tabindex: '-1' }, 'Resources'),
    h('table', {}, h('caption', { class: 'visually-hidden' }, 'Resources'),
      h('thead', {}, h('tr', {}, ['Name', 'URI', 'Type', ''].map((t) => h('th', { scope: 'col' }, t)))), list),
    out,
    h('h2', {}, 'Templates'), templates);

  async function read(uri) {
    out.replaceChildren(h('p', {}, `Reading ${uri}…`));
    try {
      const result = await mcp.request('resources/read', { uri });
      out.replaceChildren(h('h2', {}, uri), ...(result.contents ?? []).map(renderResourceContents));
    } catch (e) {
      out.replaceChildren(renderError(e.message));
    }
  }

  mcp.list('resources/list', 'resources').then((rs) => {
    if (!rs.length) list.append(h('tr', {}, h('td', { colspan: '4' }, 'No resources.')));
    for (const r of rs)
      list.append(h('tr', {}, h('td', {}, r.title ?? r.name ?? ''), h('td', {}, h('code', {}, r.uri)), h('td', {}, r.mimeType ?? ''),
        h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => read(r.uri), 'aria-label': `Read ${r.uri}` }, 'Read'))));
  }).catch((e) => list.append(h('tr', {}, h('td', { colspan: '4', class: 'error' }, e.message))));

  mcp.list('resources/templates/list', 'resourceTemplates').then((ts) => {
    if (!ts.length) templates.append(h('li', {}, 'No templates.'));
    for (const t of ts) templates.append(h('li', {}, h('code', {}, t.uriTemplate), t.description ? ` — ${t.description}` : ''));
  }).catch((e) => templates.append(h('li', { class: 'error' }, e.message)));
}
