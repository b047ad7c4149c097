// Tool results, resource contents and prompt messages, shown by their content type: text, images, audio,
// embedded resources, links to resources, and structured content.
import { h } from './dom.js';

function blobUrl(base64, mimeType) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return URL.createObjectURL(new Blob([bytes], { type: mimeType }));
}

function media(data, mimeType, what) {
  if (mimeType?.startsWith('image/'))
    return h('figure', {}, h('img', { src: blobUrl(data, mimeType), alt: `${what} (${mimeType})` }), h('figcaption', { class: 'hint' }, mimeType));
  if (mimeType?.startsWith('audio/'))
    return h('figure', {}, h('audio', { controls: true, src: blobUrl(data, mimeType), 'aria-label': `${what} (${mimeType})` }), h('figcaption', { class: 'hint' }, mimeType));
  return h('p', {}, h('a', { href: blobUrl(data, mimeType ?? 'application/octet-stream'), download: 'content' }, `Download ${what} (${mimeType ?? 'binary'})`));
}

// One resource's contents (resources/read, or embedded in a result).
export function renderResourceContents(c) {
  const parts = [h('p', { class: 'hint' }, 'Resource ', h('code', {}, c.uri ?? ''), c.mimeType ? ` (${c.mimeType})` : '')];
  if (c.text !== undefined) parts.push(h('pre', {}, c.text));
  else if (c.blob !== undefined) parts.push(media(c.blob, c.mimeType, 'resource'));
  return h('div', { class: 'resource' }, parts);
}

export function renderContent(item) {
  switch (item.type) {
  case 'text':
    return h('pre', {}, item.text);
  case 'image':
    return media(item.data, item.mimeType, 'Image result');
  case 'audio':
    return media(item.data, item.mimeType, 'Audio result');
  case 'resource':
    return renderResourceContents(item.resource ?? {});
  case 'resource_link':
    return h('p', {}, 'Resource link: ', h('code', {}, item.uri), item.name ? ` (${item.name})` : '', item.description ? ` — ${item.description}` : '');
  default:
    return h('pre', {}, JSON.stringify(item, null, 2));
  }
}

export function renderToolResult(result) {
  const box = h('section', { class: `result${result.isError ? ' is-error' : ''}`, 'aria-label': 'Result', tabindex: '-1' });
  box.append(h('h3', {}, result.isError ? 'The tool reported an error' : 'Result'));
  for (const item of result.content ?? []) box.append(renderContent(item));
  if (result.structuredContent !== undefined)
    box.append(h('h4', {}, 'Structured content'), h('pre', {}, JSON.stringify(result.structuredContent, null, 2)));
  if (!(result.content ?? []).length && result.structuredContent === undefined) box.append(h('p', {}, 'No content.'));
  return box;
}

export function renderError(message) {
  return h('section', { class: 'result is-error', role: 'alert', tabindex: '-1' }, h('h3', {}, 'Failed'), h('p', {}, message));
}
