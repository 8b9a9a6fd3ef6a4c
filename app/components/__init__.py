"""Dashboard building blocks: settings, live-training controller, views, figure builders."""
