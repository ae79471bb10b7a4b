"""The PDF form templates (forms/) and the web pages (web/), shipped as the package
`handover_templates` and read with importlib.resources."""
