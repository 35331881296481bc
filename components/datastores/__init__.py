"""The datastores: one module each holds everything the estate knows of it (settings,
roles, image, secrets, client URLs, files, exporter, alerts, production workloads), and
registry.py answers the questions the rest of the estate asks about them."""

# The config model inherits the datastores' settings and these modules build on its leaf
# modules: loading the config package first keeps whichever is imported first whole.
import components.config  # noqa: F401
