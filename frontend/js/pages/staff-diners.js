import { get } from '../api.js';
import { fmtDateTime, h, listOf, params, requireRole, tag } from '../ui.js';
import { DINER_STATUS, label } from '../vocab.js';
import { statusFilter, table } from './staff-common.js';

await requireRole('staff');
const content = document.getElementById('content');
const status = DINER_STATUS[params.get('status')] ? params.get('status') : 'waiting';
const { items, total } = await get(`/api/staff/diners?status=${status}&limit=200`);

content.replaceChildren(
  h('p', { class: 'govuk-body' }, h('a', { class: 'govuk-button govuk-button--secondary govuk-!-margin-bottom-0', role: 'button', href: '/staff/refer.html', 'data-module': 'govuk-button' }, 'Refer a diner')),
  statusFilter(Object.entries(DINER_STATUS).map(([code, [text]]) => [code, text]), status, '/staff/diners.html'),
  items.length
    ? table(`${total} ${DINER_STATUS[status][0].toLowerCase()}`, ['Name', 'Area', 'Needs', 'Registered', 'Status', ''],
      items.map((d) => [d.full_name, `${d.postcode}${d.neighbourhood ? ` (${d.neighbourhood})` : ''}`,
        `${listOf(d.diets, 'Any diet')}; free from: ${listOf(d.allergies, 'nothing')}; ${label(d.texture).toLowerCase()}`,
        fmtDateTime(d.created_at), tag(DINER_STATUS, d.status),
        h('a', { class: 'govuk-link', href: `/staff/diner.html?id=${d.id}` }, 'Open', h('span', { class: 'govuk-visually-hidden' }, ` ${d.full_name}`))]))
    : h('p', { class: 'govuk-body' }, 'There are no diners with this status.'),
);
