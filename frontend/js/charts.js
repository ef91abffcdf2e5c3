// Small, dependency-free SVG charts and a borough map. Every picture has a text alternative
// (a title and a description), and the pages also offer the same figures as a table.

const SVG = 'http://www.w3.org/2000/svg';
let uid = 0;

function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An <svg role="img"> named by its <title> and described by its <desc>. */
function frame(width, height, title, desc, cls) {
  const id = `chart-${++uid}`;
  return s('svg', {
    viewBox: `0 0 ${width} ${height}`, role: 'img', class: cls || 'ep-chart',
    'aria-labelledby': `${id}-title ${id}-desc`, focusable: 'false', preserveAspectRatio: 'xMidYMid meet',
  }, s('title', { id: `${id}-title` }, title), s('desc', { id: `${id}-desc` }, desc));
}

/** "Nice" round steps for an axis from 0 to max. */
function ticks(max, count = 4, whole = true) {
  if (max <= 0) return [0, 1];
  const raw = whole ? Math.max(1, max / count) : max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((m) => m >= raw) || raw;
  const out = [];
  for (let v = 0; v <= max + step * 0.001; v += step) out.push(Math.round(v * 1000) / 1000);
  if (out[out.length - 1] < max) out.push(out[out.length - 1] + step);
  return out;
}

const W = 640;
const H = 320;
const PAD = { top: 20, right: 48, bottom: 60, left: 84 };
const FONT = 26;

function axes(svg, labels, yTicks, yMax, fmt) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH - (plotH * v) / yMax;
  for (const t of yTicks) {
    svg.append(s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t), stroke: '#b1b4b6', 'stroke-width': 1 }));
    svg.append(s('text', { x: PAD.left - 8, y: y(t) + FONT * 0.35, 'text-anchor': 'end', 'font-size': FONT, fill: '#0b0c0c' }, fmt(t)));
  }
  svg.append(s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), stroke: '#0b0c0c', 'stroke-width': 2 }));
  const band = plotW / Math.max(1, labels.length);
  const every = labels.length > 4 ? Math.ceil(labels.length / 4) : 1;
  labels.forEach((text, i) => {
    // Label the most recent week and every few before it, so the labels never overlap.
    if ((labels.length - 1 - i) % every !== 0) return;
    svg.append(s('text', {
      x: PAD.left + band * (i + 0.5), y: H - PAD.bottom + FONT + 8, 'text-anchor': 'middle', 'font-size': FONT, fill: '#0b0c0c',
    }, text));
  });
  return { y, band, plotH };
}

/**
 * Grouped bars: labels along the bottom, one bar per series in each group.
 * series: [{name, colour, values}]
 */
export function barChart({ title, desc, labels, series }) {
  const svg = frame(W, H, title, desc);
  const max = Math.max(1, ...series.flatMap((x) => x.values.map((v) => v || 0)));
  const yTicks = ticks(max);
  const yMax = yTicks[yTicks.length - 1];
  const { y, band } = axes(svg, labels, yTicks, yMax, (v) => String(v));
  const gap = band * 0.2;
  const barW = (band - gap) / series.length;
  labels.forEach((_, i) => {
    series.forEach((x, j) => {
      const v = x.values[i] || 0;
      const top = y(v);
      svg.append(s('rect', {
        x: PAD.left + band * i + gap / 2 + barW * j, y: top, width: Math.max(1, barW - 2),
        height: Math.max(0, y(0) - top), fill: x.colour,
      }));
    });
  });
  return svg;
}

/**
 * A line (null leaves a gap), with a dot on each week: percentages from 0 to 1, or with
 * percent: false whole counts on an axis from 0.
 */
export function lineChart({ title, desc, labels, values, colour, percent = true }) {
  const svg = frame(W, H, title, desc);
  const yTicks = percent ? [0, 0.25, 0.5, 0.75, 1] : ticks(Math.max(1, ...values.map((v) => v || 0)));
  const yMax = yTicks[yTicks.length - 1];
  const fmt = percent ? (v) => `${Math.round(v * 100)}%` : (v) => String(v);
  const { y, band } = axes(svg, labels, yTicks, yMax, fmt);
  const x = (i) => PAD.left + band * (i + 0.5);
  let path = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || v === undefined) { pen = false; return; }
    path += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  if (path) svg.append(s('path', { d: path, fill: 'none', stroke: colour, 'stroke-width': 4, 'stroke-linejoin': 'round' }));
  values.forEach((v, i) => {
    if (v === null || v === undefined) return;
    svg.append(s('circle', { cx: x(i), cy: y(v), r: 7, fill: '#fff', stroke: colour, 'stroke-width': 4 }));
  });
  return svg;
}

// ---------------------------------------------------------------- map

function rings(geometry) {
  if (geometry.type === 'Polygon') return geometry.coordinates;
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.flat();
  return [];
}

/**
 * The council's boroughs as outlines, with cooks and waiting diners as marks.
 * A plain equirectangular projection, corrected for latitude, scaled to the bounding box.
 * points: {cooks: [[lon, lat]], diners: [[lon, lat]]}
 */
export function boroughMap({ title, desc, features, points }) {
  const all = [
    ...features.flatMap((f) => rings(f.geometry).flat()),
    ...points.cooks, ...points.diners,
  ];
  const lons = all.map((p) => p[0]);
  const lats = all.map((p) => p[1]);
  const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const k = Math.cos(((minLat + maxLat) / 2) * (Math.PI / 180));
  const spanX = Math.max(1e-6, (maxLon - minLon) * k);
  const spanY = Math.max(1e-6, maxLat - minLat);
  const width = 640;
  const pad = 16;
  const scale = (width - 2 * pad) / spanX;
  const height = Math.round(Math.min(720, spanY * scale + 2 * pad));
  const sc = Math.min(scale, (height - 2 * pad) / spanY);
  const px = (lon) => pad + (lon - minLon) * k * sc;
  const py = (lat) => height - pad - (lat - minLat) * sc;
  const svg = frame(width, height, title, desc, 'ep-map');
  for (const f of features) {
    const d = rings(f.geometry).map((ring) => ring.map(([lon, lat], i) => `${i ? 'L' : 'M'}${px(lon).toFixed(1)},${py(lat).toFixed(1)}`).join('') + 'Z').join('');
    svg.append(s('path', { d, fill: '#f3f2f1', stroke: '#0b0c0c', 'stroke-width': 2, 'fill-rule': 'evenodd' }));
  }
  for (const [lon, lat] of points.cooks) {
    svg.append(s('circle', { cx: px(lon), cy: py(lat), r: 6, fill: '#0b5e57', stroke: '#fff', 'stroke-width': 1.5 }));
  }
  for (const [lon, lat] of points.diners) {
    const cx = px(lon);
    const cy = py(lat);
    svg.append(s('rect', { x: cx - 6, y: cy - 6, width: 12, height: 12, fill: '#b3261e', stroke: '#fff', 'stroke-width': 1.5, transform: `rotate(45 ${cx} ${cy})` }));
  }
  return svg;
}

/** A legend key drawn the same way as the marks on the map or chart. */
export function swatch(kind, colour) {
  const svg = s('svg', { viewBox: '0 0 20 20', width: 20, height: 20, 'aria-hidden': 'true', focusable: 'false', class: 'ep-swatch' });
  if (kind === 'circle') svg.append(s('circle', { cx: 10, cy: 10, r: 7, fill: colour }));
  else if (kind === 'diamond') svg.append(s('rect', { x: 4, y: 4, width: 12, height: 12, fill: colour, transform: 'rotate(45 10 10)' }));
  else if (kind === 'line') svg.append(s('line', { x1: 1, y1: 10, x2: 19, y2: 10, stroke: colour, 'stroke-width': 4 }), s('circle', { cx: 10, cy: 10, r: 5, fill: '#fff', stroke: colour, 'stroke-width': 3 }));
  else svg.append(s('rect', { x: 2, y: 2, width: 16, height: 16, fill: colour }));
  return svg;
}
