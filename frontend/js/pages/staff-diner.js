import { ApiError, get, post } from '../api.js';
import {
  banner, fmtDistance, fmtWhen, h, listOf, params, requireRole, showProblem, tag, whileBusy,
} from '../ui.js';
import { DINER_STATUS, PAIRING_STATUS, UNMATCHED_REASONS, WEEKDAYS, label } from '../vocab.js';
import { row } from './staff-common.js';
import { confirmStep } from '../account.js';

await requireRole('staff');
const content = document.getElementById('content');
const id = Number(params.get('id'));

async function load(message) {
  document.getElementById('error-summary')?.remove(); // a stale summary from an earlier try
  let d;
  try {
    d = await get(`/api/staff/diners/${id}`);
  } catch (err) {
    content.replaceChildren(h('h1', { class: 'govuk-heading-l' }, 'We could not find this diner'));
    if (!(err instanceof ApiError)) throw err;
    return;
  }
  document.title = `${d.full_name} – Extra Portion`;
  const p = d.pairing;
  content.replaceChildren(...[
    h('h1', { class: 'govuk-heading-l' }, d.full_name),
    h('p', { class: 'govuk-body' }, tag(DINER_STATUS, d.status), d.referred_by_staff ? ' Referred by staff.' : ''),
    h('dl', { class: 'govuk-summary-list' },
      row('Address', `${d.address_line}, ${d.postcode}`),
      row('Phone', d.phone || 'Not given'),
      row('Neighbourhood', d.neighbourhood || 'None'),
      row('Diet', listOf(d.diets, 'No special diet')),
      row('Allergies', listOf(d.allergies, 'None')),
      row('Texture', label(d.texture)),
      row('Good times', d.availability.map((w) => `${WEEKDAYS[w.weekday]} ${w.start} to ${w.end}`).join('; ')),
      row('How often', label(d.frequency)),
      row('Getting in', d.access_notes || 'No notes'),
      row('Cook', p ? h('span', {}, `${p.cook?.display_name || 'A cook'}, ${fmtWhen(p.weekday, p.start, p.frequency)} `, tag(PAIRING_STATUS, p.status)) : 'None yet')),
    await suggestions(d),
    eraseSection(d),
  ].filter(Boolean));
  if (message) banner(content, message, null, { success: true });
}

async function suggestions(d) {
  const section = h('section', { 'aria-labelledby': 'suggestions-title' },
    h('h2', { class: 'govuk-heading-m', id: 'suggestions-title' }, 'Suggested cooks'));
  if (d.pairing && ['proposed', 'active'].includes(d.pairing.status)) {
    section.append(h('p', { class: 'govuk-body' }, d.pairing.status === 'active'
      ? 'This diner has a cook.' : 'A cook has been invited. Suggestions will show again if they decline.'));
    return section;
  }
  if (d.status === 'left') return section;
  const out = await get(`/api/staff/diners/${d.id}/suggestions`);
  if (!out.items.length) {
    section.append(h('p', { class: 'govuk-body' }, `No cook can be suggested. ${UNMATCHED_REASONS[out.unmatched_reason] || ''}.`));
    return section;
  }
  section.append(h('p', { class: 'govuk-body' }, 'Best first. Proposing sends the cook an invitation; they see the diner’s first name and needs, not the address.'));
  out.items.forEach((s, index) => {
    const slot = s.slots[0];
    const card = h('div', { class: 'ep-card', 'data-cook': s.cook_id },
      h('h3', { class: 'govuk-heading-s' }, `${index + 1}. ${s.display_name}`),
      h('p', { class: 'govuk-body' }, `${fmtDistance(s.distance_m)} away. Score ${s.score.toFixed(2)}.`),
      h('ul', { class: 'govuk-list govuk-list--bullet', 'aria-label': `Why ${s.display_name}` }, s.reasons.map((r) => h('li', {}, r))),
      h('p', { class: 'govuk-body' }, 'Shared times: ', s.slots.map((t) => `${WEEKDAYS[t.weekday]} ${t.start} to ${t.end}`).join('; ')));
    if (slot) {
      card.append(h('button', {
        type: 'button', class: 'govuk-button govuk-!-margin-bottom-0',
        onclick: (event) => propose(event.currentTarget, card, d, s, slot),
      }, `Propose ${s.display_name}`, h('span', { class: 'govuk-visually-hidden' }, ` for ${WEEKDAYS[slot.weekday]} at ${slot.start}`)));
    }
    section.append(card);
  });
  return section;
}

async function propose(button, card, d, s, slot) {
  await whileBusy(button, async () => {
    try {
      await post('/api/staff/pairings', {
        diner_id: d.id, cook_id: s.cook_id, weekday: slot.weekday, start: slot.start, frequency: d.frequency,
      });
      await load(`${s.display_name} is invited to cook for ${d.full_name.split(' ')[0]} ${fmtWhen(slot.weekday, slot.start, d.frequency)}.`);
      document.getElementById('main').focus();
    } catch (err) {
      if (err instanceof ApiError && err.fieldErrors) {
        showProblem(card, new ApiError(400, err.fieldErrors.map((e) => e.msg).join('. '), true));
      } else {
        showProblem(card, err);
      }
    }
  });
}

function eraseSection(d) {
  const form = h('form', { novalidate: true, id: 'erase-form' },
    h('p', { class: 'govuk-body' }, 'Only when the diner, or someone acting for them, asks for their data to be erased. Their name, address, phone, needs and notes are removed for good. The history of meals and pairings is kept without their details.'),
    h('button', { type: 'submit', class: 'govuk-button govuk-button--warning' }, 'Erase this diner’s details'));
  confirmStep(form, {
    question: `Are you sure you want to erase ${d.full_name}’s details?`,
    confirmText: 'This cannot be undone. Any pairing ends and they leave Extra Portion.',
    confirmLabel: 'Yes, erase their details',
    onConfirm: async () => {
      try {
        await post(`/api/staff/diners/${d.id}/erase`);
        await load('The diner’s personal details are erased.');
        document.getElementById('main').focus();
      } catch (err) {
        showProblem(form, err);
      }
    },
  });
  return h('details', { class: 'govuk-details govuk-!-margin-top-6' },
    h('summary', { class: 'govuk-details__summary' }, h('span', { class: 'govuk-details__summary-text' }, 'Erase this diner’s data (data protection request)')),
    h('div', { class: 'govuk-details__text' }, form));
}

await load(params.get('referred') ? 'The diner is referred. They are waiting for a cook.' : undefined);
