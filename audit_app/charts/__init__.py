"""Server-rendered SVG pictures; each has a text alternative and a data table beside it."""
