"""Server-rendered pages (STYLE.md "Pages"): Jinja2 templates on one GOV.UK layout."""
