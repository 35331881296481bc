"""What the targets and components register that is not a component of its own: who writes a
Secret (secret_objects.py) and the estate's image builds (images.py)."""
