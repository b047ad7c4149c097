// The gateway seen from the page: the cookie session (sign in, out, who), the dashboard's JSON API, and an
// MCP client on /mcp that speaks to the gateway like any other client, with the session's CSRF token.

let csrf = null;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function errorOf(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    message = body.error?.message ?? body.error ?? message;
  } catch { /* not JSON */ }
  if (response.status === 401) window.dispatchEvent(new CustomEvent('aios-signed-out', { detail: message }));
  return new ApiError(response.status, message);
}

export async function getSession() {
  const r = await fetch('/api/v1/session', { credentials: 'same-origin', cache: 'no-store' });
  if (!r.ok) return null;
  const s = await r.json();
  csrf = s.csrf;
  return s;
}

export async function signIn(key) {
  const r = await fetch('/api/v1/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { Authorization: `Bearer ${key}` },
  });
  if (!r.ok) {
    let message = `Sign-in failed (${r.status})`;
    try { message = (await r.json()).error || message; } catch { /* not JSON */ }
    throw new ApiError(r.status, message);
  }
  const s = await r.json();
  csrf = s.csrf;
  return s;
}

export async function signOut() {
  await fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin', headers: { 'X-AIOS-CSRF': csrf ?? '' } });
  csrf = null;
  mcp.reset();
}

// The dashboard's own API (/api/v1/...): JSON in the answer, parameters in the URL.
export async function api(method, url) {
  const r = await fetch(url, { method, credentials: 'same-origin', headers: { 'X-AIOS-CSRF': csrf ?? '' } });
  if (!r.ok) throw await errorOf(r);
  return r.status === 204 ? null : r.json();
}

export async function metricsText() {
  const r = await fetch('/metrics', { credentials: 'same-origin', cache: 'no-store' });
  if (!r.ok) throw await errorOf(r);
  return r.text();
}

export async function readiness() {
  const r = await fetch('/readyz', { credentials: 'same-origin', cache: 'no-store' });
  return r.json(); // 503 with the same body when a backend is down
}

// The messages of a text/event-stream body.
function sseMessages(text) {
  const out = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
    if (data.length) {
      try { out.push(JSON.parse(data.join('\n'))); } catch { /* not a message */ }
    }
  }
  return out;
}

const PROTOCOL_VERSION = '2025-11-25';

class McpClient {
  constructor() { this.reset(); }

  reset() {
    this.session = null;
    this.starting = null;
    this.nextId = 1;
  }

  async post(message) {
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'X-AIOS-CSRF': csrf ?? '',
    };
    if (this.session) {
      headers['Mcp-Session-Id'] = this.session;
      headers['MCP-Protocol-Version'] = PROTOCOL_VERSION;
    }
    const r = await fetch('/mcp', { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(message) });
    return r;
  }

  async start() {
    this.session = null;
    const r = await this.post({
      jsonrpc: '2.0', id: this.nextId++, method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'aios-dashboard', version: '1' } },
    });
    if (!r.ok) throw await errorOf(r);
    this.session = r.headers.get('Mcp-Session-Id');
    await this.reply(r);
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }

  async reply(r, id) {
    const type = r.headers.get('Content-Type') || '';
    const messages = type.startsWith('text/event-stream') ? sseMessages(await r.text()) : [await r.json()];
    const reply = messages.find((m) => id === undefined || m.id === id) ?? messages[messages.length - 1];
    if (!reply) throw new ApiError(r.status, 'The gateway sent no answer');
    if (reply.error) throw new ApiError(r.status, reply.error.message);
    return reply.result;
  }

  async request(method, params = {}) {
    for (let attempt = 0; ; attempt++) {
      if (!this.session) {
        this.starting ??= this.start().finally(() => { this.starting = null; });
        await this.starting;
      }
      const id = this.nextId++;
      const r = await this.post({ jsonrpc: '2.0', id, method, params });
      if (r.status === 404 && attempt === 0) { // the session ended (idle, or the gateway restarted)
        this.session = null;
        continue;
      }
      if (!r.ok && !(r.headers.get('Content-Type') || '').startsWith('application/json')) throw await errorOf(r);
      if (r.status === 401) throw await errorOf(r);
      return this.reply(r, id);
    }
  }

  // Every page of a list: tools/list, resources/list, ...
  async list(method, key) {
    const all = [];
    let cursor;
    do {
      const result = await this.request(method, cursor ? { cursor } : {});
      all.push(...(result[key] ?? []));
      cursor = result.nextCursor;
    } while (cursor);
    return all;
  }
}

export const mcp = new McpClient();
