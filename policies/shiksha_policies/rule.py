"""One rule = one policy: its check, its metadata, and the wiring into pulumi-policy.

Metadata (severity, frameworks, remediation text) lives beside each rule so a reader of
one module sees everything that policy promises; this module turns rules into
ResourceValidationPolicy / StackValidationPolicy objects that apply exemptions uniformly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
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
from .kube import LIST, PATCH, describe, split_variant
from .props import UndecidableError, is_unknown, plain, to_wire


@dataclass(frozen=True)
class Finding:
    """One failed field: the message names the exact path and, when relevant, the container.

    expected: set for a wrong-typed field ("a string"); the problem then says what was found.
    item: the list item judged ("items[2] Deployment team/api") when the resource is a List."""

    path: str
    problem: str
    container: str | None = None
    urn: str | None = None  # stack rules point at the offending resource
    expected: str | None = None
    item: str | None = None

    def render(self, subject: str) -> str:
        where = f", container '{self.container}'" if self.container else ""
        item = f", {self.item}" if self.item else ""
        if self.expected:
            return f"{subject}{item}{where}: expected {self.expected} at {self.path}, found {self.problem}"
        return f"{subject}{item}{where}: {self.path} {self.problem}"


@dataclass(frozen=True)
class Framework:
    name: str
    reference: str
    version: str | None = None


PSS = "Kubernetes Pod Security Standards"
CIS = "CIS Kubernetes Benchmark"
NSA = "NSA/CISA Kubernetes Hardening Guidance"
CIS_DOCKER = "CIS Docker Benchmark"


def cis(item: str) -> Framework:
    """A CIS Kubernetes Benchmark (v1.9) item."""
    return Framework(CIS, item, "1.9")


@dataclass(frozen=True)
class Subject:
    """One resource as a rule sees it: the type token, plain inputs and names.

    Stack rules see the same type (a List arrives as its items, each a Subject of the item
    kind). `cache` holds what several rules derive from the same inputs (the sanitized
    pod), computed once per resource rather than once per policy."""

    resource_type: str
    props: dict[str, Any]
    name: str
    urn: str
    item: str | None = None
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        return describe(self.resource_type, self.props, self.name)

    @property
    def partial(self) -> bool:
        """A Patch type: judged only on the fields it sets (unset is not a violation)."""
        return split_variant(self.resource_type)[1] == PATCH


# Stack rules take the same view of each resource.
StackResource = Subject


def subjects(resource_type: str, props: Any, name: str, urn: str) -> Iterator[Subject | Finding]:
    """The subjects one resource yields: itself, or for a List type each item (a Finding
    when `items` or an item has the wrong shape, so nothing escapes unjudged)."""
    base, variant = split_variant(resource_type)
    if variant != LIST:
        yield Subject(resource_type, props if isinstance(props, dict) else {}, name, urn)
        return
    items = props.get("items") if isinstance(props, dict) else None
    if is_unknown(items) or items is None:
        return
    if not isinstance(items, list):
        yield Finding("items", "something else", expected="a list")
        return
    for i, obj in enumerate(items):
        if is_unknown(obj):
            continue
        if not isinstance(obj, dict):
            yield Finding(f"items[{i}]", "something else", expected="an object")
            continue
        item = f"items[{i}] {describe(base, obj, name).split(' (pulumi name')[0]}"
        yield Subject(base, obj, name, urn, item)


# The text of a violation reported when a check itself failed; tests assert it never appears.
CRASH = "this policy could not judge the inputs"


def expand(resources: Iterable[Subject]) -> list[Subject]:
    """Stack rules see a List type as its items (Patch types keep their token: `partial`)."""
    out: list[Subject] = []
    for r in resources:
        base, variant = split_variant(r.resource_type)
        if variant != LIST:
            out.append(r)
            continue
        items = r.props.get("items")
        for i, item in enumerate(items if isinstance(items, list) else [items]):
            if is_unknown(item):
                # Not known during preview: an item whose every field is unknown, so stack
                # rules give it the benefit of the doubt.
                out.append(Subject(base, {"metadata": item, "spec": item}, r.name, r.urn, f"items[{i}]"))
        out += [s for s in subjects(r.resource_type, r.props, r.name, r.urn) if isinstance(s, Subject)]
    return out


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

    def applies(self, resource_type: str) -> bool:
        return self.applies_to is None or self.applies_to(split_variant(resource_type)[0])

    def judge(self, subject: Subject, config: Mapping[str, Any]) -> list[tuple[str, Finding]]:
        """(label, finding) for one resource as the engine sends it; a List is judged item
        by item, each finding naming its item. `config` already holds the defaults."""
        assert self.check is not None
        base, variant = split_variant(subject.resource_type)
        if self.applies_to is not None and not self.applies_to(base):
            return []
        if variant != LIST:
            return [(subject.label, f) for f in self.check(subject, config)]
        out: list[tuple[str, Finding]] = []
        for s in subjects(subject.resource_type, subject.props, subject.name, subject.urn):
            if isinstance(s, Finding):
                out.append((subject.label, s))
                continue
            out += [
                (subject.label, replace(f, path=f"{(s.item or '').split(' ')[0]}.{f.path}", item=s.item))
                for f in self.check(s, config)
            ]
        return out

    # Used by tests and the bench as well as the engine path: same code either way.
    def evaluate(self, subject: Subject, config: Mapping[str, Any] | None = None) -> list[Finding]:
        return [f for _, f in self.judge(subject, {**self.defaults(), **(config or {})})]

    def evaluate_stack(
        self, resources: list[Subject], config: Mapping[str, Any] | None = None
    ) -> list[tuple[str, Finding]]:
        assert self.stack_check is not None
        return list(self.stack_check(expand(resources), {**self.defaults(), **(config or {})}))

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
        # The stock pulumi-policy path (the pack's own servicer calls validate_subject directly).
        if not self.applies(args.resource_type):
            return
        subject = Subject(args.resource_type, plain(args.props), args.name, args.urn)
        self.validate_subject(subject, {**self.defaults(), **plain(args.get_config())}, report)

    def validate_subject(self, subject: Subject, config: Mapping[str, Any], report: ReportViolation) -> None:
        """Judges one resource (`config` holds the defaults already) and reports its
        findings; never raises: a check that fails on an input nobody foresaw reports that
        as a violation (fail closed), so the RPC and every other policy still answer."""
        try:
            results = self.judge(subject, config)
        except UndecidableError:
            engine_log.warn(
                f"policy '{self.name}' could not decide {subject.label} during preview "
                "(unknown values); it will be judged once the values are known",
                subject.urn,
            )
            return
        except Exception as exc:
            report(f"{subject.label}: {CRASH} ({type(exc).__name__}: {str(exc)[:200]})", None)
            return
        if not results:
            return
        waiver = exemptions.find(config, self.name, subject.urn, subject.name)
        if waiver is not None:
            exemptions.record(self.name, subject.urn, subject.name, waiver, len(results))
            return
        for label, f in results:
            report(f.render(label), None)

    def _validate_stack(self, args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [Subject(r.resource_type, plain(r.props), r.name, r.urn) for r in args.resources]
        self.validate_stack(resources, plain(args.get_config()), report)

    def validate_stack(
        self, resources: list[Subject], config: Mapping[str, Any], report: ReportViolation
    ) -> None:
        try:
            results = self.evaluate_stack(resources, config)
        except UndecidableError:
            engine_log.warn(
                f"policy '{self.name}' could not decide the stack during preview (unknown values)"
            )
            return
        except Exception as exc:
            report(f"the stack: {CRASH} ({type(exc).__name__}: {str(exc)[:200]})", None)
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
