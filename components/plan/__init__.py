"""The pure plan of the estate (components/plan/estate.py: plan(config) -> EstatePlan).

Nothing is imported here on purpose: components.plan.files is imported by the Pulumi
components, and the plan's modules import the wiring, which imports those components'
module for ConfigFiles until it takes it from components.plan.files.
"""
