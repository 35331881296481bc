"""The schema the SDK infers from provider/exported.py, without the engine: the package keeps
the estate's type tokens, and each input and output is what the components take and give."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.provider.experimental.component import ComponentProvider

from components import ingress_with_headers, platform_namespace, secure_deployment, zero_trust_network
from provider.exported import COMPONENTS, PACKAGE, VERSION


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    text = ComponentProvider(COMPONENTS, PACKAGE, None, VERSION).schema
    assert text is not None, "the component provider inferred no schema"
    return dict(json.loads(text))


def test_the_package_serves_the_estates_type_tokens(schema: dict[str, Any]) -> None:
    assert schema["name"] == "shiksha"
    # The tokens the estate's own classes register (their super().__init__ type), not new ones.
    estate = {
        cls.__name__: cls
        for cls in (
            platform_namespace.PlatformNamespace,
            secure_deployment.SecureDeployment,
            zero_trust_network.ZeroTrustNetwork,
            ingress_with_headers.IngressWithHeaders,
        )
    }
    assert set(schema["resources"]) == {f"shiksha:index:{name}" for name in estate}
    for cls in COMPONENTS:
        assert estate[cls.__name__] in cls.__mro__, f"{cls.__name__} is not the estate's component"


def test_inputs_and_outputs(schema: dict[str, Any]) -> None:
    resources = schema["resources"]
    deployment = resources["shiksha:index:SecureDeployment"]
    assert sorted(deployment["requiredInputs"]) == ["image", "namespace", "partOf", "spec"]
    assert set(deployment["inputProperties"]) == {
        "namespace",
        "image",
        "partOf",
        "spec",
        "version",
        "skipAwait",
        "secretEnv",
    }
    # An Output from another resource may feed the namespace and the image.
    assert "plain" not in deployment["inputProperties"]["namespace"]
    assert "plain" not in deployment["inputProperties"]["image"]
    # A secret value is an Output: each value of secretEnv must take one.
    assert "plain" not in deployment["inputProperties"]["secretEnv"]["additionalProperties"]
    assert set(deployment["properties"]) == {"serviceName", "serviceAccountName", "workloadName"}
    network = resources["shiksha:index:ZeroTrustNetwork"]
    assert sorted(network["requiredInputs"]) == ["namespace", "partOf", "workloads"]
    assert network["inputProperties"]["routes"]["items"]["$ref"] == "#/types/shiksha:index:EdgeRoute"
    assert set(schema["types"]["shiksha:index:EdgeRoute"]["properties"]) == {"backend", "port"}
    assert set(network["properties"]) == {"policyNames"}
    assert set(resources["shiksha:index:PlatformNamespace"]["properties"]) == {"name"}
    edge = resources["shiksha:index:IngressWithHeaders"]
    assert sorted(edge["requiredInputs"]) == ["namespace", "partOf", "services"]
    assert set(edge["inputProperties"]) == {"namespace", "partOf", "services", "edge", "skipAwait"}
    # Service -> port name -> number; the edge spec is free-form, checked by EdgeSpec.
    assert (
        edge["inputProperties"]["services"]["additionalProperties"]["additionalProperties"]["type"]
        == "integer"
    )
    assert edge["inputProperties"]["edge"]["$ref"] == "pulumi.json#/Any"
    # Written into annotations as text: a plain string, never another resource's Output.
    assert edge["inputProperties"]["namespace"]["plain"] is True
    # Not exported: its workloads are planned from the whole estate config.
    assert "shiksha:index:MonitoringStack" not in resources
