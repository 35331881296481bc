"""A tiny estate of its own, built from the components through their Args alone.

Two workloads (a web front and an API holding one secret), Prometheus and Alertmanager,
the edge and the NetworkPolicies, in a namespace with its guardrails. It has no stack file
of the Shiksha Setu estate and never touches its config model's loader: it writes the specs
it needs itself. `modules` exports what of `components` the run imported, so the test can
tell which layers a reuser pulls in.
"""

import sys

import pulumi
import pulumi_kubernetes as k8s

from components.config.edge import EdgeSpec
from components.config.ingress import IngressSpec
from components.config.namespace import NamespaceSpec
from components.config.network import NetworkSpec
from components.config.secrets import EstateSecrets
from components.config.secrets_source import SecretsSpec
from components.config.workloads import (
    ComputeResources,
    ProbeSpec,
    ProbesSpec,
    ResourcesSpec,
    SecuritySpec,
    WorkloadSpec,
)
from components.ingress_with_headers import IngressWithHeaders, IngressWithHeadersArgs
from components.kube.ingress import Backend, EdgePath, EdgePlan
from components.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.plan.files import ConfigFiles
from components.plan.network import NetworkIntent, Route
from components.plan.workload import PlannedWorkload
from components.platform_namespace import PlatformNamespace, PlatformNamespaceArgs
from components.resources.secret_objects import SecretSink
from components.secure_deployment import SecureDeployment, SecureDeploymentArgs
from components.values.secret_text import secret
from components.zero_trust_network import ZeroTrustNetwork, ZeroTrustNetworkArgs

config = pulumi.Config()
NAMESPACE = config.require("namespace")
PART_OF = "reuse-demo"
# The test's control plane has no kubelet: nothing ever becomes ready.
SKIP_AWAIT = config.get_bool("skipAwait") or False
# A deliberate violation the policy pack must refuse (the test's negative control).
PLANT = config.get("plant")

provider = k8s.Provider("kubernetes", context=config.get("context"), enable_server_side_apply=True)
with_provider = pulumi.ResourceOptions(providers=[provider])


def resources(cpu: str, memory: str) -> ResourcesSpec:
    return ResourcesSpec(
        requests=ComputeResources(cpu=cpu, memory=memory), limits=ComputeResources(cpu=cpu, memory=memory)
    )


def http_probes(path: str) -> ProbesSpec:
    return ProbesSpec(
        readiness=ProbeSpec(http_path=path, port="http"), liveness=ProbeSpec(http_path=path, port="http")
    )


web_security = (
    SecuritySpec(run_as_non_root=False, opt_out_reason="planted: the policy pack must refuse this")
    if PLANT == "run-as-root"
    else SecuritySpec()
)
web = WorkloadSpec(
    component="web",
    image="web",
    replicas=2,
    ports={"http": 8080},
    connects_to=["api"],
    resources=resources("100m", "64Mi"),
    probes=http_probes("/"),
    writable_paths=["/tmp"],
    security=web_security,
)
api = WorkloadSpec(
    component="api",
    image="api",
    replicas=2,
    ports={"http": 8000, "metrics": 9100},
    resources=resources("200m", "128Mi"),
    probes=http_probes("/health"),
)


def monitor(name: str, port: int, data: str, flags: list[str], cpu: str, memory: str) -> WorkloadSpec:
    """Prometheus or Alertmanager: one replica, its config file, its data on an emptyDir."""
    return WorkloadSpec(
        component="monitoring",
        image=name,
        replicas=1,
        args=[f"--config.file=/etc/{name}/{name}.yml", *flags],
        ports={"http": port},
        resources=resources(cpu, memory),
        probes=http_probes("/-/ready"),
        writable_paths=[data, "/tmp"],
    )


prometheus = monitor("prometheus", 9090, "/prometheus", ["--storage.tsdb.path=/prometheus"], "100m", "256Mi")
alertmanager = monitor("alertmanager", 9093, "/alertmanager", ["--storage.path=/alertmanager"], "50m", "64Mi")

PROMETHEUS_YML = f"""\
global: {{scrape_interval: 30s}}
rule_files: [/etc/prometheus/rules/*.yml]
alerting:
  alertmanagers: [{{static_configs: [{{targets: ["alertmanager.{NAMESPACE}.svc:9093"]}}]}}]
scrape_configs:
  - job_name: api
    static_configs: [{{targets: ["api.{NAMESPACE}.svc:9100"]}}]
"""
RULES_YML = """\
groups:
  - name: reuse-demo
    rules:
      - alert: ApiDown
        expr: up{job="api"} == 0
        for: 5m
        labels: {severity: page}
        annotations: {summary: "the API is not answering its scrapes"}
"""
ALERTMANAGER_YML = """\
route: {receiver: nobody}
receivers: [{name: nobody}]
"""

namespace = PlatformNamespace(
    "reuse", PlatformNamespaceArgs(NamespaceSpec(name=NAMESPACE), PART_OF), opts=with_provider
)
sink = SecretSink(SecretsSpec(), EstateSecrets({"apiToken": config.require_secret("apiToken")}))

images = {
    "web": "docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine",
    "api": "ghcr.io/example/reuse-api:1.0.0",
}
deployments = {
    "web": SecureDeployment(
        "web",
        SecureDeploymentArgs(
            spec=web, namespace=namespace.name, image=images["web"], part_of=PART_OF, skip_await=SKIP_AWAIT
        ),
        opts=with_provider,
    ),
    "api": SecureDeployment(
        "api",
        SecureDeploymentArgs(
            spec=api,
            namespace=namespace.name,
            image=images["api"],
            part_of=PART_OF,
            version="1.0.0",
            secret_env={"API_TOKEN": secret("apiToken")},
            skip_await=SKIP_AWAIT,
            secrets=sink,
        ),
        opts=with_provider,
    ),
}

monitoring = MonitoringStack(
    "monitoring",
    MonitoringStackArgs(
        namespace=namespace.name,
        workloads={
            "prometheus": PlannedWorkload(
                "prometheus",
                prometheus,
                "monitoring",
                "quay.io/prometheus/prometheus:v3.5.0",
                (
                    ConfigFiles("config", "/etc/prometheus", {"prometheus.yml": PROMETHEUS_YML}),
                    ConfigFiles("rules", "/etc/prometheus/rules", {"reuse.yml": RULES_YML}),
                ),
            ),
            "alertmanager": PlannedWorkload(
                "alertmanager",
                alertmanager,
                "monitoring",
                "quay.io/prometheus/alertmanager:v0.28.1",
                (ConfigFiles("config", "/etc/alertmanager", {"alertmanager.yml": ALERTMANAGER_YML}),),
            ),
        },
        secrets=sink,
        part_of=PART_OF,
        skip_await=SKIP_AWAIT,
    ),
    opts=with_provider,
)

ingress = IngressSpec(mode="ingress-nginx")
edge = EdgeSpec(
    hosts=["reuse.example.test"],
    routes={"/": {"backend": "web", "port": "http"}},
    ml_paths=[],
    stream_paths=[],
    websocket_paths=[],
)
IngressWithHeaders(
    "edge",
    IngressWithHeadersArgs(
        namespace=NAMESPACE,
        edge=edge,
        paths=EdgePlan(standard=[EdgePath("/", Backend("web", 8080))], ml=[], streaming=[]),
        part_of=PART_OF,
        ingress=ingress,
        skip_await=SKIP_AWAIT,
    ),
    opts=pulumi.ResourceOptions(providers=[provider], depends_on=[namespace]),
)

network = ZeroTrustNetwork(
    "network",
    ZeroTrustNetworkArgs(
        NetworkIntent(
            namespace=NAMESPACE,
            part_of=PART_OF,
            spec=NetworkSpec(),
            workloads={"web": web, "api": api, "prometheus": prometheus, "alertmanager": alertmanager},
            controller_namespace_labels=ingress.controller_namespace_labels(),
            routes=[Route("web", "http")],
            scrape_targets=[("api", "metrics"), ("alertmanager", "http")],
        ),
        namespace.name,
    ),
    opts=with_provider,
)

pulumi.export("namespace", namespace.name)
pulumi.export("services", {name: d.service_name for name, d in deployments.items()})
pulumi.export("prometheus", monitoring.prometheus_service)
pulumi.export("policies", network.policy_names)
pulumi.export("modules", sorted(m for m in sys.modules if m == "components" or m.startswith("components.")))
