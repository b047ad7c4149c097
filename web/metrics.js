// The gateway's /metrics (Prometheus text), read every few seconds while someone is signed in, with a short
// history for the charts.
import { metricsText } from './api.js';

const INTERVAL_MS = 5000;
const KEEP = 120; // ten minutes of samples

// [{name, labels: {k: v}, value}] from the text format.
export function parseMetrics(text) {
  const out = [];
  const re = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = re.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

export function sum(samples, name, filter = () => true) {
  return samples.filter((s) => s.name === name && filter(s.labels)).reduce((a, s) => a + s.value, 0);
}

export function byBackend(samples, name) {
  const out = {};
  for (const s of samples) if (s.name === name && s.labels.backend !== undefined) out[s.labels.backend] = s.value;
  return out;
}

export const history = []; // [{time, samples}]
const listeners = new Set();
let timer = null;

async function poll() {
  try {
    const samples = parseMetrics(await metricsText());
    history.push({ time: Date.now(), samples });
    if (history.length > KEEP) history.shift();
    for (const f of listeners) f();
  } catch (e) {
    for (const f of listeners) f(e);
  }
}

export function startPolling() {
  if (timer) return;
  poll();
  timer = setInterval(poll, INTERVAL_MS);
}

export function stopPolling() {
  clearInterval(timer);
  timer = null;
  history.length = 0;
}

export function onMetrics(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}

// A rate per second of a counter between consecutive samples: [{time, value}]. pick() returns undefined
// where a sample has no such figure, which is left out.
export function rate(pick) {
  const out = [];
  for (let i = 1; i < history.length; i++) {
    const dt = (history[i].time - history[i - 1].time) / 1000;
    const a = pick(history[i - 1].samples), b = pick(history[i].samples);
    if (a === undefined || b === undefined) continue;
    out.push({ time: history[i].time, value: dt > 0 && b >= a ? (b - a) / dt : 0 });
  }
  return out;
}

export function series(pick) {
  return history.map((h) => ({ time: h.time, value: pick(h.samples) })).filter((p) => p.value !== undefined);
}
