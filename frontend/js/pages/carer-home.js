import { get } from '../api.js';
import { banner, h, listOf, params, requireRole, tag } from '../ui.js';
import { DINER_STATUS, label } from '../vocab.js';
import { coordinatorSection, myDataSection } from '../account.js';

await requireRole('carer');
const content = document.getElementById('content');
const { items } = await get('/api/diners');

const add = h('a', { href: '/carer/register.html', role: 'button', class: 'govuk-button', 'data-module': 'govuk-button' },
  items.length ? 'Register another relative' : 'Register a relative');
content.replaceChildren();
if (!items.length) {
  content.append(h('p', { class: 'govuk-body' }, 'You have not registered anyone yet.'), add);
} else {
  for (const d of items) {
    content.append(h('div', { class: 'ep-card', 'data-diner': d.id },
      h('h2', { class: 'govuk-heading-m' }, d.full_name),
      h('p', { class: 'govuk-body' }, tag(DINER_STATUS, d.status)),
      h('p', { class: 'govuk-body' },
        d.status === 'waiting' ? 'We are looking for a cook who lives nearby and is free at the right times.' : null,
        d.status === 'matched' ? 'They have a cook.' : null,
        d.status === 'paused' ? `Meals are paused${d.paused_to ? ` until ${d.paused_to}` : ''}.` : null),
      h('p', { class: 'govuk-body' }, `Diet: ${listOf(d.diets, 'no special diet')}. Allergies: ${listOf(d.allergies, 'none')}. Texture: ${label(d.texture).toLowerCase()}.`),
      h('a', { class: 'govuk-link govuk-body', href: `/carer/relative.html?id=${d.id}` }, 'See their cook, meals and details',
        h('span', { class: 'govuk-visually-hidden' }, ` for ${d.full_name}`))));
  }
  content.append(add);
}
content.append(await coordinatorSection(), myDataSection());
const registered = items.find((d) => String(d.id) === params.get('registered'));
if (registered) {
  banner(content, `${registered.full_name} is registered.`,
    'They are waiting for a cook. The council will look for a neighbour who lives nearby, and we will tell you when a cook says yes.',
    { success: true });
}
