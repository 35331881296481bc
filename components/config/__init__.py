"""The estate's configuration: one pydantic model tree (estate.py) and the gate that loads
it from the stack config (loader.py).

Nothing is imported here, so that importing any part of the model (a `WorkloadSpec`, say)
loads neither the loader, nor Pulumi, nor the datastores' behaviour: the loader sits above
the datastores and the plan, whose checks it runs (docs/architecture.md).
"""
