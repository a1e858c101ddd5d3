"""Text test beds."""
