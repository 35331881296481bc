"""The pure plan of the estate (components/plan/estate.py: plan(config) -> EstatePlan):
the platform workloads wired (wiring.py), the monitoring ones (monitoring.py), the
network intent (network.py), and the gate's checks that need them (checks.py).

Nothing is imported here on purpose: the components, the targets and the pure builders
import the one module of the plan they need (files, workload, network, volumes,
monitoring), and importing the package must not load estate.py, which imports the
wiring (wiring.py) and, through monitoring.py, the renderers.
"""
