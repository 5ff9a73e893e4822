// Starts GOV.UK Frontend and MOJ Frontend components. Loaded as a module, so browsers too
// old for them skip it and get the plain HTML pages, which work on their own.
import { initAll } from "/static/dist/govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();
