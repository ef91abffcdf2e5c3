// Server-rendered pages: GOV.UK Frontend's components enhance what already works without
// scripts (the error summary takes focus, the skip link moves focus, buttons debounce).
import { initAll } from '/vendor/govuk-frontend/govuk-frontend.min.js';

initAll();
