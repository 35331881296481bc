"""Reusable ComponentResources of the Shiksha Setu estate and what they need."""
