"""The datastores, in two layers (docs/datastores.md).

Below the config model: each datastore's settings (`<datastore>/settings.py`: its
pydantic models, role names, secret keys, exporter) and `settings.py`, which gathers them
for the model. Above it: each datastore's behaviour (`<datastore>/`: files, wiring,
checks, exporter, alerts, production workloads) and `registry.py`, which answers the
questions the rest of the estate asks about them.

Nothing is imported here: importing a settings module must not load the behaviour.
"""
