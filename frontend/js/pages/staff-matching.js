import { post } from '../api.js';
import { fmtWhen, h, requireRole, showProblem, whileBusy } from '../ui.js';
import { UNMATCHED_REASONS } from '../vocab.js';
import { table } from './staff-common.js';

await requireRole('staff');
const content = document.getElementById('content');
const result = h('div', { id: 'result', tabindex: '-1' });
const button = h('button', { type: 'button', class: 'govuk-button', 'data-module': 'govuk-button' }, 'Match all waiting diners');
content.append(button, result);

button.addEventListener('click', () => whileBusy(button, async () => {
  try {
    const out = await post('/api/staff/matching/run');
    const link = (dinerId, text) => h('a', { class: 'govuk-link', href: `/staff/diner.html?id=${dinerId}` }, text);
    result.replaceChildren(
      h('h2', { class: 'govuk-heading-m' }, `${out.proposed.length} invitation${out.proposed.length === 1 ? '' : 's'} sent`),
      out.proposed.length
        ? table('Cooks invited', ['Diner', 'Cook', 'When', 'Distance'], out.proposed.map((p) => [
          link(p.diner_id, p.diner.first_name), p.cook.display_name, fmtWhen(p.weekday, p.start, p.frequency), `${p.diner.distance_m} m`]))
        : h('p', { class: 'govuk-body' }, 'No new invitations.'),
      h('h2', { class: 'govuk-heading-m' }, `${out.unmatched.length} diner${out.unmatched.length === 1 ? '' : 's'} could not be matched`),
      out.unmatched.length
        ? table('Why they could not be matched', ['Diner', 'Why'], out.unmatched.map((u) => [
          link(u.diner_id, u.first_name || `Diner ${u.diner_id}`), UNMATCHED_REASONS[u.reason] || u.reason]))
        : h('p', { class: 'govuk-body' }, 'Everyone waiting has been matched.'),
    );
    result.focus();
  } catch (err) {
    showProblem(content, err);
  }
}));
