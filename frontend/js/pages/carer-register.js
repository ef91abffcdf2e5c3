import { requireRole } from '../ui.js';
import { dinerForm } from '../diner-form.js';

await requireRole('carer');
dinerForm(document.getElementById('diner-form'), {
  path: '/api/diners',
  onCreated: (diner) => { location.href = `/carer/?registered=${diner.id}`; },
  consentText: 'My relative agrees to be registered, and to their details being shared with the council and with their cook.',
  consentError: 'Confirm that your relative agrees to be registered',
  submitText: 'Register my relative',
});
