// Server-rendered pages: GOV.UK Frontend's components enhance what already works without
// scripts (the error summary takes focus, the skip link moves focus, buttons debounce).
import { initAll } from '/vendor/govuk-frontend/govuk-frontend.min.js';

// Every button that sends a form ignores a second click within a second (GOV.UK Frontend's
// Button, `preventDoubleClick`): an outside check's double clicks raised a concern twice,
// referred a diner twice and added the same dates away twice. Set here for every form, rather
// than on each macro call, so that no new form forgets it.
for (const button of document.querySelectorAll('form [data-module="govuk-button"]')) {
  button.setAttribute('data-prevent-double-click', 'true');
}

initAll();
