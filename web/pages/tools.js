// Tools: a searchable list of every tool the signed-in principal may use; each with a form made from its
// inputSchema to try it, and its result shown by content type.
import { mcp } from '../api.js';
import { announce, h } from '../dom.js';
import { schemaForm } from '../form.js';
import { renderError, renderToolResult } from '../render.js';

export function render(root) {
  const search = h('input', { id: 'tool-search', type: 'search', class: 'search', placeholder: 'Name or words of its description' });
  const list = h('ul', { class: 'list', id: 'tool-list', 'aria-label': 'Tools' });
  const detail = h('div', { id: 'tool-detail' }, h('p', { class: 'hint' }, 'Choose a tool to see it and try it.'));
  const count = h('p', { class: 'hint', 'aria-live': 'polite' });
  root.append(h('h1', { tabindex: '-1' }, 'Tools'),
    h('div', { class: 'split' },
      h('div', {}, h('label', { for: 'tool-search' }, 'Search tools'), search, count, list),
      detail));

  let tools = [];
  let chosen = null;

  function show(tool) {
    chosen = tool.name;
    for (const b of list.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.name === tool.name));
    const out = h('div', { 'aria-live': 'polite' });
    const annotations = tool.annotations ?? {};
    const flags = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'].filter((k) => annotations[k]).map((k) => k.replace('Hint', ''));
    detail.replaceChildren(
      h('h2', { id: 'tool-title' }, tool.title ?? tool.name),
      h('p', {}, h('code', {}, tool.name), flags.length ? ` — ${flags.join(', ')}` : ''),
      tool.description ? h('p', {}, tool.description) : null,
      h('h3', {}, 'Try it'),
      schemaForm(tool.inputSchema, {
        submitLabel: `Call ${tool.name}`,
        onSubmit: async (args) => {
          out.replaceChildren(h('p', {}, 'Calling…'));
          let box;
          try {
            box = renderToolResult(await mcp.request('tools/call', { name: tool.name, arguments: args }));
          } catch (e) {
            box = renderError(e.message);
          }
          out.replaceChildren(box);
          announce(`${tool.name} answered`);
        },
      }),
      out,
      h('details', {}, h('summary', {}, 'Input schema'), h('pre', {}, JSON.stringify(tool.inputSchema, null, 2))));
  }

  function filter() {
    const q = search.value.trim().toLowerCase();
    const shown = tools.filter((t) => !q || `${t.name} ${t.title ?? ''} ${t.description ?? ''}`.toLowerCase().includes(q));
    list.replaceChildren(...shown.map((t) => h('li', {},
      h('button', { type: 'button', 'data-name': t.name, 'aria-pressed': String(t.name === chosen), onclick: () => show(t) },
        t.name, t.title && t.title !== t.name ? h('small', {}, t.title) : null))));
    count.textContent = `${shown.length} of ${tools.length} tools`;
  }

  search.addEventListener('input', filter);
  list.addEventListener('keydown', (e) => { // arrow keys move between the tools
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const buttons = [...list.querySelectorAll('button')];
    const i = buttons.indexOf(document.activeElement);
    const next = buttons[Math.max(0, Math.min(buttons.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
    next?.focus();
    e.preventDefault();
  });

  mcp.list('tools/list', 'tools').then((t) => {
    tools = t.sort((a, b) => a.name.localeCompare(b.name));
    filter();
  }).catch((e) => { list.replaceChildren(h('li', { class: 'error' }, e.message)); });
}
