import { ApiError, get, post } from '../api.js';
import {
  banner, checkRequired, clearErrors, fmtDateTime, h, params, radioValue, radios, requireRole,
  showApiError, showErrors, tag, textArea, whileBusy,
} from '../ui.js';
import { CONCERN_KIND, CONCERN_STATUS } from '../vocab.js';
import { row } from './staff-common.js';

await requireRole('staff');
const content = document.getElementById('content');
const id = Number(params.get('id'));

async function load(message) {
  document.getElementById('error-summary')?.remove(); // a stale summary from an earlier try
  let c;
  try {
    c = await get(`/api/staff/concerns/${id}`);
  } catch (err) {
    content.replaceChildren(h('p', { class: 'govuk-body' }, 'We could not find this concern. ',
      h('a', { class: 'govuk-link', href: '/staff/concerns.html' }, 'Go back to the concerns')));
    if (!(err instanceof ApiError)) throw err;
    return;
  }
  const raisedBy = { cook: 'Their cook', carer: 'Their carer' }[c.raised_by_role] || c.raised_by_role;
  content.replaceChildren(...[
    h('p', { class: 'govuk-body' }, h('a', { class: 'govuk-link', href: '/staff/concerns.html' }, 'All concerns')),
    h('p', { class: 'govuk-body' }, tag(CONCERN_STATUS, c.status), ' ',
      c.serious ? h('strong', { class: 'govuk-tag govuk-tag--red' }, 'Serious: meals are paused') : null),
    h('dl', { class: 'govuk-summary-list' },
      row('Reference', c.reference),
      row('Kind', CONCERN_KIND[c.kind] || c.kind),
      row('Raised', `${fmtDateTime(c.created_at)} by ${raisedBy.toLowerCase()}`),
      row('Diner', h('a', { class: 'govuk-link', href: `/staff/diner.html?id=${c.diner_id}` }, `Open diner #${c.diner_id}`)),
      row('Cook', c.cook_id ? h('a', { class: 'govuk-link', href: `/staff/cook.html?id=${c.cook_id}` }, `Open cook #${c.cook_id}`) : 'No cook at the time'),
      row('What they said', h('span', { class: 'ep-pre-wrap' }, c.description))),
    h('h2', { class: 'govuk-heading-m' }, 'Notes'),
    c.notes.length
      ? h('ol', { class: 'govuk-list ep-notes' }, c.notes.map((n) => h('li', {},
        h('p', { class: 'govuk-body-s govuk-!-margin-bottom-1' }, `${fmtDateTime(n.at)}, staff account #${n.staff_id}`),
        h('p', { class: 'govuk-body ep-pre-wrap' }, n.text))))
      : h('p', { class: 'govuk-body' }, 'No notes yet.'),
    triageForm(c),
  ].filter(Boolean));
  if (message) {
    banner(content, message, null, { success: true });
    content.querySelector('.govuk-notification-banner').focus();
  }
}

function triageForm(c) {
  const upheldOnly = h('div', { class: 'govuk-form-group', id: 'upheld-actions', 'data-field': 'exclude_pair', 'data-label': 'What happens next' },
    h('fieldset', { class: 'govuk-fieldset', 'aria-describedby': 'upheld-hint' },
      h('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s' }, 'If it is upheld: what happens next?'),
      h('div', { class: 'govuk-hint', id: 'upheld-hint' }, 'Only for an upheld concern. Both are recorded in the audit log.'),
      h('div', { class: 'govuk-checkboxes', 'data-module': 'govuk-checkboxes' },
        h('div', { class: 'govuk-checkboxes__item' },
          h('input', { class: 'govuk-checkboxes__input', id: 'f-exclude_pair', name: 'exclude_pair', type: 'checkbox', value: 'yes' }),
          h('label', { class: 'govuk-label govuk-checkboxes__label', for: 'f-exclude_pair' }, 'Never match this diner with this cook again')),
        h('div', { class: 'govuk-checkboxes__item' },
          h('input', { class: 'govuk-checkboxes__input', id: 'f-suspend_cook', name: 'suspend_cook', type: 'checkbox', value: 'yes' }),
          h('label', { class: 'govuk-label govuk-checkboxes__label', for: 'f-suspend_cook' }, 'Suspend the cook (all their meals stop)')))));
  const options = [
    ['investigating', 'Looking into it'],
    ['resolved', 'Resolved: nothing was wrong (paused meals start again)'],
    ['upheld', 'Upheld: something was wrong'],
  ];
  const form = h('form', { novalidate: true, id: 'triage-form' },
    radios({ name: 'status', legend: 'What is the status now?', legendSize: 's', options, checked: c.status === 'open' ? null : c.status }),
    upheldOnly,
    textArea({ name: 'note', id: 'triage-note', text: 'Note', rows: 4, hint: 'What you did or found. Other staff will read this.' }),
    h('button', { type: 'submit', class: 'govuk-button' }, 'Save'));
  const sync = () => upheldOnly.classList.toggle('ep-hidden', radioValue(form, 'status') !== 'upheld');
  form.addEventListener('change', sync);
  sync();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!checkRequired(form, [['status', 'Choose the status'], ['note', 'Write a note']])) return;
    const status = radioValue(form, 'status');
    const body = { status, note: form.elements.note.value.trim() };
    if (status === 'upheld') {
      body.exclude_pair = form.elements.exclude_pair.checked;
      body.suspend_cook = form.elements.suspend_cook.checked;
    }
    clearErrors(form);
    await whileBusy(form.querySelector('button[type=submit]'), async () => {
      try {
        await post(`/api/staff/concerns/${c.id}/triage`, body);
        await load(`Saved. The concern is now: ${CONCERN_STATUS[status][0].toLowerCase()}.`);
      } catch (err) {
        if (err instanceof ApiError && err.fieldErrors) showErrors(form, err.fieldErrors);
        else showApiError(form, err);
      }
    });
  });
  return h('section', { 'aria-labelledby': 'triage-title' },
    h('h2', { class: 'govuk-heading-m', id: 'triage-title' }, 'Update this concern'), form);
}

await load();
