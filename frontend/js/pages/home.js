import { HOME, h, setUpPage } from '../ui.js';

const user = await setUpPage();
if (user) {
  document.getElementById('signed-in').append(
    h('div', { class: 'govuk-inset-text' },
      `You are signed in as ${user.full_name}. `,
      h('a', { class: 'govuk-link', href: HOME[user.role] || '/' }, 'Go to your page'), '.'),
  );
}
