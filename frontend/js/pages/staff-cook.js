import { ApiError, get, post } from '../api.js';
import {
  banner, fieldValue, fmtDate, fmtDistance, h, listOf, params, radioValue, radios,
  requireRole, showApiError, tag, textArea, textField, todayIso, whileBusy,
} from '../ui.js';
import { COOK_STATUS, DBS_LEVELS, WEEKDAYS, label } from '../vocab.js';
import { row } from './staff-common.js';

await requireRole('staff');
const content = document.getElementById('content');
const id = Number(params.get('id'));

async function load(message) {
  let c;
  try {
    c = await get(`/api/staff/cooks/${id}`);
  } catch (err) {
    content.replaceChildren(h('h1', { class: 'govuk-heading-l' }, 'We could not find this cook'));
    if (!(err instanceof ApiError)) throw err;
    return;
  }
  document.title = `${c.display_name} – Extra Portion`;
  content.replaceChildren(
    h('h1', { class: 'govuk-heading-l' }, c.display_name),
    h('p', { class: 'govuk-body' }, tag(COOK_STATUS, c.status), c.status_reason ? ` Reason: ${c.status_reason}` : ''),
    h('dl', { class: 'govuk-summary-list' },
      row('Address', `${c.address_line}, ${c.postcode}`),
      row('Phone', c.phone),
      row('Neighbourhood', c.neighbourhood || 'None'),
      row('Walks up to', fmtDistance(c.effective_radius_m)),
      row('Cooks for up to', String(c.max_diners)),
      row('How often', listOf(c.frequencies)),
      row('Free', c.availability.map((w) => `${WEEKDAYS[w.weekday]} ${w.start} to ${w.end}`).join('; ')),
      row('Diets', listOf(c.diets)),
      row('Allergen-free', listOf(c.allergen_free)),
      row('Textures', listOf(c.textures)),
      row('DBS check', c.dbs_checked_on ? `${label(c.dbs_level)}, ${fmtDate(c.dbs_checked_on)}` : 'Not recorded'),
      row('Checks valid until', c.checks_expire_on ? fmtDate(c.checks_expire_on) : 'Not recorded')),
    ...forms(c),
  );
  if (message) banner(content, message, null, { success: true });
}

function boolBox(name, text, legend) {
  return h('div', { class: 'govuk-form-group', 'data-field': name, 'data-label': legend },
    h('div', { class: 'govuk-checkboxes', 'data-module': 'govuk-checkboxes' },
      h('div', { class: 'govuk-checkboxes__item' },
        h('input', { class: 'govuk-checkboxes__input', id: `f-${name}`, name, type: 'checkbox', value: 'yes' }),
        h('label', { class: 'govuk-label govuk-checkboxes__label', for: `f-${name}` }, text))));
}

function reasonForm(action, title, buttonClass, done) {
  const form = h('form', { novalidate: true, id: `${action}-form` },
    h('h2', { class: 'govuk-heading-m' }, title),
    textArea({ name: 'reason', id: `${action}-reason`, text: 'Reason', hint: 'The cook will see this.' }),
    h('button', { type: 'submit', class: `govuk-button ${buttonClass}` }, title));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await whileBusy(form.querySelector('button'), async () => {
      try {
        await post(`/api/staff/cooks/${id}/${action}`, { reason: form.elements.reason.value.trim() });
        await load(done);
      } catch (err) {
        showApiError(form, err);
      }
    });
  });
  return form;
}

function approveForm() {
  const form = h('form', { novalidate: true, id: 'approve-form' },
    h('h2', { class: 'govuk-heading-m' }, 'Record the checks and approve'),
    textField({ name: 'dbs_checked_on', text: 'Date on the DBS certificate', type: 'date', width: 10, value: '' }),
    radios({ name: 'dbs_level', legend: 'Level of the DBS check', options: DBS_LEVELS, checked: 'enhanced' }),
    h('fieldset', { class: 'govuk-fieldset' },
      h('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s' }, 'What you have checked'),
      boolBox('id_checked', 'I have seen proof of their identity', 'Identity'),
      boolBox('hygiene_ack', 'They have read the food hygiene guidance and agreed to follow it', 'Food hygiene')),
    textArea({ name: 'note', id: 'approve-note', text: 'Note (optional)' }),
    h('button', { type: 'submit', class: 'govuk-button' }, 'Approve this cook'));
  form.elements.dbs_checked_on.max = todayIso();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      dbs_checked_on: fieldValue(form, 'dbs_checked_on') || null,
      dbs_level: radioValue(form, 'dbs_level') || null,
      id_checked: form.elements.id_checked.checked,
      hygiene_ack: form.elements.hygiene_ack.checked,
    };
    const note = form.elements.note.value.trim();
    if (note) body.note = note;
    await whileBusy(form.querySelector('button'), async () => {
      try {
        await post(`/api/staff/cooks/${id}/approve`, body);
        await load('The cook is approved and can now be matched.');
      } catch (err) {
        showApiError(form, err);
      }
    });
  });
  return form;
}

function forms(c) {
  const out = [];
  if (c.status === 'pending') {
    out.push(approveForm(), reasonForm('reject', 'Do not approve', 'govuk-button--warning', 'The cook was not approved.'));
  } else if (c.status === 'approved') {
    out.push(approveForm(), reasonForm('suspend', 'Suspend this cook', 'govuk-button--warning', 'The cook is suspended.'));
  } else if (c.status === 'suspended' || c.status === 'rejected') {
    out.push(reasonForm('reinstate', 'Reinstate this cook', 'govuk-button--secondary', 'The cook is reinstated.'));
  }
  return out;
}

await load();
