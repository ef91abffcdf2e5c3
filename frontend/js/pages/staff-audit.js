import { ApiError, get } from '../api.js';
import { fmtDateTime, h, notYetMessage, requireRole } from '../ui.js';
import { table } from './staff-common.js';

await requireRole('staff');
const content = document.getElementById('content');
try {
  const { items, total } = await get('/api/staff/audit?limit=100');
  content.replaceChildren(items.length
    ? table(`The latest ${items.length} of ${total} entries`, ['When', 'Who (account)', 'What', 'About'],
      items.map((a) => [fmtDateTime(a.at), a.actor_id ? `#${a.actor_id}` : 'System', a.action.replaceAll('_', ' ').replaceAll('.', ': '),
        `${a.subject_type} #${a.subject_id}`]))
    : h('p', { class: 'govuk-body' }, 'Nothing recorded yet.'));
} catch (err) {
  if (err instanceof ApiError && (err.notBuiltYet || err.status === 404)) content.replaceChildren(notYetMessage('the audit log'));
  else throw err;
}
