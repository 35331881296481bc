"""Pure builders of Kubernetes objects as plain dicts, one module per kind.

Components register what these return; tests, the policy pack's fixtures and the
benchmarks use the same dicts, so every object is built in exactly one place.
"""
