"""Dock and dialog widgets composed by :mod:`app.window`."""
