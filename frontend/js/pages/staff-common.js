// Small pieces the staff pages share.
import { h } from '../ui.js';

export const row = (key, value) => h('div', { class: 'govuk-summary-list__row' },
  h('dt', { class: 'govuk-summary-list__key' }, key), h('dd', { class: 'govuk-summary-list__value' }, value));

export function table(caption, headers, rows) {
  return h('table', { class: 'govuk-table ep-stack' },
    h('caption', { class: 'govuk-table__caption govuk-table__caption--s' }, caption),
    h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
      headers.map((t) => h('th', { scope: 'col', class: 'govuk-table__header' },
        t || h('span', { class: 'govuk-visually-hidden' }, 'Actions'))))),
    h('tbody', { class: 'govuk-table__body' }, rows.map((cells) => h('tr', { class: 'govuk-table__row' },
      cells.map((c, i) => h('td', { class: 'govuk-table__cell', 'data-label': headers[i] || null }, c))))));
}

/** Links to filter a list by status; the current one is marked. */
export function statusFilter(statuses, current, base) {
  return h('nav', { 'aria-label': 'Filter by status', class: 'govuk-!-margin-bottom-6' },
    h('ul', { class: 'govuk-list ep-actions' }, statuses.map(([code, text]) => h('li', {},
      h('a', { class: 'govuk-link', href: `${base}?status=${code}`, 'aria-current': code === current ? 'page' : null },
        code === current ? h('strong', {}, text) : text)))));
}
