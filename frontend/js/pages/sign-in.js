import { ApiError, post } from '../api.js';
import { landingPath } from '../next-path.js';
import { HOME, checkRequired, h, params, setUpPage, showApiError, showErrors, textField, whileBusy } from '../ui.js';

const user = await setUpPage();
const form = document.getElementById('sign-in-form');
if (user) {
  form.before(h('div', { class: 'govuk-inset-text' }, `You are already signed in as ${user.email}. `,
    h('a', { class: 'govuk-link', href: HOME[user.role] || '/' }, 'Go to your page'), '.'));
}

form.append(
  textField({ name: 'email', text: 'Email address', type: 'email', autocomplete: 'email', spellcheck: false }),
  textField({ name: 'password', text: 'Password', type: 'password', autocomplete: 'current-password' }),
  h('button', { type: 'submit', class: 'govuk-button', 'data-module': 'govuk-button' }, 'Sign in'),
);

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!checkRequired(form, [['email', 'Enter your email address'], ['password', 'Enter your password']])) return;
  const button = form.querySelector('button[type=submit]');
  await whileBusy(button, async () => {
    try {
      const session = await post('/api/auth/session', {
        email: form.email.value.trim(),
        password: form.password.value,
      });
      location.href = landingPath(session.user.role, params.get('next'), location.origin);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        showErrors(form, [{ field: 'email', message: 'The email address or password is not right' }]);
      } else {
        showApiError(form, err);
      }
    }
  });
});
