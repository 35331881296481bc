"""SecureDeployment: one typed workload spec in, a hardened workload out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.config.images import label_version
from components.config.workloads import WorkloadSpec
from components.kube.config_objects import config_checksum
from components.kube.disruption import hpa_spec, pdb_spec
from components.kube.labels import recommended_labels, selector_labels
from components.kube.metadata import SKIP_AWAIT, metadata
from components.kube.pod import VolumeMount, pod_template
from components.kube.service import service_spec
from components.kube.workload import deployment_spec, statefulset_spec
from components.plan.files import ConfigFiles
from components.plan.workload import PlannedWorkload
from components.resources.secret_objects import SECRET_KEYS, SecretSink
from components.values.secret_text import SecretText

__all__ = ["SECRET_KEYS", "ConfigFiles", "SecureDeployment", "SecureDeploymentArgs"]

CHECKSUM = "checksum/config"


@dataclass(frozen=True)
class SecureDeploymentArgs:
    """One workload: its spec (whose defaults are the hardened values), where it runs and from
    which image, its files and secret env. Nothing of an estate: a program of its own builds
    these from a WorkloadSpec it writes."""

    spec: WorkloadSpec
    namespace: pulumi.Input[str]
    image: pulumi.Input[str]
    # The app.kubernetes.io/part-of label and the prefix of the instance label.
    part_of: str
    # The app.kubernetes.io/version label; None leaves it out.
    version: str | None = None
    files: Sequence[ConfigFiles] = ()
    # Env var -> secret value; reaches the pod only through a Kubernetes Secret.
    secret_env: Mapping[str, SecretText] = field(default_factory=dict)
    # True only where nothing answers (a render target): otherwise `up` waits for readiness.
    skip_await: bool = False
    # Who writes the Secrets: Pulumi (from secret config) or the External Secrets Operator.
    # Required as soon as `files` holds a secret group or `secret_env` is not empty.
    secrets: SecretSink | None = None

    @classmethod
    def planned(
        cls,
        workload: PlannedWorkload,
        namespace: pulumi.Input[str],
        image: pulumi.Input[str],
        secrets: SecretSink,
        *,
        part_of: str,
        version: str | None,
        skip_await: bool = False,
    ) -> SecureDeploymentArgs:
        """The args of one planned workload: its spec, files and secret recipes. A pinned
        reference says its own version; a build (an Output) is labelled with `version`."""
        return cls(
            spec=workload.spec,
            namespace=namespace,
            image=image,
            part_of=part_of,
            version=label_version(image) if isinstance(image, str) else version,
            files=workload.files,
            secret_env=workload.secret_env,
            skip_await=skip_await,
            secrets=secrets,
        )


class SecureDeployment(pulumi.ComponentResource):
    """ServiceAccount, Deployment or StatefulSet, Service, PDB and HPA for one workload.

    Every default is the hardened production value; loosening needs an explicit,
    reasoned opt-out in the spec, which stays visible on the pod template.
    """

    service_name: pulumi.Output[str]
    service_account_name: pulumi.Output[str]
    workload_name: pulumi.Output[str]

    def __init__(self, name: str, args: SecureDeploymentArgs, opts: pulumi.ResourceOptions | None = None):
        secret_groups = [f"{name}-{f.name}" for f in args.files if f.secret]
        secret_groups += [f"{name}-env"] if args.secret_env else []
        if secret_groups and args.secrets is None:
            # Checked before anything is registered.
            raise ValueError(
                f"SecureDeployment {name}: SecureDeploymentArgs.secrets is required for the secret "
                f"values of {', '.join(secret_groups)} (a SecretSink says who writes the Secrets)"
            )
        super().__init__("shiksha:index:SecureDeployment", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        labels = recommended_labels(name, spec.component, args.part_of, args.version)
        selector = selector_labels(name, args.part_of)
        object_annotations = {SKIP_AWAIT: "true"} if args.skip_await else {}

        account = k8s.core.v1.ServiceAccount(
            name,
            metadata=metadata(name, args.namespace, labels),
            automount_service_account_token=spec.automount_token_reason is not None,
            opts=child,
        )

        def secret(object_name: str, values: Mapping[str, SecretText]) -> None:
            assert args.secrets is not None
            args.secrets.secret(object_name, args.namespace, labels, values, child)

        mounts: list[VolumeMount] = []
        plain_files = []
        for files in args.files:
            object_name = f"{name}-{files.name}"
            if files.secret:
                secret(object_name, files.secret_values())
            else:
                data = files.plain_values()
                k8s.core.v1.ConfigMap(
                    object_name,
                    metadata=metadata(object_name, args.namespace, labels),
                    data=data,
                    immutable=False,
                    opts=child,
                )
                plain_files.append(data)
            mounts.append(VolumeMount(files.name, object_name, files.mount_path, files.secret))

        secret_env: dict[str, tuple[pulumi.Input[str], str]] = {}
        if args.secret_env:
            env_secret = f"{name}-env"
            secret(env_secret, args.secret_env)
            secret_env = {var: (env_secret, var) for var in args.secret_env}

        template = pod_template(
            name,
            spec,
            args.image,
            labels,
            selector,
            service_account=name,
            annotations={CHECKSUM: config_checksum(*plain_files)},
            mounts=mounts,
            secret_env=secret_env,
        )

        workload: k8s.apps.v1.Deployment | k8s.apps.v1.StatefulSet
        if spec.kind == "StatefulSet":
            workload = k8s.apps.v1.StatefulSet(
                name,
                metadata=metadata(name, args.namespace, labels, object_annotations),
                spec=statefulset_spec(spec, selector, template, service_name=name),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
            )
        else:
            workload = k8s.apps.v1.Deployment(
                name,
                metadata=metadata(name, args.namespace, labels, object_annotations),
                spec=deployment_spec(spec, selector, template),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
            )

        service_name = pulumi.Output.from_input(name)
        if spec.ports:
            service = k8s.core.v1.Service(
                name,
                metadata=metadata(name, args.namespace, labels, object_annotations),
                spec=service_spec(spec, selector),
                opts=child,
            )
            service_name = service.metadata.apply(lambda _meta: name)

        if spec.pdb_wanted:
            k8s.policy.v1.PodDisruptionBudget(
                name,
                metadata=metadata(name, args.namespace, labels),
                spec=pdb_spec(spec, selector),
                opts=child,
            )
        if spec.autoscaling is not None:
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                name,
                metadata=metadata(name, args.namespace, labels),
                spec=hpa_spec(spec, spec.kind, name),
                opts=child,
            )

        self.service_name = service_name
        self.service_account_name = pulumi.Output.from_input(name)
        self.workload_name = workload.metadata.apply(lambda _meta: name)
        self.register_outputs(
            {
                "serviceName": self.service_name,
                "serviceAccountName": self.service_account_name,
                "workloadName": self.workload_name,
            }
        )
