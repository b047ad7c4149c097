// Overview: backends up or down, calls per second, errors and latency, from the gateway's /metrics.
import { lineChart } from '../chart.js';
import { h } from '../dom.js';
import { byBackend, history, onMetrics, rate, sum } from '../metrics.js';

const isCall = (l) => l.method === 'tools/call';
const isFailure = (l) => isCall(l) && l.outcome !== 'ok';

function meanLatency(samples) {
  return [sum(samples, 'aios_gateway_request_duration_seconds_sum', isCall), sum(samples, 'aios_gateway_request_duration_seconds_count', isCall)];
}

export function render(root) {
  const body = h('div', {});
  root.append(h('h1', { tabindex: '-1' }, 'Overview'), body);

  function draw(error) {
    body.replaceChildren();
    if (error) body.append(h('p', { class: 'error', role: 'alert' }, `Cannot read /metrics: ${error.message}`));
    const latest = history[history.length - 1]?.samples;
    if (!latest) {
      body.append(h('p', {}, 'Reading the gateway’s figures…'));
      return;
    }
    const up = byBackend(latest, 'aios_gateway_backend_up');
    const names = Object.keys(up).sort();
    const nUp = names.filter((n) => up[n] === 1).length;
    const calls = sum(latest, 'aios_gateway_requests_total', isCall);
    const failures = sum(latest, 'aios_gateway_requests_total', isFailure);
    const [s, c] = meanLatency(latest);
    const callRate = rate((x) => sum(x, 'aios_gateway_requests_total', isCall));
    const errorRate = rate((x) => sum(x, 'aios_gateway_requests_total', isFailure));
    const latency = [];
    for (let i = 1; i < history.length; i++) {
      const [s1, c1] = meanLatency(history[i].samples), [s0, c0] = meanLatency(history[i - 1].samples);
      latency.push({ time: history[i].time, value: c1 > c0 ? ((s1 - s0) / (c1 - c0)) * 1000 : 0 });
    }
    const perSec = (v) => `${v.toFixed(2)}/s`;
    body.append(
      h('div', { class: 'cards' },
        h('section', { class: 'card', 'aria-labelledby': 'ov-backends' }, h('h2', { id: 'ov-backends' }, 'Backends'),
          h('p', { class: 'big' }, `${nUp} of ${names.length} up`),
          h('ul', { class: 'backends' }, names.map((n) => h('li', {}, n, ' ',
            h('span', { class: `state ${up[n] === 1 ? 'up' : 'down'}` }, up[n] === 1 ? 'up' : 'down'))))),
        h('section', { class: 'card', 'aria-labelledby': 'ov-calls' }, h('h2', { id: 'ov-calls' }, 'Tool calls per second'),
          h('p', { class: 'big' }, perSec(callRate.at(-1)?.value ?? 0)), lineChart(callRate, { label: 'Tool calls per second', format: perSec }),
          h('p', { class: 'hint' }, `${calls} calls since the gateway started`)),
        h('section', { class: 'card', 'aria-labelledby': 'ov-errors' }, h('h2', { id: 'ov-errors' }, 'Errors'),
          h('p', { class: `big ${failures ? 'warn' : ''}` }, String(failures)), lineChart(errorRate, { label: 'Failed calls per second', format: perSec }),
          h('p', { class: 'hint' }, 'calls that did not end well (errors, refusals, timeouts, tool errors)')),
        h('section', { class: 'card', 'aria-labelledby': 'ov-latency' }, h('h2', { id: 'ov-latency' }, 'Latency'),
          h('p', { class: 'big' }, c ? `${((s / c) * 1000).toFixed(1)} ms` : '–'), lineChart(latency, { label: 'Mean call latency', format: (v) => `${v.toFixed(1)} ms` }),
          h('p', { class: 'hint' }, 'mean time of a tool call through the gateway'))));
  }
  draw();
  return onMetrics(draw);
}
