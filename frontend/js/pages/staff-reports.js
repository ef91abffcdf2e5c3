import { ApiError, get } from '../api.js';
import { fmtDate, h, requireRole } from '../ui.js';
import { barChart, boroughMap, lineChart, swatch } from '../charts.js';
import { table } from './staff-common.js';

const user = await requireRole('staff');
const content = document.getElementById('content');

const DELIVERED = '#0b5e57';
const MISSED = '#b3261e';
const CONTINUITY = '#1d4f91';

const pct = (v) => (v === null || v === undefined ? 'not known yet' : `${Math.round(v * 100)}%`);
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

async function attempt(work, what) {
  try {
    return await work();
  } catch (err) {
    // One part failing (a real error, never "not built yet") leaves the rest of the report.
    if (err instanceof ApiError) {
      return h('p', { class: 'govuk-body' }, `The ${what} could not be shown. Reload the page to try again.`);
    }
    throw err;
  }
}

/** A figure: heading, the picture, its legend and the same numbers as a table. */
function figure(id, heading, intro, svg, legend, tableNode) {
  return h('section', { 'aria-labelledby': id, class: 'ep-figure' },
    h('h2', { class: 'govuk-heading-m', id }, heading),
    intro ? h('p', { class: 'govuk-body' }, intro) : null,
    h('div', { class: 'ep-chart-box' }, svg),
    legend ? h('ul', { class: 'govuk-list ep-legend' }, legend.map(([kind, colour, text]) => h('li', {}, swatch(kind, colour), ` ${text}`))) : null,
    tableNode ? h('details', { class: 'govuk-details' },
      h('summary', { class: 'govuk-details__summary' }, h('span', { class: 'govuk-details__summary-text' }, 'Show these figures as a table')),
      h('div', { class: 'govuk-details__text' }, tableNode)) : null);
}

// ---------------------------------------------------------------- summary

function summarySection(s) {
  const stat = (number, text, note) => h('div', { class: 'ep-stat' },
    h('dt', { class: 'ep-stat__label' }, text),
    h('dd', { class: 'ep-stat__number' }, number),
    note ? h('dd', { class: 'ep-stat__note' }, note) : null);
  const days = s.median_pairing_days;
  return h('section', { 'aria-labelledby': 'summary-title' },
    h('h2', { class: 'govuk-heading-m', id: 'summary-title' }, 'At a glance (all time)'),
    h('dl', { class: 'ep-stats', id: 'summary' },
      stat(String(s.approved_cooks), 'Approved cooks'),
      stat(String(s.pending_cooks), 'Cooks waiting for checks'),
      stat(String(s.waiting_diners), 'Diners waiting for a cook'),
      stat(String(s.active_pairings), 'Active pairings'),
      stat(String(s.meals_delivered), 'Meals delivered'),
      stat(String(s.meals_missed), 'Meals missed'),
      stat(s.continuity_rate === null ? '–' : pct(s.continuity_rate), 'Continuity',
        s.continuity_rate === null ? 'Not enough meals yet' : 'of delivered meals were brought by the diner’s regular cook'),
      stat(days === null ? '–' : String(Math.round(days)), 'Median pairing length',
        days === null ? 'Not enough pairings yet' : `days (${(days / 7).toFixed(1)} weeks)`),
      stat(s.regular_cooks_per_diner === null || s.regular_cooks_per_diner === undefined ? '–' : s.regular_cooks_per_diner.toFixed(2),
        'Regular cooks per diner', '1.00 means nobody has had to change cook'),
      stat(s.main_cook_share === null || s.main_cook_share === undefined ? '–' : pct(s.main_cook_share), 'Meals by the diner’s main cook',
        s.main_cook_share === null || s.main_cook_share === undefined ? 'No meals in the last 12 weeks'
          : `on average, over the last 12 weeks (${plural(s.continuity_diners, 'diner')}); a typical run with the same cook is ${plural(s.median_same_cook_run, 'meal')}`),
      stat(s.friend_share === null || s.friend_share === undefined ? '–' : pct(s.friend_share), 'The cook is a friend',
        s.friend_share === null || s.friend_share === undefined ? 'No answers in the last 12 months'
          : `of ${plural(s.friend_answers, 'diner')} whose carer answered in the last 12 months (Casserole Club publishes 70%)`)));
}

// ---------------------------------------------------------------- weekly charts

function weekLabel(w) {
  const [y, m, d] = w.week_start.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

function weeklySections(weeks) {
  if (!weeks.length) return [h('p', { class: 'govuk-body' }, 'No weekly figures yet.')];
  const labels = weeks.map(weekLabel);
  const delivered = weeks.map((w) => w.meals_delivered);
  const missedMeals = weeks.map((w) => w.meals_missed);
  const sumD = delivered.reduce((a, b) => a + b, 0);
  const sumM = missedMeals.reduce((a, b) => a + b, 0);
  const last = weeks[weeks.length - 1];
  const first = weeks[0];
  const span = `the ${weeks.length} weeks from ${fmtDate(first.week_start)} to ${fmtDate(last.week_end)}`;
  const meals = figure('meals-title', 'Meals each week',
    `${plural(sumD, 'meal')} delivered and ${plural(sumM, 'meal')} missed in ${span}.`,
    barChart({
      title: 'Meals delivered and missed each week',
      desc: `Bar chart. ${weeks.map((w, i) => `Week of ${labels[i]}: ${w.meals_delivered} delivered, ${w.meals_missed} missed.`).join(' ')}`,
      labels,
      series: [
        { name: 'Delivered', colour: DELIVERED, values: delivered },
        { name: 'Missed', colour: MISSED, values: missedMeals },
      ],
    }),
    [['square', DELIVERED, 'Delivered'], ['square', MISSED, 'Missed']],
    table('Meals and cooks each week', ['Week starting', 'Delivered', 'Missed', 'New cooks', 'Diners waiting', 'Continuity'],
      weeks.map((w) => [fmtDate(w.week_start), String(w.meals_delivered), String(w.meals_missed), String(w.new_cooks),
        String(w.waiting_diners), pct(w.continuity_rate)])));
  const known = weeks.filter((w) => w.continuity_rate !== null);
  const continuity = figure('continuity-title', 'Continuity each week',
    known.length
      ? `The share of delivered meals brought by the diner’s regular cook. This week: ${pct(last.continuity_rate)}.`
      : 'The share of delivered meals brought by the diner’s regular cook. No meals have been delivered in these weeks yet, so there is nothing to show.',
    lineChart({
      title: 'Continuity each week',
      desc: `Line chart, 0 to 100%. ${weeks.map((w, i) => `Week of ${labels[i]}: ${pct(w.continuity_rate)}.`).join(' ')}`,
      labels,
      values: weeks.map((w) => w.continuity_rate),
      colour: CONTINUITY,
    }),
    [['line', CONTINUITY, 'Meals brought by the regular cook (a gap means no meals that week)']],
    null);
  return [meals, continuity];
}

// ---------------------------------------------------------------- unmatched

const WHY = {
  no_cook_in_reach: ['no cook lives close enough', (d) => `Recruit cooks who live in ${d}`],
  no_shared_time: ['no nearby cook is free at the times they asked for', (d) => `Recruit cooks in ${d} who are free at other times`],
  no_cook_for_diet: ['no nearby cook can cook for their diet', (d) => `Recruit cooks in ${d} who cook for special diets`],
  no_cook_for_allergy: ['no nearby cook can cook free of their allergy', (d) => `Recruit cooks in ${d} who can keep allergens out`],
  no_cook_for_texture: ['no nearby cook can cook the texture they need', (d) => `Recruit cooks in ${d} who can cook soft or puréed food`],
  no_capacity: ['the nearby cooks have no room for another diner', (d) => `Ask cooks in ${d} to take one more, or recruit more`],
};

/** The waiting diners (the summary's one count) and, of them, those no cook is proposed to. */
function unmatchedSection(items, s) {
  const section = h('section', { 'aria-labelledby': 'unmatched-title' },
    h('h2', { class: 'govuk-heading-m', id: 'unmatched-title' }, 'Who is waiting, and why'));
  const waiting = s ? s.waiting_diners : items.reduce((a, i) => a + i.diners, 0);
  const invited = s ? s.waiting_diners_invited : 0;
  if (!waiting) {
    section.append(h('p', { class: 'govuk-body' }, 'Nobody is waiting for a cook.'));
    return section;
  }
  const asked = invited
    ? ` ${plural(invited, 'has', 'have')} been offered a cook who has not answered yet.`
    : '';
  section.append(h('p', { class: 'govuk-body' },
    `${plural(waiting, 'diner is', 'diners are')} waiting for a cook.${asked}`));
  if (!items.length) return section;
  const unproposed = items.reduce((a, i) => a + i.diners, 0);
  section.append(h('p', { class: 'govuk-body' },
    `${unproposed === waiting ? 'They have' : `${plural(unproposed, 'diner has', 'diners have')}`} no cook proposed yet. `
    + 'This shows where they live and why no cook fits: where to recruit cooks, and what kind.'));
  section.append(table('Waiting diners by postcode district', ['Where', 'Why they are waiting', 'What would help'],
    items.map((i) => {
      const [why, help] = WHY[i.reason] || [null, null];
      const who = `${plural(i.diners, 'diner')} in ${i.district}`;
      if (!i.reason) {
        return [h('strong', {}, who), 'a cook is available now',
          h('a', { class: 'govuk-link', href: '/staff/matching.html' }, 'Run matching', h('span', { class: 'govuk-visually-hidden' }, ` for ${i.district}`))];
      }
      return [h('strong', {}, who), why || String(i.reason).replaceAll('_', ' '), help ? `${help(i.district)}.` : 'Recruit cooks here.'];
    })));
  return section;
}

// ---------------------------------------------------------------- map

const norm = (text) => String(text || '').toLowerCase().replace(/\band\b/g, '').replace(/[^a-z]/g, '');

async function mapSection() {
  const section = h('section', { 'aria-labelledby': 'map-title', id: 'map' },
    h('h2', { class: 'govuk-heading-m', id: 'map-title' }, 'Where cooks and waiting diners are'));
  let geo;
  try {
    const res = await fetch('/data/boroughs.geojson', { credentials: 'same-origin' });
    geo = await res.json();
  } catch {
    section.append(h('p', { class: 'govuk-body' }, 'The map could not be loaded.'));
    return section;
  }
  let points = null;
  try {
    const m = await get('/api/staff/reports/map');
    const pos = (p) => [p.longitude ?? p.lon, p.latitude ?? p.lat];
    points = { cooks: (m.cooks || []).map(pos), diners: (m.waiting_diners || []).map(pos) };
  } catch (err) {
    if (!missing(err)) throw err;
  }
  let features = geo.features.filter((f) => norm(f.properties.lad_name) === norm(user.council));
  if (!features.length && points) {
    const inside = ([lon, lat], f) => {
      const ring = f.geometry.coordinates.flat(2);
      const lons = ring.map((p) => p[0]);
      const lats = ring.map((p) => p[1]);
      return lon >= Math.min(...lons) && lon <= Math.max(...lons) && lat >= Math.min(...lats) && lat <= Math.max(...lats);
    };
    features = geo.features.filter((f) => [...points.cooks, ...points.diners].some((p) => inside(p, f)));
  }
  if (!features.length) features = geo.features;
  const names = features.map((f) => f.properties.lad_name).join(', ');
  const pts = points || { cooks: [], diners: [] };
  const svg = boroughMap({
    title: `Map of ${names}`,
    desc: points
      ? `The outline of ${names}, with ${plural(pts.cooks.length, 'approved cook')} and ${plural(pts.diners.length, 'waiting diner')}, each placed to within about 100 metres.`
      : `The outline of ${names}.`,
    features,
    points: pts,
  });
  section.append(
    h('p', { class: 'govuk-body' }, points
      ? `${plural(pts.cooks.length, 'approved cook')} and ${plural(pts.diners.length, 'waiting diner')}. Each is placed to within about 100 metres, never at a door.`
      : 'Positions of cooks and diners are not available yet, so the map shows the borough outline only.'),
    h('div', { class: 'ep-chart-box ep-map-box' }, svg),
    points ? h('ul', { class: 'govuk-list ep-legend' },
      h('li', {}, swatch('circle', DELIVERED), ' An approved cook'),
      h('li', {}, swatch('diamond', MISSED), ' A diner waiting for a cook')) : null,
    h('p', { class: 'govuk-body-s' }, 'Borough boundaries: Source: Office for National Statistics licensed under the Open Government Licence v.3.0. Contains OS data © Crown copyright and database right 2024.'));
  return section;
}

// ---------------------------------------------------------------- downloads

function downloadsSection() {
  const link = (href, text) => h('li', {}, h('a', { class: 'govuk-link', href, download: '' }, text));
  return h('section', { 'aria-labelledby': 'downloads-title' },
    h('h2', { class: 'govuk-heading-m', id: 'downloads-title' }, 'Download the figures'),
    h('p', { class: 'govuk-body' }, 'Spreadsheet files (CSV) you can open in Excel, Numbers or LibreOffice.'),
    h('ul', { class: 'govuk-list' },
      link('/api/staff/reports/summary.csv', 'At a glance (CSV)'),
      link('/api/staff/reports/weekly.csv?weeks=12', 'Figures for each week (CSV)'),
      link('/api/staff/reports/unmatched.csv', 'Waiting diners by district (CSV)')));
}

// ---------------------------------------------------------------- page

const figures = get('/api/staff/reports/summary');
figures.catch(() => {}); // its error is shown by the summary's attempt
const [summary, weekly, unmatched, map] = await Promise.all([
  attempt(async () => summarySection(await figures), 'the summary figures'),
  attempt(async () => weeklySections((await get('/api/staff/reports/weekly?weeks=12')).items), 'the weekly figures'),
  attempt(async () => unmatchedSection((await get('/api/staff/reports/unmatched?limit=500')).items,
    await figures.catch(() => null)), 'the list of waiting diners'),
  mapSection(),
]);
content.replaceChildren(summary, ...[weekly].flat(), unmatched, map, downloadsSection());
