"""Value kinds every layer uses, below the config model: `secret_text` (a secret value as
a recipe). Nothing is imported here."""
