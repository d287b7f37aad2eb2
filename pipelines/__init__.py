"""Pipelines: one module per source or job, each fetch → save → run."""
