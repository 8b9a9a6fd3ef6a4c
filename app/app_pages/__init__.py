"""Dashboard pages (one file per page, layout only)."""
