"""Inline widgets (anywidget): the live run panel; tables and comparison build on the same pieces."""
