// The reports page (server-rendered: app/pages/staff_reports.py) already shows every figure and
// the same numbers as tables. This only adds pictures: the weekly charts above the weekly table
// and the borough map under the waiting diners, drawn from the page's JSON island (the numbers
// of those tables). Without it, nothing is lost.
import { barChart, boroughMap, lineChart, swatch } from '../charts.js';

const DELIVERED = '#0b5e57';
const MISSED = '#b3261e';
const CONTINUITY = '#1d4f91';
const WAITING = '#6f3c8f';

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A <figure>'s default side margins would narrow a chart on a phone.
const FLUSH = 'govuk-!-margin-left-0 govuk-!-margin-right-0';
// Two charts side by side on a desk, one under the other on a phone.
const half = (node) => el('div', { class: 'govuk-grid-column-one-half' }, node);

const pct = (v) => (v === null || v === undefined ? 'no meals' : `${Math.round(v * 100)}%`);
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A chart with its heading and legend (the numbers are in the table under the charts). */
function figure(id, heading, svg, legend) {
  return el('figure', { class: `ep-figure ${FLUSH}`, 'aria-labelledby': id },
    el('h3', { class: 'govuk-heading-s', id }, heading),
    el('div', { class: 'ep-chart-box' }, svg),
    el('ul', { class: 'govuk-list ep-legend' },
      legend.map(([kind, colour, text]) => el('li', {}, swatch(kind, colour), ` ${text}`))));
}

function weeklyCharts(weeks) {
  const labels = weeks.map((w) => w.label.replace(/ \d{4}$/, ''));
  const weekOf = (i) => `Week of ${labels[i]}${weeks[i].current ? ' (this week, so far)' : ''}`;
  const charts = [];
  if (weeks.some((w) => w.delivered || w.missed)) {
    charts.push(figure('chart-meals', 'Meals delivered and missed each week',
      barChart({
        title: 'Meals delivered and missed each week',
        desc: `Bar chart. ${weeks.map((w, i) => `${weekOf(i)}: ${w.delivered} delivered, ${w.missed} missed.`).join(' ')}`,
        labels,
        series: [
          { name: 'Delivered', colour: DELIVERED, values: weeks.map((w) => w.delivered) },
          { name: 'Missed', colour: MISSED, values: weeks.map((w) => w.missed) },
        ],
      }),
      [['square', DELIVERED, 'Delivered'], ['square', MISSED, 'Missed']]));
  }
  if (weeks.some((w) => w.waiting)) {
    charts.push(figure('chart-waiting', 'Diners waiting at the end of each week',
      lineChart({
        title: 'Diners waiting at the end of each week',
        desc: `Line chart. ${weeks.map((w, i) => `${weekOf(i)}: ${plural(w.waiting, 'diner')} waiting.`).join(' ')}`,
        labels,
        values: weeks.map((w) => w.waiting),
        colour: WAITING,
        percent: false,
      }),
      [['line', WAITING, 'Diners waiting for a cook (this week: now)']]));
  }
  if (weeks.some((w) => w.continuity !== null)) {
    charts.push(figure('chart-continuity', 'Meals brought by the regular cook each week',
      lineChart({
        title: 'Meals brought by the regular cook each week',
        desc: `Line chart, 0 to 100%. ${weeks.map((w, i) => `${weekOf(i)}: ${pct(w.continuity)}.`).join(' ')}`,
        labels,
        values: weeks.map((w) => w.continuity),
        colour: CONTINUITY,
      }),
      [['line', CONTINUITY, 'Brought by the regular cook (a gap: no meals that week)']]));
  }
  return charts;
}

async function boroughs() {
  try {
    const res = await fetch('/data/boroughs.geojson', { credentials: 'same-origin' });
    return res.ok ? (await res.json()).features : null;
  } catch {
    return null;
  }
}

async function mapSection(map) {
  const all = await boroughs();
  if (!all) return null;
  const own = all.filter((f) => map.lad_codes.includes(f.properties.lad_code));
  const features = own.length ? own : all;
  const names = features.map((f) => f.properties.lad_name).join(', ');
  const points = { cooks: map.cooks, diners: map.diners };
  const counts = `${plural(points.cooks.length, 'approved cook')} and ${plural(points.diners.length, 'waiting diner')}`;
  return el('figure', { class: `ep-figure ${FLUSH}`, 'aria-labelledby': 'map-title' },
    el('h3', { class: 'govuk-heading-s', id: 'map-title' }, 'Where cooks and waiting diners are'),
    el('p', { class: 'govuk-body' }, `${counts}. Each is placed to within about 100 metres, never at a door.`),
    el('div', { class: 'ep-chart-box ep-map-box' }, boroughMap({
      title: `Map of ${names}`,
      desc: `The outline of ${names}, with ${counts}.`,
      features,
      points,
    })),
    el('ul', { class: 'govuk-list ep-legend' },
      el('li', {}, swatch('circle', DELIVERED), ' An approved cook'),
      el('li', {}, swatch('diamond', MISSED), ' A diner waiting for a cook')),
    el('p', { class: 'govuk-body-s' }, 'Borough boundaries: Source: Office for National Statistics licensed under the Open Government Licence v.3.0. Contains OS data © Crown copyright and database right 2024.'));
}

const island = document.getElementById('report-data');
if (island) {
  const data = JSON.parse(island.textContent);
  const charts = weeklyCharts(data.weeks);
  if (charts.length) {
    document.getElementById('weekly-charts')?.replaceChildren(el('div', { class: 'govuk-grid-row' }, charts.map(half)));
  }
  const box = document.getElementById('map-box');
  if (box && (data.map.cooks.length || data.map.diners.length)) {
    const section = await mapSection(data.map);
    if (section) box.replaceChildren(el('div', { class: 'govuk-grid-row' }, half(section)));
  }
}
