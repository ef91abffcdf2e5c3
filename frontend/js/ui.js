// Page furniture and form helpers shared by every page.

import { initAll } from '/vendor/govuk-frontend/govuk-frontend.min.js';
import { ApiError, currentUser, post } from './api.js';
import { HOME } from './next-path.js';
import { WEEKDAYS, label } from './vocab.js';

document.body.classList.add('js-enabled', 'govuk-frontend-supported');

/** Build an element: h('p', {class: 'govuk-body'}, 'text', child...). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'html') node.innerHTML = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

const NAV = {
  anonymous: [
    ['/', 'Home'],
    ['/sign-up-cook.html', 'Cook for a neighbour'],
    ['/sign-up-carer.html', 'Register a relative'],
    ['/sign-in.html', 'Sign in'],
  ],
  cook: [['/cook/', 'My cooking']],
  carer: [['/carer/', 'My relatives']],
  staff: [
    ['/staff/', 'Staff home'],
    ['/staff/cooks.html', 'New cooks'],
    ['/staff/diners.html', 'Waiting diners'],
    ['/staff/matching.html', 'Matching'],
    ['/staff/concerns.html', 'Concerns'],
    ['/staff/reports.html', 'Reports'],
    ['/staff/audit.html', 'Audit log'],
  ],
  admin: [],
};

export { HOME };

/** Fill the navigation for whoever is signed in; returns the user or null. */
export async function setUpPage() {
  let user = null;
  try {
    user = await currentUser();
  } catch {
    user = null;
  }
  const list = $('#nav');
  if (list) {
    list.replaceChildren();
    const here = location.pathname.replace(/index\.html$/, '');
    for (const [href, text] of NAV[user ? user.role : 'anonymous'] || []) {
      list.append(h('li', {}, h('a', { href, 'aria-current': here === href ? 'page' : null }, text)));
    }
    if (user) {
      list.append(
        h('li', {}, h('button', { type: 'button', class: 'ep-linkbutton', onclick: signOut }, 'Sign out')),
      );
    }
  }
  initAll();
  return user;
}

async function signOut() {
  try {
    await post('/api/auth/logout');
  } catch {
    // Signed out already, or the session expired: either way, go home.
  }
  location.href = '/';
}

/** The signed-in user with this role, or a redirect to sign in / a message. */
export async function requireRole(role) {
  const user = await setUpPage();
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search);
    location.replace(`/sign-in.html?next=${next}`);
    throw new Error('redirecting to sign in');
  }
  if (user.role !== role) {
    const main = $('#main');
    main.replaceChildren(
      h('h1', { class: 'govuk-heading-l' }, 'This page is not for your account'),
      h('p', { class: 'govuk-body' }, 'You are signed in as ', h('strong', {}, user.email), '. ',
        h('a', { href: HOME[user.role] || '/', class: 'govuk-link' }, 'Go to your home page'), '.'),
    );
    throw new Error('wrong role');
  }
  return user;
}

// ---------------------------------------------------------------- formatting

export function fmtDate(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', {
    weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC',
  });
}

export function fmtDateTime(iso) {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtDistance(metres) {
  if (metres === null || metres === undefined) return 'distance not known';
  if (metres < 1000) return `about ${metres} metres`;
  return `about ${(metres / 1000).toFixed(1)} km`;
}

export function fmtWhen(weekday, start, frequency) {
  const freq = { weekly: 'every', fortnightly: 'every other', monthly: 'once a month on a' }[frequency] || 'on';
  return `${freq} ${WEEKDAYS[weekday]} at ${start}`;
}

export function listOf(codes, none = 'None') {
  return codes && codes.length ? codes.map(label).join(', ') : none;
}

export function tag(map, code) {
  const [text, cls] = map[code] || [String(code), 'govuk-tag--grey'];
  return h('strong', { class: `govuk-tag ${cls}` }, text);
}

export function todayIso() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- messages

/** A GOV.UK notification banner (success or information) at the top of `where`. */
export function banner(where, title, text, { success = false } = {}) {
  const id = `banner-${Math.random().toString(36).slice(2, 8)}`;
  const node = h('div', {
    class: `govuk-notification-banner${success ? ' govuk-notification-banner--success' : ''}`,
    role: success ? 'alert' : 'region',
    'aria-labelledby': id,
    tabindex: '-1',
  },
  h('div', { class: 'govuk-notification-banner__header' },
    h('h2', { class: 'govuk-notification-banner__title', id }, success ? 'Done' : 'Important')),
  h('div', { class: 'govuk-notification-banner__content' },
    h('p', { class: 'govuk-notification-banner__heading' }, title),
    text ? h('p', { class: 'govuk-body' }, text) : null));
  where.prepend(node);
  return node;
}

/** Show a non-field error (a string detail) in a plain-English box. */
export function showProblem(where, err) {
  const text = err instanceof ApiError ? problemText(err) : 'Something went wrong. Please try again.';
  clearProblems();
  const box = h('div', { class: 'govuk-error-summary', 'data-problem': '', tabindex: '-1' },
    h('div', { role: 'alert' },
      h('h2', { class: 'govuk-error-summary__title' }, 'There is a problem'),
      h('div', { class: 'govuk-error-summary__body' }, h('p', { class: 'govuk-body' }, text))));
  where.prepend(box);
  box.focus();
  return box;
}

function problemText(err) {
  if (err.status === 401) return 'You are not signed in any more. Please sign in again.';
  if (err.status === 403) return 'Your account cannot do this.';
  if (err.status === 404) return 'We could not find this. It may have been removed.';
  if (err.status === 429) return 'Too many tries. Please wait a few minutes and try again.';
  if (typeof err.detail === 'string') return err.detail.endsWith('.') ? err.detail : `${err.detail}.`;
  return 'Something went wrong. Please try again.';
}

export function clearProblems() {
  for (const node of $$('[data-problem]')) node.remove();
}

// ---------------------------------------------------------------- form fields

let uid = 0;
const nextId = (base) => `${base}-${++uid}`;

/** A text-like input in a form group; data-field names the API field it feeds. */
export function textField({ name, text, hint, type = 'text', autocomplete, width, value = '', inputmode, spellcheck, id: givenId }) {
  const id = givenId || `f-${name}`;
  const hintId = hint ? `${id}-hint` : null;
  return h('div', { class: 'govuk-form-group', 'data-field': name, 'data-label': text },
    h('label', { class: 'govuk-label', for: id }, text),
    hint ? h('div', { class: 'govuk-hint', id: hintId }, hint) : null,
    h('input', {
      class: `govuk-input${width ? ` govuk-input--width-${width}` : ''}`,
      id, name, type, value, autocomplete, inputmode,
      spellcheck: spellcheck === undefined ? null : String(spellcheck),
      'aria-describedby': hintId,
    }));
}

export function textArea({ name, text, hint, rows = 3, id: givenId }) {
  const id = givenId || `f-${name}`;
  const hintId = hint ? `${id}-hint` : null;
  return h('div', { class: 'govuk-form-group', 'data-field': name, 'data-label': text },
    h('label', { class: 'govuk-label', for: id }, text),
    hint ? h('div', { class: 'govuk-hint', id: hintId }, hint) : null,
    h('textarea', { class: 'govuk-textarea', id, name, rows, 'aria-describedby': hintId }));
}

export function checkboxes({ name, legend, hint, options, checked = [], small = false }) {
  const hintId = hint ? `f-${name}-hint` : null;
  return h('div', { class: 'govuk-form-group', 'data-field': name, 'data-label': legend },
    h('fieldset', { class: 'govuk-fieldset', 'aria-describedby': hintId },
      h('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s' }, legend),
      hint ? h('div', { class: 'govuk-hint', id: hintId }, hint) : null,
      h('div', { class: `govuk-checkboxes${small ? ' govuk-checkboxes--small' : ''}`, 'data-module': 'govuk-checkboxes' },
        options.map(([value, text], i) => {
          const id = i === 0 ? `f-${name}` : `f-${name}-${i}`;
          return h('div', { class: 'govuk-checkboxes__item' },
            h('input', { class: 'govuk-checkboxes__input', id, name, type: 'checkbox', value, checked: checked.includes(value) }),
            h('label', { class: 'govuk-label govuk-checkboxes__label', for: id }, text));
        }))));
}

export function radios({ name, legend, hint, options, checked, inline = false, legendSize = 's' }) {
  const hintId = hint ? `f-${name}-hint` : null;
  return h('div', { class: 'govuk-form-group', 'data-field': name, 'data-label': legend },
    h('fieldset', { class: 'govuk-fieldset', 'aria-describedby': hintId },
      h('legend', { class: `govuk-fieldset__legend govuk-fieldset__legend--${legendSize}` }, legend),
      hint ? h('div', { class: 'govuk-hint', id: hintId }, hint) : null,
      h('div', { class: `govuk-radios${inline ? ' govuk-radios--inline' : ''}`, 'data-module': 'govuk-radios' },
        options.map(([value, text], i) => {
          const id = i === 0 ? `f-${name}` : `f-${name}-${i}`;
          return h('div', { class: 'govuk-radios__item' },
            h('input', { class: 'govuk-radios__input', id, name, type: 'radio', value, checked: value === checked }),
            h('label', { class: 'govuk-label govuk-radios__label', for: id }, text));
        }))));
}

const TIMES = [];
for (let m = 7 * 60; m <= 21 * 60; m += 30) {
  TIMES.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
}

/** The week's availability: a row per weekday with a tick box and from/until times. */
export function availabilityGrid({ name = 'availability', legend, hint, defaults = {} }) {
  const hintId = `f-${name}-hint`;
  const rows = WEEKDAYS.map((day, weekday) => {
    const base = weekday === 0 ? `f-${name}` : `f-${name}-${weekday}`;
    const pre = defaults[weekday];
    const time = (which, fallback) => h('div', { class: 'ep-avail__time' },
      h('label', { class: 'govuk-label', for: `${base}-${which}` }, `${which === 'start' ? 'From' : 'Until'}`,
        h('span', { class: 'govuk-visually-hidden' }, ` (${day})`)),
      h('select', { class: 'govuk-select', id: `${base}-${which}`, name: `${name}-${which}-${weekday}` },
        TIMES.map((t) => h('option', { value: t, selected: t === ((pre && pre[which]) || fallback) }, t))));
    return h('div', { class: 'ep-avail__row', 'data-weekday': weekday },
      h('div', { class: 'govuk-checkboxes__item ep-avail__day' },
        h('input', { class: 'govuk-checkboxes__input', id: base, type: 'checkbox', name: `${name}-day`, value: weekday, checked: Boolean(pre) }),
        h('label', { class: 'govuk-label govuk-checkboxes__label', for: base }, day)),
      time('start', '17:00'),
      time('end', '19:00'));
  });
  return h('div', { class: 'govuk-form-group', 'data-field': name, 'data-label': legend },
    h('fieldset', { class: 'govuk-fieldset', 'aria-describedby': hintId },
      h('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s' }, legend),
      h('div', { class: 'govuk-hint', id: hintId }, hint || 'Tick each day you are free, then choose the times. Allow at least 30 minutes.'),
      h('div', { class: 'govuk-checkboxes ep-avail' }, rows)));
}

export function readAvailability(root, name = 'availability') {
  return $$(`input[name="${name}-day"]:checked`, root).map((box) => {
    const weekday = Number(box.value);
    return {
      weekday,
      start: $(`select[name="${name}-start-${weekday}"]`, root).value,
      end: $(`select[name="${name}-end-${weekday}"]`, root).value,
    };
  });
}

export const checkedValues = (root, name) => $$(`input[name="${name}"]:checked`, root).map((i) => i.value);
export const radioValue = (root, name) => ($(`input[name="${name}"]:checked`, root) || {}).value;
export const fieldValue = (root, name) => {
  const node = $(`[name="${name}"]`, root);
  return node ? node.value.trim() : '';
};

// ---------------------------------------------------------------- errors

const SUMMARY_ID = 'error-summary';

export function clearErrors(form) {
  document.getElementById(SUMMARY_ID)?.remove();
  for (const group of $$('.govuk-form-group--error', form)) {
    group.classList.remove('govuk-form-group--error');
    $$('.govuk-error-message', group).forEach((n) => n.remove());
    for (const input of $$('.govuk-input--error, .govuk-select--error, .govuk-textarea--error', group)) {
      input.classList.remove('govuk-input--error', 'govuk-select--error', 'govuk-textarea--error');
    }
    for (const node of $$('[aria-describedby]', group)) {
      const ids = node.getAttribute('aria-describedby').split(' ').filter((i) => !i.endsWith('-error'));
      if (ids.length) node.setAttribute('aria-describedby', ids.join(' '));
      else node.removeAttribute('aria-describedby');
    }
  }
}

function friendly(err, fieldLabel) {
  const ctx = err.ctx || {};
  let msg = String(err.msg || '').replace(/^Value error, /, '');
  if (err.type === 'missing' || (err.type === 'string_too_short' && ctx.min_length === 1)) {
    return `Enter ${fieldLabel.toLowerCase()}`;
  }
  if (err.type === 'too_short' && ctx.min_length === 1) return `${fieldLabel}: choose at least one`;
  if (err.type === 'literal_error' || err.type === 'enum') return `${fieldLabel}: choose one of the options`;
  if (err.type === 'bool_type' || err.type === 'bool_parsing') return `${fieldLabel}: choose yes or no`;
  msg = msg.charAt(0).toUpperCase() + msg.slice(1);
  return `${fieldLabel}: ${msg.replace(/\.$/, '')}`;
}

/** Which form group an error's loc names: the last element naming a field, else an earlier one
 * (["body", "availability", 0, "end"] is the availability grid). */
function groupFor(form, loc) {
  const names = (loc || []).filter((p) => typeof p === 'string' && p !== 'body').reverse();
  for (const name of names) {
    const group = $(`[data-field="${CSS.escape(name)}"]`, form);
    if (group) return group;
  }
  return null;
}

/**
 * Show errors: an error summary at the top of the page linking to each field, and each
 * message next to its field. `errors` is [{loc, msg, type}] or [{field, message}].
 * Returns the form groups with errors. Nothing the person typed is touched.
 */
export function showErrors(form, errors) {
  clearErrors(form);
  clearProblems();
  const items = [];
  const seen = new Set();
  for (const err of errors) {
    const group = err.field ? $(`[data-field="${err.field}"]`, form) : groupFor(form, err.loc);
    const fieldLabel = group ? group.dataset.label : 'This form';
    const message = err.message || friendly(err, fieldLabel);
    const key = `${group ? group.dataset.field : ''}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let target = null;
    if (group) {
      target = $('input:not([type=hidden]), select, textarea', group);
      group.classList.add('govuk-form-group--error');
      const errId = `${group.dataset.field}-error-${items.length}`;
      const p = h('p', { class: 'govuk-error-message', id: errId },
        h('span', { class: 'govuk-visually-hidden' }, 'Error: '), message);
      const anchor = $('.govuk-hint', group) || $('legend', group) || $('label', group);
      anchor.after(p);
      const described = $('fieldset', group) || target;
      if (described) {
        const ids = (described.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
        described.setAttribute('aria-describedby', [...ids, errId].join(' '));
      }
      if (!$('fieldset', group) && target) {
        const cls = target.tagName === 'SELECT' ? 'govuk-select--error'
          : target.tagName === 'TEXTAREA' ? 'govuk-textarea--error' : 'govuk-input--error';
        target.classList.add(cls);
      }
    }
    items.push({ message, target });
  }
  const summary = h('div', { class: 'govuk-error-summary', id: SUMMARY_ID, tabindex: '-1' },
    h('div', { role: 'alert' },
      h('h2', { class: 'govuk-error-summary__title' }, 'There is a problem'),
      h('div', { class: 'govuk-error-summary__body' },
        h('ul', { class: 'govuk-list govuk-error-summary__list' },
          items.map(({ message, target }) => h('li', {},
            target
              ? h('a', {
                href: `#${target.id}`,
                onclick: (event) => {
                  event.preventDefault();
                  form.dispatchEvent(new CustomEvent('ep:reveal', { detail: target }));
                  target.focus();
                  target.scrollIntoView({ block: 'center' });
                },
              }, message)
              : message))))));
  const main = $('#main');
  main.prepend(summary);
  summary.focus();
  return items.map((i) => i.target).filter(Boolean);
}

/** Handle an API failure on a form: field errors, or a plain problem box. */
export function showApiError(form, err) {
  if (err instanceof ApiError && err.fieldErrors) return showErrors(form, err.fieldErrors);
  clearErrors(form);
  showProblem($('#main'), err);
  return [];
}

/** Check fields marked required before moving on; returns true when all are filled. */
export function checkRequired(root, fields) {
  const errors = [];
  for (const [name, message] of fields) {
    const group = $(`[data-field="${name}"]`, root);
    const filled = $$('input[type=checkbox], input[type=radio]', group).length
      ? $$('input:checked', group).length > 0
      : $('input, textarea, select', group).value.trim() !== '';
    if (!filled) errors.push({ field: name, message });
  }
  if (errors.length) showErrors(root, errors);
  else clearErrors(root);
  return errors.length === 0;
}

// ---------------------------------------------------------------- steps

/**
 * A form in steps: each <section data-step> is shown in turn; all stay in the page, so nothing
 * typed is lost. `validate(index)` may refuse to move on. Returns {show, current}.
 */
export function steps(form, { validate = () => true } = {}) {
  const sections = $$('section[data-step]', form);
  let current = 0;
  function show(index, focus = true) {
    current = index;
    sections.forEach((s, i) => s.classList.toggle('ep-hidden', i !== index));
    if (focus) {
      const heading = $('h2', sections[index]);
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }
  for (const [i, section] of sections.entries()) {
    const counter = $('.ep-steps', section);
    if (counter) counter.textContent = `Step ${i + 1} of ${sections.length}`;
    const nav = h('div', { class: 'govuk-button-group' });
    if (i < sections.length - 1) {
      nav.append(h('button', {
        type: 'button', class: 'govuk-button', 'data-module': 'govuk-button',
        onclick: () => { if (validate(i)) show(i + 1); },
      }, 'Continue'));
    } else {
      nav.append(h('button', { type: 'submit', class: 'govuk-button', 'data-module': 'govuk-button' }, section.dataset.submit || 'Send'));
    }
    if (i > 0) {
      nav.append(h('button', { type: 'button', class: 'govuk-button govuk-button--secondary', onclick: () => show(i - 1) }, 'Back'));
    }
    section.append(nav);
  }
  form.addEventListener('ep:reveal', (event) => {
    const section = event.detail.closest('section[data-step]');
    if (section) show(sections.indexOf(section), false);
  });
  show(0, false);
  return {
    show,
    get current() { return current; },
    revealFirst(targets) {
      const first = targets[0];
      if (!first) return;
      const section = first.closest('section[data-step]');
      if (section) show(sections.indexOf(section), false);
      $(`#${SUMMARY_ID}`)?.focus();
    },
  };
}

/** A busy state for a submit button while a request runs. */
export async function whileBusy(button, work) {
  button.disabled = true;
  button.setAttribute('aria-disabled', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-disabled');
  }
}

export const params = new URLSearchParams(location.search);
