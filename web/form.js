// A form from a tool's inputSchema: one labelled field per property (text, number, checkbox, choice, or
// JSON for the rest), and the arguments read back from it in the types the schema wants.
import { h, uid } from './dom.js';

function typeOf(schema) {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  if (!t && schema.enum) return 'enum';
  if (schema.enum && (t === 'string' || t === undefined)) return 'enum';
  return t ?? 'json';
}

export function schemaForm(schema, { onSubmit, submitLabel = 'Call' }) {
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  const fields = [];
  const form = h('form', { class: 'schema-form', novalidate: true });

  for (const [name, prop] of Object.entries(props)) {
    const id = uid('field');
    const hintId = prop.description ? `${id}-hint` : undefined;
    const type = typeOf(prop);
    const req = required.has(name);
    const label = h('label', { for: id }, prop.title ?? name, req ? ' (required)' : '');
    let input;
    if (type === 'boolean') {
      input = h('input', { id, type: 'checkbox', name, 'aria-describedby': hintId });
      if (prop.default === true) input.checked = true;
      form.append(h('label', { class: 'inline', for: id }, input, prop.title ?? name));
    } else {
      if (type === 'enum') {
        input = h('select', { id, name, 'aria-describedby': hintId, required: req },
          req ? null : h('option', { value: '' }, '(none)'),
          prop.enum.map((v) => h('option', { value: JSON.stringify(v) }, String(v))));
        if (prop.default !== undefined) input.value = JSON.stringify(prop.default);
      } else if (type === 'integer' || type === 'number') {
        input = h('input', { id, name, type: 'number', step: type === 'integer' ? '1' : 'any', 'aria-describedby': hintId,
          required: req, min: prop.minimum, max: prop.maximum });
        if (prop.default !== undefined) input.value = prop.default;
      } else if (type === 'string') {
        const long = !prop.maxLength || prop.maxLength > 200;
        input = long && /code|script|text|body|content|source/i.test(name)
          ? h('textarea', { id, name, 'aria-describedby': hintId, required: req })
          : h('input', { id, name, type: 'text', 'aria-describedby': hintId, required: req, maxlength: prop.maxLength });
        if (prop.default !== undefined) input.value = prop.default;
      } else {
        input = h('textarea', { id, name, 'aria-describedby': hintId, required: req, spellcheck: 'false' });
        input.placeholder = type === 'array' ? '[ … ] as JSON' : '{ … } as JSON';
        if (prop.default !== undefined) input.value = JSON.stringify(prop.default, null, 2);
      }
      form.append(label, input);
    }
    if (hintId) form.append(h('p', { class: 'hint', id: hintId }, prop.description));
    fields.push({ name, type, input, req, label: prop.title ?? name });
  }
  if (!fields.length) form.append(h('p', { class: 'hint' }, 'This takes no arguments.'));

  const error = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit' }, submitLabel);
  form.append(h('p', {}, button), error);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    let args;
    try {
      args = readArguments(fields);
    } catch (e) {
      error.textContent = e.message;
      return;
    }
    button.disabled = true;
    try {
      await onSubmit(args);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function readArguments(fields) {
  const args = {};
  for (const f of fields) {
    const { input, type } = f;
    if (type === 'boolean') {
      args[f.name] = input.checked;
      continue;
    }
    const raw = input.value;
    if (raw === '') {
      if (f.req) throw new Error(`${f.label} is required.`);
      continue;
    }
    if (type === 'enum') args[f.name] = JSON.parse(raw);
    else if (type === 'integer' || type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) throw new Error(`${f.label} must be ${type === 'integer' ? 'a whole number' : 'a number'}.`);
      args[f.name] = n;
    } else if (type === 'string') args[f.name] = raw;
    else {
      try { args[f.name] = JSON.parse(raw); } catch { throw new Error(`${f.label} must be JSON.`); }
    }
  }
  return args;
}
