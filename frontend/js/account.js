// Pieces every signed-in cook and carer sees: their coordinator, and a copy of their data.

import { ApiError, get } from './api.js';
import { h } from './ui.js';

/** "Your coordinator": the single point of contact for the person's neighbourhood(s). */
export async function coordinatorSection() {
  const section = h('section', { 'aria-labelledby': 'coordinator-title', class: 'ep-card ep-card--contact', id: 'coordinator' },
    h('h2', { class: 'govuk-heading-m', id: 'coordinator-title' }, 'Your coordinator'));
  let people = [];
  try {
    people = await get('/api/me/coordinators');
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    people = null;
  }
  if (!people || !people.length) {
    section.append(h('p', { class: 'govuk-body' },
      'Your neighbourhood does not have a coordinator yet. The council will tell you who to contact.'));
    return section;
  }
  section.append(h('p', { class: 'govuk-body' },
    'If anything worries you, or you have a question, contact your neighbourhood coordinator.'));
  for (const c of people) {
    section.append(h('dl', { class: 'govuk-summary-list govuk-summary-list--no-border ep-contact' },
      contactRow('Name', `${c.name} (${c.neighbourhood})`),
      contactRow('Email', h('a', { class: 'govuk-link', href: `mailto:${c.email}` }, c.email)),
      c.phone ? contactRow('Phone', h('a', { class: 'govuk-link', href: `tel:${c.phone.replace(/\s+/g, '')}` }, c.phone)) : null));
  }
  return section;
}

const contactRow = (key, value) => h('div', { class: 'govuk-summary-list__row' },
  h('dt', { class: 'govuk-summary-list__key' }, key), h('dd', { class: 'govuk-summary-list__value' }, value));

/** "Your data": a download of everything we hold about the person. */
export function myDataSection() {
  return h('section', { 'aria-labelledby': 'data-title' },
    h('h2', { class: 'govuk-heading-m', id: 'data-title' }, 'Your data'),
    h('p', { class: 'govuk-body' }, 'You can download a copy of everything we hold about you. It is a file you can open with most computers.'),
    h('p', { class: 'govuk-body' }, h('a', {
      class: 'govuk-link', href: '/api/me/export', download: 'extra-portion-my-data.json',
    }, 'Download my data')));
}

/**
 * A form that asks "Are you sure?" before it does something that cannot be undone.
 * `confirmText` explains what will happen; `run()` does it. The first press of the submit
 * button shows the question and a second button; pressing that runs the action.
 */
export function confirmStep(form, { question, confirmText, confirmLabel, onConfirm, check = () => true }) {
  const box = h('div', { class: 'govuk-warning-text ep-confirm ep-hidden', tabindex: '-1' },
    h('span', { class: 'govuk-warning-text__icon', 'aria-hidden': 'true' }, '!'),
    h('div', { class: 'govuk-warning-text__text' },
      h('span', { class: 'govuk-visually-hidden' }, 'Warning: '),
      h('strong', {}, question), h('br'), h('span', { class: 'ep-confirm__text' }, confirmText)));
  const yes = h('button', { type: 'button', class: 'govuk-button govuk-button--warning' }, confirmLabel);
  const no = h('button', { type: 'button', class: 'govuk-button govuk-button--secondary' }, 'No, go back');
  const buttons = h('div', { class: 'govuk-button-group ep-hidden' }, yes, no);
  const submit = form.querySelector('button[type=submit]');
  submit.after(box, buttons);
  const hide = () => {
    box.classList.add('ep-hidden');
    buttons.classList.add('ep-hidden');
    submit.classList.remove('ep-hidden');
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!check()) return;
    submit.classList.add('ep-hidden');
    box.classList.remove('ep-hidden');
    buttons.classList.remove('ep-hidden');
    box.focus();
  });
  no.addEventListener('click', () => { hide(); submit.focus(); });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      await onConfirm();
    } finally {
      yes.disabled = false;
      if (yes.isConnected) hide();
    }
  });
  return { hide };
}
