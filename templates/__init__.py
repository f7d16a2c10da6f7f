"""Report templates (jinja2), installed as `auditor.templates`."""
