"""Views of the cases feature."""
