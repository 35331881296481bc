"""The pure plan of the estate (components/plan/estate.py: plan(config) -> EstatePlan):
the platform workloads wired (wiring.py), the monitoring ones (monitoring.py), the
network intent (network.py), and the gate's checks that need them (checks.py).

Nothing is imported here: importing one module of the plan (files.py, say) loads no other.
"""
