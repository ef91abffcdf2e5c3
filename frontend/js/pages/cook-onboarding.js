import { ApiError, get, put } from '../api.js';
import {
  availabilityGrid, checkRequired, checkboxes, checkedValues, fieldValue, h, radioValue, radios,
  readAvailability, requireRole, showApiError, steps, textField, whileBusy,
} from '../ui.js';
import { ALLERGENS, DIETS, FREQUENCIES, TEXTURES } from '../vocab.js';

await requireRole('cook');
const form = document.getElementById('onboarding-form');

let existing = null;
try {
  existing = await get('/api/cooks/me');
} catch (err) {
  if (!(err instanceof ApiError && err.status === 404)) throw err;
}

const RADII = [
  ['500', 'Up to 500 metres (about 6 minutes’ walk)'],
  ['1000', 'Up to 1 km (about 12 minutes’ walk)'],
  ['1500', 'Up to 1.5 km (about 20 minutes’ walk)'],
  ['2000', 'Up to 2 km (about 25 minutes’ walk)'],
  ['3000', 'Up to 3 km (about 40 minutes’ walk)'],
];
const step = (title, ...children) => h('section', { 'data-step': '' },
  h('p', { class: 'ep-steps' }), h('h2', { class: 'govuk-heading-m' }, title), ...children);

const defaults = {};
for (const w of existing?.availability || []) defaults[w.weekday] = w;

form.append(
  step('About you',
    textField({ name: 'display_name', text: 'The name your neighbour will know you by', autocomplete: 'given-name',
      hint: 'Your first name is fine, for example ‘Sam’.', spellcheck: false }),
    textField({ name: 'phone', text: 'Phone number', type: 'tel', autocomplete: 'tel', width: 20,
      hint: 'A UK number. Only the council sees it.' }),
    textField({ name: 'address_line', text: 'Address', autocomplete: 'street-address',
      hint: 'House number and street. We only share it with the council.' }),
    textField({ name: 'postcode', text: 'Postcode', autocomplete: 'postal-code', width: 10, spellcheck: false })),
  step('How far you can walk',
    radios({ name: 'walk_radius_m', legend: 'How far from home can you take a meal?', options: RADII,
      checked: String(existing?.walk_radius_m ?? 1500) }),
    radios({ name: 'max_diners', legend: 'How many neighbours could you cook for?', inline: true,
      options: ['1', '2', '3', '4', '5'].map((n) => [n, n]), checked: String(existing?.max_diners ?? 1) })),
  step('When you are free',
    availabilityGrid({ legend: 'When could you bring a meal?', defaults }),
    checkboxes({ name: 'frequencies', legend: 'How often could you cook?', hint: 'Tick all that suit you.',
      options: FREQUENCIES, checked: existing?.frequencies || ['weekly'] })),
  h('section', { 'data-step': '', 'data-submit': 'Send for checks' },
    h('p', { class: 'ep-steps' }), h('h2', { class: 'govuk-heading-m' }, 'What you can cook'),
    checkboxes({ name: 'diets', legend: 'Which diets can you cook for?', hint: 'Tick all that you are happy to cook. Leave blank if none.',
      options: DIETS, checked: existing?.diets || [] }),
    checkboxes({ name: 'allergen_free', legend: 'Which allergens can you keep out of a meal completely?',
      hint: 'Only tick these if you can be sure none gets in, including from shared pans and packets.',
      options: ALLERGENS, checked: existing?.allergen_free || [] }),
    checkboxes({ name: 'textures', legend: 'Which textures can you prepare?',
      hint: 'Some people need soft or puréed food. Tick all you can do.',
      options: TEXTURES, checked: existing?.textures || ['regular'] }),
    h('p', { class: 'govuk-body' }, 'When you send this, the council will check your identity and your DBS certificate before matching you with a neighbour.')),
);

if (existing) {
  for (const name of ['display_name', 'phone', 'address_line', 'postcode']) form.elements[name].value = existing[name] ?? '';
}

const REQUIRED = [
  [['display_name', 'Enter the name your neighbour will know you by'], ['phone', 'Enter your phone number'],
    ['address_line', 'Enter your address'], ['postcode', 'Enter your postcode']],
  [],
  [['availability', 'Tick at least one day when you are free'], ['frequencies', 'Choose how often you could cook']],
  [['textures', 'Choose at least one texture you can prepare']],
];
const stepper = steps(form, { validate: (i) => checkRequired(form, REQUIRED[i]) });

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!checkRequired(form, REQUIRED[stepper.current])) return;
  const body = {
    display_name: fieldValue(form, 'display_name'),
    phone: fieldValue(form, 'phone'),
    address_line: fieldValue(form, 'address_line'),
    postcode: fieldValue(form, 'postcode'),
    walk_radius_m: Number(radioValue(form, 'walk_radius_m')),
    max_diners: Number(radioValue(form, 'max_diners')),
    frequencies: checkedValues(form, 'frequencies'),
    diets: checkedValues(form, 'diets'),
    allergen_free: checkedValues(form, 'allergen_free'),
    textures: checkedValues(form, 'textures'),
    availability: readAvailability(form),
  };
  await whileBusy(form.querySelector('button[type=submit]'), async () => {
    try {
      await put('/api/cooks/me', body);
      location.href = '/cook/?sent=1';
    } catch (err) {
      stepper.revealFirst(showApiError(form, err));
    }
  });
});
