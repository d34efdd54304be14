// Front Door Audit: start GOV.UK Frontend's components. Loaded as a module, so it runs
// only in browsers that GOV.UK Frontend supports, after the document is parsed.
import { initAll } from './govuk/govuk-frontend.min.js'

initAll()

// Content that htmx swaps in needs its components started too; initAll on the new
// fragment only touches elements not already initialised.
document.body.addEventListener('htmx:load', (event) => {
  if (event.target !== document.body) {
    initAll({ scope: event.target })
  }
})
