// Front Door Audit: the journey timeline writes the details of the element under the
// pointer or with keyboard focus beneath the picture (the SVG <title> shows them on hover
// too). Delegated from the document, so it keeps working after htmx swaps the journey in.
function show (event) {
  const item = event.target.closest && event.target.closest('.fda-tl-item')
  const readout = document.getElementById('tl-readout')
  if (item && readout) {
    readout.textContent = item.getAttribute('data-detail') || ''
  }
}

document.addEventListener('focusin', show)
document.addEventListener('mouseover', show)
