"""Redis (docs/datastores.md): settings.py is the config model's leaf; datastore.py
gathers the behaviour. Nothing is imported here: importing the settings must not load it."""
