"""Routes grouped by user task."""
