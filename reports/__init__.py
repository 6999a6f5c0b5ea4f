"""Renders a finished conformance result: HTML, Markdown, JUnit XML and JSON."""
