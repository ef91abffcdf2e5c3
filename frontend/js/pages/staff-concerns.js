import { get } from '../api.js';
import { fmtDateTime, h, params, requireRole, showProblem, tag } from '../ui.js';
import { CONCERN_KIND, CONCERN_STATUS } from '../vocab.js';
import { statusFilter, table } from './staff-common.js';

await requireRole('staff');
const content = document.getElementById('content');
const status = CONCERN_STATUS[params.get('status')] ? params.get('status') : 'open';

try {
  const { items, total } = await get(`/api/staff/concerns?status=${status}&limit=200`);
  // Serious ones first, then oldest first: the longest-waiting serious concern is at the top.
  items.sort((a, b) => (b.serious - a.serious) || a.created_at.localeCompare(b.created_at));
  content.replaceChildren(
    statusFilter(Object.entries(CONCERN_STATUS).map(([code, [text]]) => [code, text]), status, '/staff/concerns.html'),
    items.length
      ? table(`${total} ${CONCERN_STATUS[status][0].toLowerCase()}`, ['Raised', 'About', 'What', 'Raised by', 'Status', ''],
        items.map((c) => [
          fmtDateTime(c.created_at),
          `Diner #${c.diner_id}`,
          h('span', {}, c.serious ? h('strong', { class: 'govuk-tag govuk-tag--red' }, 'Serious') : null, c.serious ? ' ' : '',
            CONCERN_KIND[c.kind] || c.kind),
          c.raised_by_role === 'cook' ? 'Their cook' : c.raised_by_role === 'carer' ? 'Their carer' : c.raised_by_role,
          tag(CONCERN_STATUS, c.status),
          h('a', { class: 'govuk-link', href: `/staff/concern.html?id=${c.id}` }, 'Open',
            h('span', { class: 'govuk-visually-hidden' }, ` concern ${c.id} about diner ${c.diner_id}`)),
        ]))
      : h('p', { class: 'govuk-body' }, 'There are no concerns with this status.'),
  );
} catch (err) {
  showProblem(content, err);
}
