import { ApiError, post } from '../api.js';
import { HOME, checkRequired, h, setUpPage, showApiError, showErrors, textField, whileBusy } from '../ui.js';

const user = await setUpPage();
const form = document.getElementById('sign-up-form');
const role = form.dataset.role;
const NEXT = { cook: '/cook/onboarding.html', carer: '/carer/register.html' };

if (user) {
  form.before(h('div', { class: 'govuk-inset-text' }, `You are already signed in as ${user.email}. `,
    h('a', { class: 'govuk-link', href: HOME[user.role] || '/' }, 'Go to your page'), '.'));
}

form.append(
  textField({ name: 'full_name', text: 'Your full name', autocomplete: 'name', spellcheck: false }),
  textField({ name: 'email', text: 'Email address', type: 'email', autocomplete: 'email', spellcheck: false,
    hint: 'We will only use this to contact you about Extra Portion.' }),
  textField({ name: 'password', text: 'Create a password', type: 'password', autocomplete: 'new-password',
    hint: 'At least 10 characters. A few words you will remember works well.' }),
  h('button', { type: 'submit', class: 'govuk-button', 'data-module': 'govuk-button' }, 'Create account'),
);

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!checkRequired(form, [
    ['full_name', 'Enter your full name'],
    ['email', 'Enter your email address'],
    ['password', 'Create a password'],
  ])) return;
  const email = form.email.value.trim();
  const password = form.password.value;
  if (password.length < 10) {
    showErrors(form, [{ field: 'password', message: 'Your password must be at least 10 characters' }]);
    return;
  }
  await whileBusy(form.querySelector('button[type=submit]'), async () => {
    try {
      await post('/api/auth/register', { email, password, full_name: form.full_name.value.trim(), role });
      await post('/api/auth/session', { email, password });
      location.href = NEXT[role];
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        showErrors(form, [{ field: 'email', message: 'There is already an account with this email address. Sign in instead' }]);
      } else {
        showApiError(form, err);
      }
    }
  });
});
