"""The registry is the only place that knows the datastores, and a datastore plugs into it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.config.errors import ConfigError
from components.config.estate import EstateConfig
from components.config.loader import parse_estate
from components.config.monitoring import AlertRule, AlertThresholds
from components.config.secrets import required_secrets
from components.config.secrets_source import WORKLOAD_SECRET_KEYS
from components.config.workloads import WorkloadSpec
from components.datastores import registry, settings
from components.datastores.base import ClientEnv, Datastore, Files, Wired
from components.datastores.facts import Facts
from components.plan.wiring import wire
from components.render.alerts import alert_groups
from components.values.secret_text import text, url_encoded

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
WORDS = re.compile(r"postgres|redis", re.IGNORECASE)


def _outside_registry(root: Path = COMPONENTS) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*.py"))
        if path.relative_to(root).parts[0] != "datastores"
    }


def _naming_a_datastore(modules: dict[str, str]) -> dict[str, list[str]]:
    return {
        name: sorted({m.group(0).lower() for m in WORDS.finditer(source)})
        for name, source in modules.items()
        if WORDS.search(source)
    }


def test_no_module_outside_the_registry_names_a_datastore() -> None:
    modules = _outside_registry()
    assert len(modules) > 50  # the scan sees the tree
    offenders = _naming_a_datastore(modules)
    assert offenders == {}, "ask components/datastores/registry.py instead of naming a datastore"


def test_the_scan_finds_a_datastore_named_anywhere_outside_the_registry(tmp_path: Path) -> None:
    # The scan itself, on a planted tree: a name in code, a comment, any case, a nested
    # package; only components/datastores/ may name them.
    (tmp_path / "datastores").mkdir()
    (tmp_path / "datastores" / "postgres.py").write_text("ROLE = 'postgres'\n")
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "wiring.py").write_text("# talks to Redis first\nx = 1\n")
    (tmp_path / "render.py").write_text("URL = 'POSTGRESQL://db'\n")
    (tmp_path / "clean.py").write_text("broker = registry.BROKER\n")
    found = _naming_a_datastore(_outside_registry(tmp_path))
    assert found == {"plan/wiring.py": ["redis"], "render.py": ["postgres"]}


def test_the_registry_answers_for_the_production_estate() -> None:
    config = parse_estate({"workloads": {"redis-cache": {"enabled": True}}})
    assert registry.roles() == {
        "postgres": "database",
        "postgres-ro": "read replica",
        "redis": "broker",
        "redis-cache": "cache",
    }
    assert registry.datastore_of("api") is None
    assert registry.datastore_of("redis-cache") is registry.datastore_of("redis")
    assert set(settings.secret_keys()) <= set(WORKLOAD_SECRET_KEYS)
    assert set(registry.required_secrets(config)) == {
        "postgresAdminPassword",
        "postgresPassword",
        "postgresExporterPassword",
        "redisPassword",
        "redisMonitorPassword",
        "redisCachePassword",
    }
    assert set(registry.exporter_specs(config, "monitoring")) == {"postgres-exporter", "redis-exporter"}
    # The read replicas' connectsTo is the WAL stream: no application credentials.
    assert not registry.takes_client_credentials("postgres-ro")
    assert registry.takes_client_credentials("api")


def test_every_exporter_has_its_switch_and_image_and_every_role_its_pinned_image() -> None:
    defaults = parse_estate({"postgres": {"readReplicas": 1}})
    for exporter in settings.exporters():
        assert getattr(defaults.monitoring.exporters, exporter.toggle) is True
        assert exporter.image_field in type(defaults.monitoring.images).model_fields
        assert set(exporter.secret_env.values()) <= set(settings.secret_keys())
    for role, image in registry.role_images().items():
        assert defaults.workloads[role].image == image
        assert image in defaults.images.pinned


# --- a third datastore, registered by the test alone ------------------------------------------

KV_PORT = 7000


def _kv_client_env(role: str, client: str, config: EstateConfig, env: ClientEnv) -> None:
    env.secret["KV_URL"] = text("kv://app:", url_encoded("kvPassword"), f"@{role}:{KV_PORT}")
    env.plain["KV_CLIENT"] = client


def _kv_wire(role: str, config: EstateConfig, spec: WorkloadSpec) -> Wired:
    conf = Files("config", "/etc/kv", {"kv.conf": f"port {KV_PORT}\n"})
    auth = Files("auth", "/etc/kv/auth", {"password": text(url_encoded("kvPassword"))}, secret=True)
    return Wired(spec.model_copy(update={"command": ["kv-server", "/etc/kv/kv.conf"]}), [conf, auth])


def _kv_rules(t: AlertThresholds, namespace: str) -> list[AlertRule]:
    return [
        AlertRule(
            alert="KvDown",
            expr=f'kv_up{{namespace="{namespace}"}} == 0',
            for_="2m",
            severity="critical",
            summary="The key-value store is down",
            description="Nothing answers on the kv port.",
            runbook="kv-down",
        )
    ]


KV = Datastore(
    facts=Facts(
        name="kv",
        image="kvstore",
        pinned_image="docker.io/library/kvstore:1.0.0",
        roles={"kv": "key-value store"},
        secret_keys=("kvPassword",),
    ),
    default_workloads={},
    required_secrets=lambda c: (
        {"kvPassword": "the kv store's password"} if "kv" in c.enabled_workloads else {}
    ),
    add_client_env=_kv_client_env,
    wire=_kv_wire,
    alert_rules=_kv_rules,
    problems=lambda c: (
        [("workloads.kv.replicas", "runs one pod")]
        if "kv" in c.workloads and c.workloads["kv"].replicas > 1
        else []
    ),
)

KV_STACK = {
    "images": {"pinned": {"kvstore": "docker.io/library/kvstore:1.0.0"}},
    "workloads": {
        "kv": {
            "component": "cache",
            "image": "kvstore",
            "replicas": 1,
            "ports": {"kv": KV_PORT},
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "200m", "memory": "128Mi"},
            },
            "probes": {"readiness": {"tcp": True, "port": "kv"}},
        },
        "worker": {"connectsToRemove": [settings.DATABASE, "vllm"], "connectsToAdd": ["kv"]},
    },
}


@pytest.fixture
def with_kv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "FACTS", [*settings.FACTS, KV.facts])
    monkeypatch.setattr(registry, "DATASTORES", [*registry.DATASTORES, KV])


@pytest.mark.usefixtures("with_kv")
def test_a_registered_datastore_is_wired_secret_and_alerted_like_the_others() -> None:
    config = parse_estate(KV_STACK)
    client = wire("worker", config)
    assert "KV_URL" not in client.spec.env  # not a plain http:// URL
    assert client.spec.env["KV_CLIENT"] == "worker"  # the hook is given the client
    assert client.secret_env["KV_URL"].render({"kvPassword": "p w/@"}) == "kv://app:p%20w%2F%40@kv:7000"
    assert "CELERY_BROKER_URL" in client.secret_env  # the others still answer
    server = wire("kv", config)
    assert server.spec.command == ["kv-server", "/etc/kv/kv.conf"]
    assert [(f.name, f.mount_path, f.secret) for f in server.files] == [
        ("config", "/etc/kv", False),
        ("auth", "/etc/kv/auth", True),
    ]
    assert required_secrets(config)["kvPassword"] == "the kv store's password"
    rules = alert_groups(config.monitoring, config.namespace.name)["datastores"]
    assert rules[-1].alert == "KvDown"
    assert len(rules) > 1


@pytest.mark.usefixtures("with_kv")
def test_a_registered_datastore_guards_its_image_and_its_own_keys() -> None:
    stack = {
        **KV_STACK,
        "workloads": {**KV_STACK["workloads"], "kv": {**KV_STACK["workloads"]["kv"], "replicas": 2}},
    }
    stack["workloads"]["frontend"] = {"image": "kvstore"}
    with pytest.raises(ConfigError) as error:
        parse_estate(stack)
    assert error.value.problems == [
        "shiksha-setu:workloads.frontend.image: got 'kvstore': is a datastore image; only the workloads "
        "['kv'] run it (the estate wires credentials, files and roles by these names)",
        "shiksha-setu:workloads.kv.replicas: runs one pod",
    ]


def test_without_registration_the_same_workload_is_an_ordinary_one() -> None:
    config = parse_estate(KV_STACK)
    assert wire("worker", config).spec.env["KV_URL"] == f"http://kv:{KV_PORT}"
    assert "kvPassword" not in required_secrets(config)


def test_the_settings_and_the_behaviour_list_the_same_datastores_in_one_order() -> None:
    """settings.FACTS (below the model) and registry.DATASTORES (above it) are two lists."""
    assert [d.facts for d in registry.DATASTORES] == settings.FACTS
