import { ApiError, get } from '../api.js';
import { h, requireRole } from '../ui.js';

const user = await requireRole('staff');
const content = document.getElementById('content');

async function count(path) {
  try {
    return (await get(path)).total;
  } catch (err) {
    if (err instanceof ApiError) return null;
    throw err;
  }
}
const [pending, waiting, concerns] = await Promise.all([
  count('/api/staff/cooks?status=pending&limit=1'),
  count('/api/staff/diners?status=waiting&limit=1'),
  count('/api/staff/concerns?status=open&limit=1'),
]);

const card = (title, number, text, href, linkText) => h('div', { class: 'govuk-grid-column-one-half' },
  h('div', { class: 'ep-card' },
    h('h2', { class: 'govuk-heading-m' }, title),
    number === null && title === 'Refer a diner'
      ? h('p', { class: 'govuk-body' }, text)
      : h('p', { class: 'govuk-body-l' }, h('strong', {}, number ?? '–'), ` ${text}`),
    h('p', { class: 'govuk-body' }, h('a', { class: 'govuk-link', href }, linkText))));

content.replaceChildren(
  h('p', { class: 'govuk-body' }, `Signed in as ${user.full_name}${user.council ? ` for ${user.council}` : ''}.`),
  h('div', { class: 'govuk-grid-row' },
    card('New cooks', pending, 'waiting for checks', '/staff/cooks.html?status=pending', 'Check new cooks'),
    card('Diners', waiting, 'waiting for a cook', '/staff/diners.html?status=waiting', 'See waiting diners'),
    card('Concerns', concerns, 'new, not looked at yet', '/staff/concerns.html?status=open', 'See new concerns'),
    card('Refer a diner', null, 'Register an older neighbour who has no carer', '/staff/refer.html', 'Refer a diner')),
  h('ul', { class: 'govuk-list' },
    h('li', {}, h('a', { class: 'govuk-link', href: '/staff/matching.html' }, 'Match all waiting diners at once')),
    h('li', {}, h('a', { class: 'govuk-link', href: '/staff/reports.html' }, 'Reports')),
    h('li', {}, h('a', { class: 'govuk-link', href: '/staff/audit.html' }, 'Audit log'))),
);
