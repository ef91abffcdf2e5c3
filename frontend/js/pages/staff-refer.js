import { requireRole } from '../ui.js';
import { dinerForm } from '../diner-form.js';

await requireRole('staff');
dinerForm(document.getElementById('diner-form'), {
  path: '/api/staff/diners',
  onCreated: (diner) => { location.href = `/staff/diner.html?id=${diner.id}&referred=1`; },
  consentText: 'The diner agrees to be registered, and to their details being shared with the council and with their cook.',
  consentError: 'Confirm that the diner agrees to be registered',
  submitText: 'Refer this diner',
  aboutTitle: 'About the diner',
});
