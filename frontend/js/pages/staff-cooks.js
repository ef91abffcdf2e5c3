import { get } from '../api.js';
import { fmtDateTime, h, params, requireRole, tag } from '../ui.js';
import { COOK_STATUS } from '../vocab.js';
import { statusFilter, table } from './staff-common.js';

await requireRole('staff');
const content = document.getElementById('content');
const status = COOK_STATUS[params.get('status')] ? params.get('status') : 'pending';
const { items, total } = await get(`/api/staff/cooks?status=${status}&limit=200`);

content.replaceChildren(
  statusFilter(Object.entries(COOK_STATUS).map(([code, [text]]) => [code, text]), status, '/staff/cooks.html'),
  items.length
    ? table(`${total} ${COOK_STATUS[status][0].toLowerCase()}`, ['Name', 'Area', 'Signed up', 'Status', ''],
      items.map((c) => [c.display_name, `${c.postcode_district}${c.neighbourhood ? ` (${c.neighbourhood})` : ''}`,
        fmtDateTime(c.created_at), tag(COOK_STATUS, c.status),
        h('a', { class: 'govuk-link', href: `/staff/cook.html?id=${c.id}` }, 'Open', h('span', { class: 'govuk-visually-hidden' }, ` ${c.display_name}`))]))
    : h('p', { class: 'govuk-body' }, 'There are no cooks with this status.'),
);
