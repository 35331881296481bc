"""Pure functions from typed config to the text of a configuration file."""
