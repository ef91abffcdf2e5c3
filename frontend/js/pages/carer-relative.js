import { ApiError, get, post } from '../api.js';
import {
  banner, fmtDate, fmtWhen, h, listOf, notYetMessage, params, requireRole, showApiError, tag,
  textArea, textField, whileBusy,
} from '../ui.js';
import { DINER_STATUS, MEAL_STATUS, WEEKDAYS, label } from '../vocab.js';

await requireRole('carer');
const content = document.getElementById('content');
const id = Number(params.get('id'));

const row = (key, value) => h('div', { class: 'govuk-summary-list__row' },
  h('dt', { class: 'govuk-summary-list__key' }, key), h('dd', { class: 'govuk-summary-list__value' }, value));

async function load(message) {
  let d;
  try {
    d = await get(`/api/diners/${id}`);
  } catch (err) {
    content.replaceChildren(h('h1', { class: 'govuk-heading-l' }, 'We could not find this person'),
      h('p', { class: 'govuk-body' }, h('a', { class: 'govuk-link', href: '/carer/' }, 'Go back to your relatives')));
    if (!(err instanceof ApiError)) throw err;
    return;
  }
  document.title = `${d.full_name} – Extra Portion`;
  const p = d.pairing;
  let cook;
  if (p && p.status === 'active' && p.cook) {
    cook = h('p', { class: 'govuk-body-l' }, `${d.full_name.split(' ')[0]}’s cook is `, h('strong', {}, p.cook.display_name || 'your cook'),
      `, who brings a meal ${fmtWhen(p.weekday, p.start, p.frequency)}.`);
  } else if (p && p.status === 'proposed') {
    cook = h('p', { class: 'govuk-body' }, 'We have found a cook and asked them. We will show their name here when they say yes.');
  } else if (d.status === 'left') {
    cook = h('p', { class: 'govuk-body' }, 'They have left Extra Portion.');
  } else {
    cook = h('p', { class: 'govuk-body' }, 'We are still looking for a cook who lives nearby and is free at the right times.');
  }
  const meals = d.upcoming_meals || [];
  content.replaceChildren(
    h('h1', { class: 'govuk-heading-l' }, d.full_name),
    h('p', { class: 'govuk-body' }, tag(DINER_STATUS, d.status)),
    h('h2', { class: 'govuk-heading-m' }, 'Their cook'), cook,
    h('h2', { class: 'govuk-heading-m' }, 'Upcoming meals'),
    meals.length
      ? h('ul', { class: 'govuk-list' }, meals.map((m) => h('li', {}, `${fmtDate(m.date)} at ${m.start} `, tag(MEAL_STATUS, m.status))))
      : h('p', { class: 'govuk-body' }, 'No meals planned yet.'),
    h('h2', { class: 'govuk-heading-m' }, 'Their details'),
    h('dl', { class: 'govuk-summary-list' },
      row('Address', `${d.address_line}, ${d.postcode}`),
      row('Diet', listOf(d.diets, 'No special diet')),
      row('Allergies', listOf(d.allergies, 'None')),
      row('Texture', label(d.texture)),
      row('Good times', d.availability.map((w) => `${WEEKDAYS[w.weekday]} ${w.start} to ${w.end}`).join('; ')),
      row('How often', label(d.frequency)),
      row('Getting in', d.access_notes || 'No notes')),
    d.status !== 'left' ? actions(d) : null,
  );
  if (message) banner(content, message, null, { success: true });
}

function actionForm(idPrefix, fields, buttonText, buttonClass, send) {
  const form = h('form', { novalidate: true }, ...fields,
    h('button', { type: 'submit', class: `govuk-button ${buttonClass}` }, buttonText));
  const result = h('div', { 'aria-live': 'polite' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await whileBusy(form.querySelector('button'), async () => {
      try {
        await load(await send(form));
      } catch (err) {
        if (err instanceof ApiError && err.notBuiltYet) result.replaceChildren(notYetMessage('this part'));
        else showApiError(form, err);
      }
    });
  });
  return [form, result];
}

function details(summary, ...children) {
  return h('details', { class: 'govuk-details' },
    h('summary', { class: 'govuk-details__summary' }, h('span', { class: 'govuk-details__summary-text' }, summary)),
    h('div', { class: 'govuk-details__text' }, ...children));
}

function actions(d) {
  const pause = actionForm('pause', [
    textField({ name: 'from', id: 'pause-from', text: 'First day without meals', type: 'date', width: 10 }),
    textField({ name: 'to', id: 'pause-to', text: 'Last day without meals', type: 'date', width: 10 }),
    textField({ name: 'reason', id: 'pause-reason', text: 'Reason (optional)', hint: 'For example ‘in hospital’ or ‘visiting family’.' }),
  ], 'Pause meals', 'govuk-button--secondary', async (form) => {
    const body = { from: form.elements.from.value, to: form.elements.to.value };
    const reason = form.elements.reason.value.trim();
    if (reason) body.reason = reason;
    await post(`/api/diners/${d.id}/pause`, body);
    return 'Meals are paused for those dates.';
  });
  const change = actionForm('change', [
    textArea({ name: 'reason', id: 'change-reason', text: 'Why would you like a different cook?', hint: 'The council reads this. Your relative will not be matched with this cook again.' }),
  ], 'Ask for a different cook', 'govuk-button--secondary', async (form) => {
    await post(`/api/diners/${d.id}/change-request`, { reason: form.elements.reason.value.trim() });
    return 'We will look for a different cook.';
  });
  const leave = actionForm('leave', [
    textArea({ name: 'reason', id: 'leave-reason', text: 'Why are they leaving?' }),
  ], 'Stop their meals for good', 'govuk-button--warning', async (form) => {
    await post(`/api/diners/${d.id}/leave`, { reason: form.elements.reason.value.trim() });
    return 'They have left Extra Portion. Thank you.';
  });
  return h('section', { 'aria-labelledby': 'changes-title' },
    h('h2', { class: 'govuk-heading-m', id: 'changes-title' }, 'Make a change'),
    details('Pause meals for a while', ...pause),
    d.pairing && d.pairing.status === 'active' ? details('Ask for a different cook', ...change) : null,
    details('Stop meals for good', ...leave));
}

await load();
