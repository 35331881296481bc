"""One rule = one policy: its check, its metadata, and the wiring into pulumi-policy.

Metadata (severity, frameworks, remediation text) lives beside each rule so a reader of
one module sees everything that policy promises; this module turns rules into
ResourceValidationPolicy / StackValidationPolicy objects that apply exemptions uniformly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import engine_log, exemptions
from .kube import describe
from .props import UndecidableError, plain, to_wire


@dataclass(frozen=True)
class Finding:
    """One failed field: the message names the exact path and, when relevant, the container."""

    path: str
    problem: str
    container: str | None = None
    urn: str | None = None  # stack rules point at the offending resource

    def render(self, subject: str) -> str:
        where = f", container '{self.container}'" if self.container else ""
        return f"{subject}{where}: {self.path} {self.problem}"


@dataclass(frozen=True)
class Framework:
    name: str
    reference: str
    version: str | None = None


PSS = "Kubernetes Pod Security Standards"
CIS = "CIS Kubernetes Benchmark"
NSA = "NSA/CISA Kubernetes Hardening Guidance"
CIS_DOCKER = "CIS Docker Benchmark"


@dataclass(frozen=True)
class Subject:
    """What a resource rule sees: the type token, plain inputs and names."""

    resource_type: str
    props: dict[str, Any]
    name: str
    urn: str

    @property
    def label(self) -> str:
        return describe(self.resource_type, self.props, self.name)


@dataclass(frozen=True)
class StackResource:
    resource_type: str
    props: dict[str, Any]
    name: str
    urn: str


ResourceCheck = Callable[[Subject, Mapping[str, Any]], Iterable[Finding]]
StackCheck = Callable[[list[StackResource], Mapping[str, Any]], Iterable[tuple[str, Finding]]]
Remediation = Callable[[str, dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    severity: Severity
    remediation_steps: str
    frameworks: tuple[Framework, ...]
    enforcement: EnforcementLevel = EnforcementLevel.ADVISORY
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    remediate: Remediation | None = None
    tags: tuple[str, ...] = ()
    # Cheap test on the type token, so a rule skips resources it never judges before the
    # inputs are copied (the copy is most of the pack's own cost).
    applies_to: Callable[[str], bool] | None = None
    extra_config: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def config_schema(self) -> PolicyConfigSchema:
        return PolicyConfigSchema(
            properties={"exemptions": exemptions.SCHEMA, **self.extra_config},
        )

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.extra_config.items() if "default" in v}

    def framework(self) -> PolicyComplianceFramework:
        # pulumi-policy carries one framework per policy; the first is the primary control,
        # the rest are named in the reference so none is lost.
        first = self.frameworks[0]
        refs = "; ".join(f"{f.name}: {f.reference}" for f in self.frameworks)
        return PolicyComplianceFramework(name=first.name, version=first.version, reference=refs)

    # Used by tests and the bench as well as the engine path: same code either way.
    def evaluate(self, subject: Subject, config: Mapping[str, Any] | None = None) -> list[Finding]:
        assert self.check is not None
        if self.applies_to is not None and not self.applies_to(subject.resource_type):
            return []
        return list(self.check(subject, {**self.defaults(), **(config or {})}))

    def evaluate_stack(
        self, resources: list[StackResource], config: Mapping[str, Any] | None = None
    ) -> list[tuple[str, Finding]]:
        assert self.stack_check is not None
        return list(self.stack_check(resources, {**self.defaults(), **(config or {})}))

    def to_policy(self) -> ResourceValidationPolicy | StackValidationPolicy:
        common: dict[str, Any] = dict(
            name=self.name,
            description=self.description,
            enforcement_level=self.enforcement,
            config_schema=self.config_schema(),
            severity=self.severity,
            framework=self.framework(),
            tags=list(self.tags) or None,
            remediation_steps=self.remediation_steps,
        )
        if self.stack_check is not None:
            return StackValidationPolicy(validate=self._validate_stack, **common)
        # The SDK accepts a plain return value at run time; its annotation asks for an awaitable.
        remediate = cast(Any, self._remediate) if self.remediate is not None else None
        return ResourceValidationPolicy(validate=self._validate_resource, remediate=remediate, **common)

    def _validate_resource(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if self.applies_to is not None and not self.applies_to(args.resource_type):
            return
        subject = Subject(args.resource_type, plain(args.props), args.name, args.urn)
        config = plain(args.get_config())
        try:
            findings = self.evaluate(subject, config)
        except UndecidableError:
            engine_log.warn(
                f"policy '{self.name}' could not decide {subject.label} during preview "
                "(unknown values); it will be judged once the values are known",
                args.urn,
            )
            return
        if not findings:
            return
        waiver = exemptions.find(config, self.name, args.urn, args.name)
        if waiver is not None:
            exemptions.record(self.name, args.urn, args.name, waiver, len(findings))
            return
        for f in findings:
            report(f.render(subject.label), None)

    def _validate_stack(self, args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [StackResource(r.resource_type, plain(r.props), r.name, r.urn) for r in args.resources]
        config = plain(args.get_config())
        try:
            results = self.evaluate_stack(resources, config)
        except UndecidableError:
            engine_log.warn(
                f"policy '{self.name}' could not decide the stack during preview (unknown values)"
            )
            return
        for label, f in results:
            urn = f.urn or ""
            name = urn.rsplit("::", 1)[-1] if urn else ""
            waiver = exemptions.find(config, self.name, urn, name)
            if waiver is not None:
                exemptions.record(self.name, urn, name, waiver, 1)
                continue
            report(f.render(label), f.urn)

    def _remediate(self, args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        assert self.remediate is not None
        props = plain(args.props, keep_secrets=True)
        if exemptions.find(plain(args.get_config()), self.name, args.urn, args.name):
            return None
        fixed = self.remediate(args.resource_type, props)
        return to_wire(fixed) if fixed is not None else None
