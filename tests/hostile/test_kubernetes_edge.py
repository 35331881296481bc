"""Hostile values for the Kubernetes edge (Gateway API or ingress-nginx objects and their
annotations): refused by the model with the key (and the annotation) named and nothing
registered, or registered as objects the API server's schemas accept, with the value
written as it was given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest

from components.config.defaults import deep_merge
from components.config.ingress import component_annotations
from components.config.loader import parse_estate
from tests.ingress.support import edge_objects, validate_custom_resource
from tests.support.lists import replacing
from tests.support.program import run_program

from .hostile import HOSTILE, refusal

KUBERNETES_VERSION = "1.34.0"
MODES = ("gateway-api", "ingress-nginx")


def _mode(mode: str, values: dict[str, Any]) -> dict[str, Any]:
    ingress = {**values.get("ingress", {}), "mode": mode}
    return {**values, "ingress": ingress}


def _validate(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        if obj["apiVersion"].startswith(("gateway.networking.k8s.io/", "gateway.envoyproxy.io/")):
            validate_custom_resource(obj)
        else:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def _registered(values: dict[str, Any]) -> list[dict[str, Any]]:
    snapshot = run_program("prod", overrides={f"shiksha-setu:{k}": v for k, v in values.items()})
    objects = edge_objects(snapshot)
    _validate(objects)
    return objects


@pytest.mark.parametrize("mode", MODES)
def test_no_component_annotation_can_be_overridden(mode: str) -> None:
    owned = component_annotations(mode)
    assert owned, mode
    for annotation in owned:
        message = refusal(_mode(mode, {"ingress": {"extraAnnotations": {annotation: "x"}}}), "ingress")
        assert message is not None and repr(annotation) in message, annotation
    # The samples together: both named in one refusal.
    overrides = {
        "nginx.ingress.kubernetes.io/cors-allow-origin": "*",
        "nginx.ingress.kubernetes.io/ssl-redirect": "false",
    }
    if mode == "ingress-nginx":
        message = refusal(_mode(mode, {"ingress": {"extraAnnotations": overrides}}), "ingress")
        assert message is not None and all(repr(key) in message for key in overrides)


@pytest.mark.parametrize("mode", MODES)
def test_the_builders_set_only_listed_annotations(mode: str) -> None:
    """The list the check uses is the list the builders write from: every annotation on
    every edge object is either listed or an extra annotation."""
    extra = {"example.org/owner": "platform"}
    values = _mode(mode, {"ingress": {"extraAnnotations": extra}, "edge": {"cors": {"allowedOrigins": []}}})
    for cors in ({}, {"edge": {}}):
        objects = _registered({**values, **cors})
        owned = component_annotations(mode)
        for obj in objects:
            annotations = obj["metadata"].get("annotations", {})
            assert set(annotations) <= set(owned) | set(extra), (obj["kind"], set(annotations) - set(owned))


@pytest.mark.parametrize(
    "key",
    [
        "Bad Key",
        "a/b/c",
        "-leading.example.org/x",
        "example.org/" + "x" * 64,
        "x" * 64,
        "example.org/",
        "/name",
        "exa_mple.org/x",
        "example.org/x\n",
        "example.org/\u0663",
        "",
        "kubernetes.io/ingress.class",
        "nginx.ingress.kubernetes.io/server-snippet",
        "NGINX.ingress.kubernetes.io/Configuration-Snippet",
    ],
)
def test_annotation_keys_the_api_server_or_the_controller_refuses(key: str) -> None:
    values = _mode("ingress-nginx", {"ingress": {"extraAnnotations": {key: "v"}}})
    message = refusal(values, "ingress")
    assert message is not None and repr(key) in message


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize("mode", MODES)
def test_hostile_annotation_value(mode: str, hostile: str) -> None:
    value = HOSTILE[hostile]
    for key in ("example.org/note", "nginx.ingress.kubernetes.io/proxy-buffer-size"):
        values = _mode(mode, {"ingress": {"extraAnnotations": {key: value}}})
        if refusal(values, "ingress") is not None:
            continue
        objects = _registered(values)
        carriers = [o for o in objects if key in o["metadata"].get("annotations", {})]
        assert carriers, key
        assert all(o["metadata"]["annotations"][key] == value for o in carriers)


# Config key -> where the hostile string goes, for values that reach edge objects.
EDGE_CASES: dict[str, Callable[[str], dict[str, Any]]] = {
    "edge.headers.contentSecurityPolicy": lambda h: {"edge": {"headers": {"contentSecurityPolicy": h}}},
    "edge.headers.referrerPolicy": lambda h: {"edge": {"headers": {"referrerPolicy": f"no-referrer{h}"}}},
    "edge.hosts[0]": lambda h: {"edge": {"hosts": [f"app{h}.example.org"]}},
    # A path is a key of the routes map: the message names edge.routes["<the path>"].
    "edge.routes": lambda h: {"edge": {"routes": {"/api": None, f"/api{h}": {"backend": "api"}}}},
    "edge.blockedPathsAdd[0]": lambda h: {"edge": replacing(("edge", "blockedPaths"), [f"/admin{h}"])},
    "edge.tls.certManagerIssuer": lambda h: {"edge": {"tls": {"certManagerIssuer": f"letsencrypt{h}"}}},
    "edge.cors.allowedOrigins[0]": lambda h: {
        "edge": {"cors": {"allowedOrigins": [f"https://app.example.org{h}"]}}
    },
    "edge.cors.allowedHeaders[0]": lambda h: {"edge": {"cors": {"allowedHeaders": [f"X-Trace{h}"]}}},
}


def _sent_headers(objects: list[dict[str, Any]]) -> set[str]:
    """Header values as the gateway (HTTPRoute filters) or ingress-nginx (ConfigMap) gets them."""
    return {
        header["value"]
        for obj in objects
        if obj["kind"] == "HTTPRoute"
        for rule in obj["spec"]["rules"]
        for f in rule.get("filters", [])
        if f["type"] == "ResponseHeaderModifier"
        for header in f["responseHeaderModifier"]["set"]
    } | {v for obj in objects if obj["kind"] == "ConfigMap" for v in obj["data"].values()}


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize("mode", MODES)
def test_hostile_edge_values(mode: str, hostile: str) -> None:
    value = HOSTILE[hostile]
    merged: dict[str, Any] = _mode(mode, {})
    for key, place in EDGE_CASES.items():
        if refusal(_mode(mode, place(value)), key) is None:
            merged = deep_merge(merged, place(value))
    # Every key that accepted the value, in one estate; its objects pass the schemas.
    objects = _registered(merged)
    config = parse_estate(merged)
    assert set(config.edge.headers.as_headers().values()) <= _sent_headers(objects)


@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("edge.headers.referrerPolicy", {"edge": {"headers": {"referrerPolicy": "$http_cookie"}}}),
        ("edge.headers.referrerPolicy", {"edge": {"headers": {"referrerPolicy": "%REQ(Cookie)%"}}}),
        ("edge.timeouts.mlReadSeconds", {"edge": {"timeouts": {"mlReadSeconds": 100000}}}),
        ("edge.tls.certManagerIssuer", {"edge": {"tls": {"certManagerIssuer": "Lets Encrypt"}}}),
        ("edge.routes", {"edge": {"routes": {"/" + "a" * 1024: {"backend": "api"}}}}),
        (
            "ingress",
            {
                "ingress": {
                    "extraAnnotations": {"nginx.ingress.kubernetes.io/auth-url": "http://x; } server { #"}
                }
            },
        ),
        ("ingress", {"ingress": {"extraAnnotations": {f"example.org/k{i}": "v" * 1024 for i in range(130)}}}),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_refused_naming_the_key(mode: str, key: str, values: dict[str, Any]) -> None:
    assert refusal(_mode(mode, values), key) is not None
