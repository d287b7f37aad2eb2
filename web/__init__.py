"""Web layer: the FastAPI app, its routes, templates and vendored static files."""
