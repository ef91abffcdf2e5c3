// The form that registers a diner: used by carers (their relative) and by staff (a referral).

import { post } from './api.js';
import {
  availabilityGrid, checkRequired, checkboxes, checkedValues, fieldValue, h, radioValue, radios,
  readAvailability, showApiError, steps, textArea, textField, whileBusy,
} from './ui.js';
import { ALLERGENS, DIETS, FREQUENCIES, TEXTURES } from './vocab.js';

/** Fill `form` with the steps, and send it to `path`; `onCreated(diner)` runs on success. */
export function dinerForm(form, { path, onCreated, consentText, consentError, submitText, aboutTitle = 'About your relative' }) {
  const step = (title, attrs, ...children) => h('section', { 'data-step': '', ...attrs },
    h('p', { class: 'ep-steps' }), h('h2', { class: 'govuk-heading-m' }, title), ...children);

  form.append(
    step(aboutTitle, {},
      textField({ name: 'full_name', text: 'Their full name', autocomplete: 'off', spellcheck: false }),
      textField({ name: 'address_line', text: 'Their address', autocomplete: 'off', hint: 'House number and street. Only their cook and the council will see it.' }),
      textField({ name: 'postcode', text: 'Their postcode', autocomplete: 'off', width: 10, spellcheck: false }),
      textField({ name: 'phone', text: 'Their phone number (optional)', type: 'tel', autocomplete: 'off', width: 20 })),
    step('What they can eat', {},
      checkboxes({ name: 'diets', legend: 'Do they follow a diet?', hint: 'Tick all that apply. Leave blank if none.', options: DIETS }),
      checkboxes({ name: 'allergies', legend: 'Are they allergic to any of these?',
        hint: 'Tick every one. We only match cooks who can keep all of them out of the meal.', options: ALLERGENS }),
      radios({ name: 'texture', legend: 'What texture of food do they need?', options: TEXTURES, checked: 'regular',
        hint: 'If a speech and language therapist gave them an IDDSI level, choose it here.' })),
    step('When they would like a meal', {},
      availabilityGrid({ legend: 'When could they have a meal brought round?',
        hint: 'Tick each day that suits them, then choose the times. Allow at least 30 minutes.' }),
      radios({ name: 'frequency', legend: 'How often would they like a meal?', options: FREQUENCIES, checked: 'weekly' })),
    step('Getting in, and their agreement', { 'data-submit': submitText },
      textArea({ name: 'access_notes', text: 'How should the cook get in? (optional)',
        hint: 'For example ‘key safe by the door’ or ‘knock loudly, she is hard of hearing’. Only their cook will see this.' }),
      h('div', { class: 'govuk-form-group', 'data-field': 'consent', 'data-label': 'Agreement' },
        h('fieldset', { class: 'govuk-fieldset' },
          h('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s' }, 'Their agreement'),
          h('div', { class: 'govuk-checkboxes', 'data-module': 'govuk-checkboxes' },
            h('div', { class: 'govuk-checkboxes__item' },
              h('input', { class: 'govuk-checkboxes__input', id: 'f-consent', name: 'consent', type: 'checkbox', value: 'yes' }),
              h('label', { class: 'govuk-label govuk-checkboxes__label', for: 'f-consent' },
                consentText)))))),
  );

  const REQUIRED = [
    [['full_name', 'Enter their full name'], ['address_line', 'Enter their address'], ['postcode', 'Enter their postcode']],
    [],
    [['availability', 'Tick at least one day that suits them']],
    [['consent', consentError]],
  ];
  const stepper = steps(form, { validate: (i) => checkRequired(form, REQUIRED[i]) });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!checkRequired(form, REQUIRED[stepper.current])) return;
    const phone = fieldValue(form, 'phone');
    const notes = fieldValue(form, 'access_notes');
    const body = {
      full_name: fieldValue(form, 'full_name'),
      address_line: fieldValue(form, 'address_line'),
      postcode: fieldValue(form, 'postcode'),
      diets: checkedValues(form, 'diets'),
      allergies: checkedValues(form, 'allergies'),
      texture: radioValue(form, 'texture'),
      availability: readAvailability(form),
      frequency: radioValue(form, 'frequency'),
      consent: form.elements.consent.checked,
    };
    if (phone) body.phone = phone;
    if (notes) body.access_notes = notes;
    await whileBusy(form.querySelector('button[type=submit]'), async () => {
      try {
        const diner = await post(path, body);
        onCreated(diner);
      } catch (err) {
        stepper.revealFirst(showApiError(form, err));
      }
    });
  });
}
