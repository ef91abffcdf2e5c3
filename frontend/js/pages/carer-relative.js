import { ApiError, get, post } from '../api.js';
import {
  banner, checkRequired, fmtDate, fmtWhen, h, listOf, notYetMessage, params, radios, radioValue,
  requireRole, showApiError, tag, textArea, textField, whileBusy,
} from '../ui.js';
import { DINER_STATUS, MEAL_STATUS, WEEKDAYS, label } from '../vocab.js';
import { confirmStep, coordinatorSection } from '../account.js';

await requireRole('carer');
const content = document.getElementById('content');
const id = Number(params.get('id'));

const row = (key, value) => h('div', { class: 'govuk-summary-list__row' },
  h('dt', { class: 'govuk-summary-list__key' }, key), h('dd', { class: 'govuk-summary-list__value' }, value));

async function load(message) {
  document.getElementById('error-summary')?.remove(); // a stale summary from an earlier try
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
  const first = d.full_name.split(' ')[0];
  const delivered = meals.filter((m) => m.status === 'delivered');
  content.replaceChildren(...[
    h('h1', { class: 'govuk-heading-l' }, d.full_name),
    h('p', { class: 'govuk-body' }, tag(DINER_STATUS, d.status)),
    h('h2', { class: 'govuk-heading-m' }, 'Their cook'), cook,
    h('h2', { class: 'govuk-heading-m' }, 'Upcoming meals'),
    meals.length
      ? h('ul', { class: 'govuk-list' }, meals.map((m) => h('li', {}, `${fmtDate(m.date)} at ${m.start} `, tag(MEAL_STATUS, m.status))))
      : h('p', { class: 'govuk-body' }, 'No meals planned yet.'),
    delivered.length ? feedbackSection(delivered, first) : null,
    p && p.status === 'active' && p.cook ? friendSection(d, first, p.cook.display_name) : null,
    h('h2', { class: 'govuk-heading-m' }, 'Their details'),
    h('dl', { class: 'govuk-summary-list' },
      row('Address', `${d.address_line}, ${d.postcode}`),
      row('Diet', listOf(d.diets, 'No special diet')),
      row('Allergies', listOf(d.allergies, 'None')),
      row('Texture', label(d.texture)),
      row('Good times', d.availability.map((w) => `${WEEKDAYS[w.weekday]} ${w.start} to ${w.end}`).join('; ')),
      row('How often', label(d.frequency)),
      row('Getting in', d.access_notes || 'No notes')),
    d.status !== 'left' ? concernSection(d, first) : null,
    d.status !== 'left' ? actions(d) : null,
    await coordinatorSection(),
  ].filter(Boolean));
  if (message) {
    banner(content, message, null, { success: true });
    content.querySelector('.govuk-notification-banner').focus();
  }
}

const INCOMPLETE = new Error('incomplete');

function actionForm(idPrefix, fields, buttonText, buttonClass, send, confirm) {
  const form = h('form', { novalidate: true, id: `${idPrefix}-form` }, ...fields,
    h('button', { type: 'submit', class: `govuk-button ${buttonClass}` }, buttonText));
  const result = h('div', { 'aria-live': 'polite' });
  const run = async () => {
    try {
      await load(await send(form));
    } catch (err) {
      if (err === INCOMPLETE) return; // the form already says what is missing
      if (err instanceof ApiError && err.notBuiltYet) result.replaceChildren(notYetMessage('this part'));
      else showApiError(form, err);
    }
  };
  if (confirm) {
    confirmStep(form, { ...confirm, onConfirm: run });
  } else {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      await whileBusy(form.querySelector('button'), run);
    });
  }
  return [form, result];
}

function feedbackSection(delivered, first) {
  const section = h('section', { 'aria-labelledby': 'feedback-title' },
    h('h2', { class: 'govuk-heading-m', id: 'feedback-title' }, 'How was the meal?'));
  for (const m of delivered) {
    const [form, result] = actionForm(`feedback-${m.id}`, [
      radios({ name: 'rating', legend: `How did ${first} like the meal on ${fmtDate(m.date)}?`, legendSize: 's',
        options: [['5', '5 – loved it'], ['4', '4 – liked it'], ['3', '3 – it was fine'], ['2', '2 – did not like it much'], ['1', '1 – did not like it']] }),
      textArea({ name: 'comment', id: `feedback-${m.id}-comment`, text: 'Anything you would like to tell the cook? (optional)', rows: 2 }),
    ], 'Send rating', 'govuk-button--secondary', async (f) => {
      if (!checkRequired(f, [['rating', 'Choose how much they liked the meal']])) throw INCOMPLETE;
      const body = { rating: Number(radioValue(f, 'rating')) };
      const comment = f.elements.comment.value.trim();
      if (comment) body.comment = comment;
      await post(`/api/meals/${m.id}/feedback`, body);
      return 'Thank you for rating the meal.';
    });
    // Radio ids must differ per meal.
    form.querySelectorAll('input[name=rating]').forEach((input) => {
      const label = form.querySelector(`label[for="${input.id}"]`);
      input.id = `${input.id}-${m.id}`;
      label.setAttribute('for', input.id);
    });
    section.append(form, result);
  }
  return section;
}

function friendSection(d, first, cookName) {
  const [form, result] = actionForm('friend', [
    radios({ name: 'considers_friend', legend: `Does ${first} consider ${cookName} a friend?`, legendSize: 's', inline: true,
      hint: 'This helps the council see whether Extra Portion brings neighbours together. Ask them if you can.',
      options: [['yes', 'Yes'], ['no', 'No, not yet']] }),
  ], 'Send answer', 'govuk-button--secondary', async (f) => {
    if (!checkRequired(f, [['considers_friend', 'Choose yes or no']])) throw INCOMPLETE;
    await post(`/api/diners/${d.id}/outcome`, { considers_friend: radioValue(f, 'considers_friend') === 'yes' });
    return 'Thank you for your answer.';
  });
  return h('section', { 'aria-labelledby': 'friend-title' },
    h('h2', { class: 'govuk-heading-m', id: 'friend-title' }, 'Their cook and them'), form, result);
}

function concernSection(d, first) {
  const [form, result] = actionForm('concern', [
    radios({ name: 'kind', legend: 'What is it about?', legendSize: 's', options: [
      ['welfare', `${first}’s health or wellbeing`],
      ['safeguarding', `${first}’s safety, or the way someone treats them`]] }),
    h('div', { class: 'govuk-form-group', 'data-field': 'serious', 'data-label': 'Urgency' },
      h('div', { class: 'govuk-checkboxes', 'data-module': 'govuk-checkboxes' },
        h('div', { class: 'govuk-checkboxes__item' },
          h('input', { class: 'govuk-checkboxes__input', id: 'f-serious', name: 'serious', type: 'checkbox', value: 'yes', 'aria-describedby': 'f-serious-hint' }),
          h('label', { class: 'govuk-label govuk-checkboxes__label', for: 'f-serious' }, 'This is serious'),
          h('div', { class: 'govuk-hint govuk-checkboxes__hint', id: 'f-serious-hint' }, 'Meals with their cook stop until the council has looked into it.')))),
    textArea({ name: 'description', id: 'concern-description', text: 'What happened?', rows: 4,
      hint: 'Say what you saw or heard, and when. The council’s staff read this, not the cook.' }),
  ], 'Tell the council', 'govuk-button--secondary', async (f) => {
    if (!checkRequired(f, [['kind', 'Choose what the concern is about'], ['description', 'Say what happened']])) throw INCOMPLETE;
    await post('/api/concerns', {
      diner_id: d.id, kind: radioValue(f, 'kind'), serious: f.elements.serious.checked,
      description: f.elements.description.value.trim(),
    });
    return 'Thank you. The council has your concern and will contact you.';
  });
  return h('section', { 'aria-labelledby': 'concern-title' },
    h('h2', { class: 'govuk-heading-m', id: 'concern-title' }, 'Worried about something?'),
    h('div', { class: 'govuk-warning-text' },
      h('span', { class: 'govuk-warning-text__icon', 'aria-hidden': 'true' }, '!'),
      h('strong', { class: 'govuk-warning-text__text' }, h('span', { class: 'govuk-visually-hidden' }, 'Warning: '),
        'If someone is in danger now, call 999.')),
    details('Raise a concern with the council', form, result));
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
  }, {
    question: `Are you sure you want a different cook for ${d.full_name.split(' ')[0]}?`,
    confirmText: `Their meals with ${d.pairing?.cook?.display_name || 'this cook'} will stop, and they will not be matched with this cook again. The council will look for someone new.`,
    confirmLabel: 'Yes, ask for a different cook',
    check: () => checkRequired(change[0], [['reason', 'Tell us why you would like a different cook']]),
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
