// Servers: each backend's state, and its memory, CPU and tasks over time (aios_backend_* in /metrics).
import { lineChart } from '../chart.js';
import { formatBytes, h } from '../dom.js';
import { byBackend, history, onMetrics, rate, series } from '../metrics.js';

export function render(root) {
  const body = h('div', {});
  root.append(h('h1', { tabindex: '-1' }, 'Servers'), body);

  function draw(error) {
    body.replaceChildren();
    if (error) body.append(h('p', { class: 'error', role: 'alert' }, `Cannot read /metrics: ${error.message}`));
    const latest = history[history.length - 1]?.samples;
    if (!latest) {
      body.append(h('p', {}, 'Reading the gateway’s figures…'));
      return;
    }
    const up = byBackend(latest, 'aios_gateway_backend_up');
    const active = byBackend(latest, 'aios_backend_active');
    const sources = {};
    for (const s of latest) if (s.name === 'aios_backend_figures_source' && s.value === 1) sources[s.labels.backend] = s.labels.source;
    const table = h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Backends'),
      h('thead', {}, h('tr', {}, ['Backend', 'Reachable', 'Running', 'Memory', 'CPU', 'Tasks', 'Figures from'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}));
    const cards = h('div', { class: 'cards' });
    for (const name of Object.keys(up).sort()) {
      const pick = (metric) => (samples) => samples.find((s) => s.name === metric && s.labels.backend === name)?.value;
      const mem = byBackend(latest, 'aios_backend_memory_bytes')[name];
      const tasks = byBackend(latest, 'aios_backend_tasks')[name];
      const cpu = rate(pick('aios_backend_cpu_seconds_total'));
      const running = active[name];
      table.tBodies[0].append(h('tr', {},
        h('th', { scope: 'row' }, name),
        h('td', {}, h('span', { class: `state ${up[name] === 1 ? 'up' : 'down'}` }, up[name] === 1 ? 'up' : 'down')),
        h('td', {}, running === undefined ? '–' : h('span', { class: `state ${running === 1 ? 'up' : 'idle'}` }, running === 1 ? 'running' : 'not running')),
        h('td', { class: 'num' }, mem === undefined ? '–' : formatBytes(mem)),
        h('td', { class: 'num' }, cpu.length ? `${(cpu.at(-1).value * 100).toFixed(1)} %` : '–'),
        h('td', { class: 'num' }, tasks === undefined ? '–' : String(tasks)),
        h('td', {}, sources[name] ?? '–')));
      if (mem === undefined && tasks === undefined) continue; // a remote server: the gateway has no figures of it
      cards.append(h('section', { class: 'card', 'aria-label': `${name} over time` },
        h('h2', {}, name),
        h('h3', {}, 'Memory'), lineChart(series(pick('aios_backend_memory_bytes')), { label: `${name} memory`, format: formatBytes }),
        h('h3', {}, 'CPU'), lineChart(cpu.map((p) => ({ time: p.time, value: p.value * 100 })), { label: `${name} CPU`, format: (v) => `${v.toFixed(1)} %` }),
        h('h3', {}, 'Tasks'), lineChart(series(pick('aios_backend_tasks')), { label: `${name} tasks`, format: (v) => String(Math.round(v)) })));
    }
    body.append(table, h('h2', {}, 'Over time'), cards);
  }
  draw();
  return onMetrics(draw);
}
