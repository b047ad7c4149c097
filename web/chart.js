// A small line chart in SVG, drawn here: points over time, the latest value said in words for screen readers.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export function lineChart(points, { label, format = (v) => String(v) }) {
  const W = 300, H = 100, P = 4;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H + 14}`, class: 'chart', role: 'img' });
  const last = points.length ? points[points.length - 1].value : null;
  const title = el('title', {});
  title.textContent = `${label}: ${last === null ? 'no figures yet' : format(last)}`;
  svg.append(title);
  svg.append(el('line', { x1: 0, y1: H, x2: W, y2: H, class: 'axis' }));
  if (points.length < 2) {
    const t = el('text', { x: P, y: H / 2 });
    t.textContent = 'collecting figures…';
    svg.append(t);
    return svg;
  }
  const t0 = points[0].time, t1 = points[points.length - 1].time;
  const max = Math.max(...points.map((p) => p.value), 0) || 1;
  const x = (t) => P + ((t - t0) / (t1 - t0 || 1)) * (W - 2 * P);
  const y = (v) => H - P - (v / max) * (H - 2 * P);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  svg.append(el('path', { d: `${d} L${x(t1).toFixed(1)},${H} L${x(t0).toFixed(1)},${H} Z`, class: 'area' }));
  svg.append(el('path', { d, class: 'line' }));
  const top = el('text', { x: P, y: 10 });
  top.textContent = format(max);
  const bottom = el('text', { x: W - P, y: H + 12, 'text-anchor': 'end' });
  bottom.textContent = `${Math.round((t1 - t0) / 1000)} s`;
  svg.append(top, bottom);
  return svg;
}
