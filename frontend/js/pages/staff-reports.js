import { ApiError, get } from '../api.js';
import { h, notYetMessage, requireRole } from '../ui.js';
import { row } from './staff-common.js';

await requireRole('staff');
const content = document.getElementById('content');
const SVG = 'http://www.w3.org/2000/svg';

/** A plain SVG bar; the number is in the text next to it, so the picture is decoration. */
function bar(value, max, colour) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 100 10');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const rect = document.createElementNS(SVG, 'rect');
  rect.setAttribute('width', String(max ? (100 * value) / max : 0));
  rect.setAttribute('height', '10');
  rect.setAttribute('fill', colour);
  svg.append(rect);
  return svg;
}

try {
  const s = await get('/api/staff/reports/summary');
  const counts = [
    ['Approved cooks', s.approved_cooks, '#0b5e57'],
    ['Cooks waiting for checks', s.pending_cooks, '#8a5a00'],
    ['Diners waiting', s.waiting_diners, '#8a5a00'],
    ['Active pairings', s.active_pairings, '#0b5e57'],
    ['Meals delivered', s.meals_delivered, '#0b5e57'],
    ['Meals missed', s.meals_missed, '#b3261e'],
  ];
  const max = Math.max(1, ...counts.map((c) => c[1] || 0));
  content.replaceChildren(
    h('h2', { class: 'govuk-heading-m' }, 'All time'),
    h('div', {}, counts.map(([text, value, colour]) => h('div', { class: 'ep-bar' },
      h('span', { class: 'govuk-body ep-bar__label govuk-!-margin-bottom-0' }, `${text}: `, h('strong', {}, String(value ?? 0))),
      bar(value || 0, max, colour)))),
    h('h2', { class: 'govuk-heading-m' }, 'Keeping relationships going'),
    h('dl', { class: 'govuk-summary-list' },
      row('Continuity rate', s.continuity_rate === null ? 'Not enough meals yet'
        : `${Math.round(s.continuity_rate * 100)}% of delivered meals were brought by the diner’s regular cook`),
      row('Median pairing length', s.median_pairing_days === null ? 'Not enough pairings yet' : `${s.median_pairing_days} days`)),
  );
} catch (err) {
  if (err instanceof ApiError && (err.notBuiltYet || err.status === 404)) content.replaceChildren(notYetMessage('the reports'));
  else throw err;
}
