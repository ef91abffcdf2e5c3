import { ApiError, get, post } from '../api.js';
import {
  banner, fmtDate, fmtDistance, fmtWhen, h, listOf, notYetMessage, params, requireRole,
  clearErrors, showApiError, showErrors, showProblem, tag, textArea, textField, todayIso, whileBusy,
} from '../ui.js';
import { COOK_STATUS, MEAL_STATUS, label } from '../vocab.js';
import { confirmStep, coordinatorSection, myDataSection } from '../account.js';

await requireRole('cook');
const content = document.getElementById('content');

async function load() {
  document.getElementById('error-summary')?.remove(); // a stale summary from an earlier try
  let profile;
  try {
    profile = await get('/api/cooks/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      content.replaceChildren(...[
        h('p', { class: 'govuk-body' }, 'You have not told us about your cooking yet. It takes about 5 minutes.'),
        h('a', { href: '/cook/onboarding.html', role: 'button', class: 'govuk-button govuk-button--start', 'data-module': 'govuk-button' }, 'Tell us about your cooking'),
      ].filter(Boolean));
      return;
    }
    throw err;
  }
  const pairings = (await get('/api/cooks/me/pairings')).items;
  const [meals, covers, coordinator] = await Promise.all([
    mealsSection(pairings), coverSection(profile), coordinatorSection(),
  ]);
  content.replaceChildren(...[
    statusSection(profile),
    invitationsSection(pairings.filter((p) => p.status === 'proposed')),
    dinersSection(pairings.filter((p) => p.status === 'active')),
    meals,
    covers,
    profile.status === 'approved' ? awaySection() : null,
    calendarSection(),
    coordinator,
    detailsSection(profile),
    myDataSection(),
  ].filter(Boolean));
  if (params.get('sent')) banner(content, 'Thank you. We have your details.', 'The council will check them and let you know.', { success: true });
}

function statusSection(profile) {
  const texts = {
    pending: 'The council is checking your identity and your DBS certificate. We will let you know when you can be matched with a neighbour.',
    approved: 'You are approved to cook. When the council finds a neighbour near you, the invitation will appear here.',
    rejected: 'The council could not approve you to cook.',
    suspended: 'Your cooking is paused by the council. Please contact your neighbourhood coordinator.',
    left: 'You have stopped cooking. Thank you for everything you did.',
  };
  return h('div', { class: 'ep-card', id: 'status' },
    h('h2', { class: 'govuk-heading-m' }, 'Your status: ', tag(COOK_STATUS, profile.status)),
    h('p', { class: 'govuk-body' }, texts[profile.status] || ''),
    profile.status_reason ? h('p', { class: 'govuk-body' }, `Reason: ${profile.status_reason}`) : null,
    profile.checks_expire_on ? h('p', { class: 'govuk-body' }, `Your checks are valid until ${fmtDate(profile.checks_expire_on)}.`) : null);
}

function needs(diner) {
  return h('dl', { class: 'govuk-summary-list' },
    row('Diet', listOf(diner.diets, 'No special diet')),
    row('Must be free from', listOf(diner.allergies, 'No allergies')),
    row('Texture', label(diner.texture)));
}

function row(key, value) {
  return h('div', { class: 'govuk-summary-list__row' },
    h('dt', { class: 'govuk-summary-list__key' }, key),
    h('dd', { class: 'govuk-summary-list__value' }, value));
}

function invitationsSection(proposed) {
  const section = h('section', { 'aria-labelledby': 'invitations-title' },
    h('h2', { class: 'govuk-heading-m', id: 'invitations-title' }, 'Invitations'));
  if (!proposed.length) {
    section.append(h('p', { class: 'govuk-body' }, 'You have no invitations waiting.'));
    return section;
  }
  for (const p of proposed) {
    const card = h('div', { class: 'ep-card', 'data-pairing': p.id },
      h('h3', { class: 'govuk-heading-s' }, `Would you like to cook for ${p.diner.first_name}?`),
      h('p', { class: 'govuk-body' }, `${p.diner.first_name} lives ${fmtDistance(p.diner.distance_m)} from you. You would bring a meal ${fmtWhen(p.weekday, p.start, p.frequency)}.`),
      needs(p.diner),
      h('p', { class: 'govuk-body' }, 'You will see the address when you accept.'));
    const actions = h('div', { class: 'govuk-button-group' },
      h('button', { type: 'button', class: 'govuk-button', onclick: (e) => act(e.currentTarget, card, `/api/pairings/${p.id}/accept`) }, `Accept ${p.diner.first_name}`),
      h('button', { type: 'button', class: 'govuk-button govuk-button--secondary', onclick: (e) => act(e.currentTarget, card, `/api/pairings/${p.id}/decline`) }, 'Decline'));
    card.append(actions);
    section.append(card);
  }
  return section;
}

async function act(button, where, path, body = {}) {
  await whileBusy(button, async () => {
    try {
      await post(path, body);
      await load();
      document.getElementById('main').focus();
    } catch (err) {
      showProblem(where, err);
    }
  });
}

function dinersSection(active) {
  const section = h('section', { 'aria-labelledby': 'diners-title' },
    h('h2', { class: 'govuk-heading-m', id: 'diners-title' }, 'Who you cook for'));
  if (!active.length) {
    section.append(h('p', { class: 'govuk-body' }, 'Nobody yet.'));
    return section;
  }
  for (const p of active) {
    section.append(h('div', { class: 'ep-card', 'data-diner': p.diner.id },
      h('h3', { class: 'govuk-heading-s' }, p.diner.first_name),
      h('dl', { class: 'govuk-summary-list' },
        row('Address', p.diner.address_line || 'Not shown'),
        row('Getting in', p.diner.access_notes || 'No notes'),
        row('When', fmtWhen(p.weekday, p.start, p.frequency)),
        row('Diet', listOf(p.diner.diets, 'No special diet')),
        row('Must be free from', listOf(p.diner.allergies, 'No allergies')),
        row('Texture', label(p.diner.texture)))));
  }
  return section;
}

async function mealsSection(pairings) {
  const section = h('section', { 'aria-labelledby': 'meals-title' },
    h('h2', { class: 'govuk-heading-m', id: 'meals-title' }, 'Upcoming meals'));
  let meals;
  try {
    meals = (await get('/api/cooks/me/meals')).items;
  } catch (err) {
    if (err instanceof ApiError && (err.notBuiltYet || err.status === 404)) {
      section.append(notYetMessage('the list of meals'));
      return section;
    }
    throw err;
  }
  if (!meals.length) {
    section.append(h('p', { class: 'govuk-body' }, 'No meals planned yet.'));
    return section;
  }
  const names = Object.fromEntries(pairings.map((p) => [p.id, p.diner.first_name]));
  const today = todayIso();
  const table = h('table', { class: 'govuk-table ep-stack' },
    h('caption', { class: 'govuk-table__caption govuk-visually-hidden' }, 'Your meals for the next weeks'),
    h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
      ['Date', 'For', 'Status', 'Actions'].map((t) => h('th', { scope: 'col', class: 'govuk-table__header' }, t)))),
    h('tbody', { class: 'govuk-table__body' }, meals.map((m) => {
      const cell = h('td', { class: 'govuk-table__cell' });
      if (m.status === 'scheduled' && m.date <= today) {
        cell.append(h('div', { class: 'ep-actions' },
          h('button', { type: 'button', class: 'govuk-button govuk-!-margin-bottom-2', onclick: (e) => act(e.currentTarget, section, `/api/meals/${m.id}/delivered`) }, 'Delivered'),
          h('button', { type: 'button', class: 'govuk-button govuk-button--warning govuk-!-margin-bottom-2', onclick: (e) => act(e.currentTarget, section, `/api/meals/${m.id}/missed`) }, 'Missed')));
      } else if (m.status === 'scheduled') {
        cell.append(h('span', { class: 'govuk-body' }, 'Mark it on the day'));
      }
      cell.append(h('p', { class: 'govuk-body govuk-!-margin-bottom-0' },
        h('a', { class: 'govuk-link', href: `/api/meals/${m.id}/label`, target: '_blank', rel: 'noopener' }, 'Print label',
          h('span', { class: 'govuk-visually-hidden' }, ` for ${fmtDate(m.date)} (opens in a new tab)`))));
      return h('tr', { class: 'govuk-table__row' },
        h('td', { class: 'govuk-table__cell', 'data-label': 'Date' }, `${fmtDate(m.date)} at ${m.start}`),
        h('td', { class: 'govuk-table__cell', 'data-label': 'For' }, m.diner_first_name || names[m.pairing_id] || 'A neighbour',
          m.is_cover ? ' (you are covering)' : ''),
        h('td', { class: 'govuk-table__cell', 'data-label': 'Status' }, tag(MEAL_STATUS, m.status)),
        cell);
    })));
  section.append(table);
  return section;
}

function awaySection() {
  const form = h('form', { novalidate: true, id: 'away-form' },
    textField({ name: 'from', id: 'away-from', text: 'First day away', type: 'date', width: 10 }),
    textField({ name: 'to', id: 'away-to', text: 'Last day away', type: 'date', width: 10 }),
    h('button', { type: 'submit', class: 'govuk-button govuk-button--secondary' }, 'Tell us you are away'));
  const result = h('div', { id: 'away-result' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { from: form.elements.from.value, to: form.elements.to.value };
    const missing = [];
    if (!body.from) missing.push({ field: 'from', message: 'Enter the first day you are away' });
    if (!body.to) missing.push({ field: 'to', message: 'Enter the last day you are away' });
    if (missing.length) { showErrors(form, missing); return; }
    await whileBusy(form.querySelector('button'), async () => {
      try {
        const out = await post('/api/cooks/me/away', body);
        const n = out.items.length;
        await load();
        const where = document.getElementById('away-result');
        banner(where, n ? `Thank you. We are looking for a cover cook for ${n} meal${n === 1 ? '' : 's'}.`
          : 'Thank you. You have no meals on those dates, so nothing needs covering.',
        n ? 'Your neighbour stays yours: you carry on when you are back.' : null, { success: true });
        if (n) {
          where.querySelector('.govuk-notification-banner__content').append(h('ul', { class: 'govuk-list govuk-list--bullet' },
            out.items.map((m) => h('li', {}, `${fmtDate(m.date)} at ${m.start} for ${m.diner_first_name || 'your neighbour'}`))));
        }
        where.querySelector('.govuk-notification-banner').focus();
      } catch (err) {
        if (err instanceof ApiError && err.notBuiltYet) result.replaceChildren(notYetMessage('the way to tell us you are away'));
        else showApiError(form, err);
      }
    });
  });
  return h('section', { 'aria-labelledby': 'away-title' },
    h('h2', { class: 'govuk-heading-m', id: 'away-title' }, 'Going away?'),
    h('p', { class: 'govuk-body' }, 'Tell us the dates and we will find someone to cover your meals. Your neighbour stays yours.'),
    result, form);
}

async function coverSection(profile) {
  const section = h('section', { 'aria-labelledby': 'cover-title', id: 'cover' },
    h('h2', { class: 'govuk-heading-m', id: 'cover-title' }, 'Can you cover a meal?'));
  if (profile.status !== 'approved') return null;
  let meals;
  try {
    meals = (await get('/api/cooks/me/cover-requests')).items;
  } catch (err) {
    if (err instanceof ApiError && (err.notBuiltYet || err.status === 404)) {
      section.append(notYetMessage('cover requests'));
      return section;
    }
    throw err;
  }
  if (!meals.length) {
    section.append(h('p', { class: 'govuk-body' }, 'Nobody near you needs a cover cook at the moment.'));
    return section;
  }
  section.append(h('p', { class: 'govuk-body' },
    'These neighbours’ usual cooks are away. You could take a single meal: it does not change who they are matched with.'));
  for (const m of meals) {
    const card = h('div', { class: 'ep-card', 'data-cover': m.id },
      h('h3', { class: 'govuk-heading-s' }, `${m.diner_first_name || 'A neighbour'}, ${fmtDate(m.date)} at ${m.start}`),
      h('p', { class: 'govuk-body' }, 'You will see the address and their needs on your meals list once you say yes.'));
    card.append(h('button', {
      type: 'button', class: 'govuk-button govuk-!-margin-bottom-0',
      onclick: (e) => whileBusy(e.currentTarget, async () => {
        try {
          await post(`/api/meals/${m.id}/cover`);
          await load();
          const where = document.getElementById('cover');
          banner(where, `Thank you. You are bringing ${m.diner_first_name || 'your neighbour'} a meal on ${fmtDate(m.date)} at ${m.start}.`, null, { success: true });
          where.querySelector('.govuk-notification-banner').focus();
        } catch (err) {
          showProblem(card, err);
        }
      }),
    }, 'I can cover', h('span', { class: 'govuk-visually-hidden' }, ` ${m.diner_first_name || ''} on ${fmtDate(m.date)}`)));
    section.append(card);
  }
  return section;
}

function calendarSection() {
  const result = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'govuk-button govuk-button--secondary' }, 'Get my calendar link');
  button.addEventListener('click', () => whileBusy(button, async () => {
    try {
      const { url } = await post('/api/cooks/me/calendar');
      result.replaceChildren(
        h('div', { class: 'govuk-form-group' },
          h('label', { class: 'govuk-label', for: 'calendar-url' }, 'Your calendar link'),
          h('div', { class: 'govuk-hint', id: 'calendar-url-hint' }, 'Copy it into your calendar app (for example "Add calendar from URL"). Keep it private: anyone with it can see your meals. Getting a new link stops the old one.'),
          h('input', { class: 'govuk-input', id: 'calendar-url', type: 'text', readonly: true, value: url, 'aria-describedby': 'calendar-url-hint', spellcheck: 'false' })),
        h('p', { class: 'govuk-body' }, h('a', { class: 'govuk-link', href: url.replace(/^https?:/, 'webcal:') }, 'Open it in my calendar app')));
      result.querySelector('input').select();
    } catch (err) {
      if (err instanceof ApiError && (err.notBuiltYet || err.status === 404)) {
        result.replaceChildren(h('div', { class: 'govuk-inset-text' }, 'Coming soon: a link to see your meals in your phone’s calendar.'));
      } else {
        showProblem(result, err);
      }
    }
  }));
  return h('section', { 'aria-labelledby': 'calendar-title' },
    h('h2', { class: 'govuk-heading-m', id: 'calendar-title' }, 'See your meals in your calendar'),
    h('p', { class: 'govuk-body' }, 'Your phone or computer calendar can show your meals and keep them up to date.'),
    button, result);
}

function detailsSection(profile) {
  const stop = h('form', { novalidate: true, id: 'stop-form' },
    textArea({ name: 'reason', id: 'stop-reason', text: 'Why are you stopping?', hint: 'This helps the council. Your neighbour will be matched with someone else.' }),
    h('button', { type: 'submit', class: 'govuk-button govuk-button--warning' }, 'Stop cooking'));
  confirmStep(stop, {
    question: 'Are you sure you want to stop cooking?',
    confirmText: 'Your meals will stop and the council will look for a new cook for each neighbour you cook for.',
    confirmLabel: 'Yes, stop cooking',
    check: () => {
      if (stop.elements.reason.value.trim()) { clearErrors(stop); return true; }
      showErrors(stop, [{ field: 'reason', message: 'Tell us briefly why you are stopping' }]);
      return false;
    },
    onConfirm: async () => {
      try {
        await post('/api/cooks/me/stop', { reason: stop.elements.reason.value.trim() });
        await load();
        banner(content, 'You have stopped cooking.', 'Thank you for everything you did for your neighbours.', { success: true });
        document.getElementById('main').focus();
      } catch (err) {
        showApiError(stop, err);
      }
    },
  });
  return h('section', { 'aria-labelledby': 'details-title' },
    h('h2', { class: 'govuk-heading-m', id: 'details-title' }, 'Your details'),
    h('dl', { class: 'govuk-summary-list' },
      row('Name', profile.display_name),
      row('Address', `${profile.address_line}, ${profile.postcode}`),
      row('Walking distance', fmtDistance(profile.walk_radius_m).replace('about ', 'up to ')),
      row('Cooks for up to', `${profile.max_diners} neighbour${profile.max_diners === 1 ? '' : 's'}`)),
    h('p', { class: 'govuk-body' }, h('a', { class: 'govuk-link', href: '/cook/onboarding.html' }, 'Change your details')),
    profile.status !== 'left' ? h('details', { class: 'govuk-details' },
      h('summary', { class: 'govuk-details__summary' }, h('span', { class: 'govuk-details__summary-text' }, 'I want to stop cooking')),
      h('div', { class: 'govuk-details__text' }, stop)) : null);
}

await load();
