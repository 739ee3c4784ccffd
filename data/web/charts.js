// charts.js — bar charts drawn as inline SVG (no library): vertical bars
// per category, one bar per series side by side or stacked, with a value
// axis, a legend and the data as text for screen readers.

import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const PAD = { top: 12, right: 8, bottom: 46, left: 48 };

function s(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

// A round step for about 4 grid lines up to @max.
function niceStep(max) {
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 2.5, 5, 10])
    if (raw <= factor * power) return factor * power;
  return 10 * power;
}

function shorten(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

// @labels: the categories; @series: [{name, values: [number|null], cls}];
// @stacked: series on top of each other; @integer: counts (whole steps);
// @format: a value as text (default: rounded). Side-by-side bars carry
// their value.
export function barChart({ title, labels, series, stacked = false, integer = false,
  format = (v) => String(Math.round(v)), empty }) {
  const figure = h('figure.chart', {}, h('figcaption', {}, title));
  const values = series.flatMap((one) => one.values.filter((v) => v !== null && v !== undefined));
  if (!labels.length || !values.length) {
    figure.append(h('p.empty', {}, empty || 'No data yet.'));
    return figure;
  }
  // Drawn for the window's width, so that text keeps its size on phones.
  const WIDTH = window.innerWidth < 720 ? 360 : 640;
  const HEIGHT = window.innerWidth < 720 ? 220 : 240;
  const totals = labels.map((_, i) => series.reduce((sum, one) => sum + (one.values[i] || 0), 0));
  const max = Math.max(1e-9, ...(stacked ? totals : values));
  const step = integer ? Math.max(1, Math.round(niceStep(max))) : niceStep(max);
  const top = Math.ceil(max / step) * step;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH - (v / top) * plotH;

  const summary = labels.map((label, i) => `${label}: ${series
    .map((one) => `${one.name} ${one.values[i] === null || one.values[i] === undefined ? 'none' : format(one.values[i])}`)
    .join(', ')}`).join('; ');
  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `${title}. ${summary}` });
  svg.append(s('title', {}, title));

  for (let v = 0; v <= top + 1e-9; v += step) {
    svg.append(s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v), class: 'gridline' }));
    svg.append(s('text', { x: PAD.left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, format(v)));
  }
  const band = plotW / labels.length;
  const inner = band * 0.75;
  const barW = stacked ? inner : inner / series.length;
  labels.forEach((label, i) => {
    const x0 = PAD.left + band * i + (band - inner) / 2;
    let base = 0;
    series.forEach((one, k) => {
      const v = one.values[i];
      if (v === null || v === undefined) return;
      const x = stacked ? x0 : x0 + barW * k;
      const from = stacked ? base : 0;
      if (!stacked && labels.length * series.length <= 24)
        svg.append(s('text', { x: x + (barW - 2) / 2, y: y(v) - 4, class: 'value', 'text-anchor': 'middle' }, format(v)));
      if (v === 0) return;
      const rect = s('rect', {
        x, width: Math.max(1, barW - (stacked ? 0 : 2)), y: y(from + v), height: Math.max(0, y(from) - y(from + v)),
        class: `bar ${one.cls || `s${k}`}`,
      });
      rect.append(s('title', {}, `${label} — ${one.name}: ${format(v)}`));
      svg.append(rect);
      if (stacked) base += v;
    });
    const every = Math.ceil(labels.length / (WIDTH < 400 ? 5 : 10));
    if (i % every === 0)
      svg.append(s('text', { x: x0 + inner / 2, y: HEIGHT - PAD.bottom + 16, class: 'axis', 'text-anchor': 'middle' },
        shorten(label, 12)));
  });
  svg.append(s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0), class: 'baseline' }));
  figure.append(svg);

  if (series.length > 1)
    figure.append(h('ul.legend', {}, series.map((one, k) =>
      h('li', {}, h('span', { class: `swatch ${one.cls || `s${k}`}` }), one.name))));
  return figure;
}
