// Prompts: the prompts the principal may get, each with a form for its arguments and its messages shown.
import { mcp } from '../api.js';
import { h } from '../dom.js';
import { schemaForm } from '../form.js';
import { renderContent, renderError } from '../render.js';

export function render(root) {
  const body = h('div', {});
  root.append(h('h1', { tabindex: '-1' }, 'Prompts'), body);

  mcp.list('prompts/list', 'prompts').then((prompts) => {
    if (!prompts.length) body.append(h('p', {}, 'No prompts.'));
    for (const p of prompts) {
      const out = h('div', { 'aria-live': 'polite' });
      const schema = { type: 'object', properties: {}, required: [] };
      for (const a of p.arguments ?? []) {
        schema.properties[a.name] = { type: 'string', title: a.title ?? a.name, description: a.description };
        if (a.required) schema.required.push(a.name);
      }
      body.append(h('section', { class: 'card' },
        h('h2', {}, p.title ?? p.name), h('p', {}, h('code', {}, p.name)), p.description ? h('p', {}, p.description) : null,
        schemaForm(schema, {
          submitLabel: `Get ${p.name}`,
          onSubmit: async (args) => {
            try {
              const result = await mcp.request('prompts/get', { name: p.name, arguments: args });
              out.replaceChildren(...(result.messages ?? []).map((m) => h('div', {}, h('h3', {}, m.role), renderContent(m.content))));
            } catch (e) {
              out.replaceChildren(renderError(e.message));
            }
          },
        }), out));
    }
  }).catch((e) => body.append(h('p', { class: 'error' }, e.message)));
}
