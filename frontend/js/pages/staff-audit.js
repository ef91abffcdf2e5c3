import { get } from '../api.js';
import { fmtDateTime, h, params, requireRole, showProblem } from '../ui.js';
import { table } from './staff-common.js';

await requireRole('staff');
const content = document.getElementById('content');
const PER_PAGE = 25;
const page = Math.max(1, Number.parseInt(params.get('page'), 10) || 1);

const SUBJECT_PAGES = { cook: '/staff/cook.html', diner: '/staff/diner.html', concern: '/staff/concern.html' };

function what(action) {
  const text = action.replaceAll('_', ' ').replaceAll('.', ': ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function about(a) {
  const text = `${a.subject_type.replaceAll('_', ' ')} #${a.subject_id ?? '–'}`;
  const href = SUBJECT_PAGES[a.subject_type];
  return href && a.subject_id ? h('a', { class: 'govuk-link', href: `${href}?id=${a.subject_id}` }, text) : text;
}

function details(data) {
  const entries = Object.entries(data || {}).filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (!entries.length) return '';
  return h('ul', { class: 'govuk-list ep-audit-data' }, entries.map(([k, v]) => h('li', {},
    `${k.replaceAll('_', ' ')}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)));
}

function pagination(pages) {
  if (pages <= 1) return null;
  const link = (n, text, rel) => h('a', { class: 'govuk-link govuk-pagination__link', href: `?page=${n}`, rel }, text);
  const items = [];
  for (let n = 1; n <= pages; n += 1) {
    if (n !== 1 && n !== pages && Math.abs(n - page) > 1) {
      if (items.length && items[items.length - 1] !== '…') items.push('…');
      continue;
    }
    items.push(n);
  }
  return h('nav', { class: 'govuk-pagination', 'aria-label': 'Audit log pages' },
    page > 1 ? h('div', { class: 'govuk-pagination__prev' },
      h('a', { class: 'govuk-link govuk-pagination__link', href: `?page=${page - 1}`, rel: 'prev' },
        h('span', { class: 'govuk-pagination__link-title' }, 'Previous', h('span', { class: 'govuk-visually-hidden' }, ' page')))) : null,
    h('ul', { class: 'govuk-pagination__list' }, items.map((n) => (n === '…'
      ? h('li', { class: 'govuk-pagination__item govuk-pagination__item--ellipses' }, '⋯')
      : h('li', { class: `govuk-pagination__item${n === page ? ' govuk-pagination__item--current' : ''}` },
        h('a', { class: 'govuk-link govuk-pagination__link', href: `?page=${n}`, 'aria-label': `Page ${n}`, 'aria-current': n === page ? 'page' : null }, String(n)))))),
    page < pages ? h('div', { class: 'govuk-pagination__next' },
      link(page + 1, h('span', { class: 'govuk-pagination__link-title' }, 'Next', h('span', { class: 'govuk-visually-hidden' }, ' page')), 'next')) : null);
}

try {
  const { items, total } = await get(`/api/staff/audit?limit=${PER_PAGE}&offset=${(page - 1) * PER_PAGE}`);
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  const from = (page - 1) * PER_PAGE + 1;
  content.replaceChildren(...[
    items.length
      ? table(`Entries ${from} to ${from + items.length - 1} of ${total} (page ${page} of ${pages})`,
        ['When', 'Who (account)', 'What', 'About', 'Details'],
        items.map((a) => [fmtDateTime(a.at), a.actor_id ? `#${a.actor_id}` : 'The system', what(a.action), about(a), details(a.data)]))
      : h('p', { class: 'govuk-body' }, total ? 'There are no entries on this page. ' : 'Nothing recorded yet.',
        total ? h('a', { class: 'govuk-link', href: '?page=1' }, 'Go to the newest entries') : null),
    pagination(pages),
  ].filter(Boolean));
  if (page > 1) document.title = `Audit log, page ${page} – Extra Portion`;
} catch (err) {
  showProblem(content, err);
}
