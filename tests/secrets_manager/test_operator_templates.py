"""The operator's own template engine (pkg/template/v2 of the pinned release, built by
tools/extra/build.sh eso-render) renders every ExternalSecret's template to exactly the
values the Pulumi source writes, for passwords full of characters URLs and config lines
must escape. The cluster-level sync proof is tests/apiserver/test_external_secrets_operator.py."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.cdn.test_gateway_cdn import CDN
from tests.logging.extra import extra_binary
from tests.logging.support import LOGGING
from tests.support.program import run_program

from .support import DATASTORES, objects

pytestmark = pytest.mark.extra

# Every secret role of the datastores (docs/datastores.md), each with characters its
# consumer must escape: URLs (%, /, @, :), pgpass fields (':' and '\\'), non-ASCII bytes
# under the Redis ACL's SHA-256, template braces.
VALUES = {
    "postgresAdminPassword": "adm:in\\pw {{x}}",
    "postgresPassword": "pg p@ss/w+rd:%~?#&=",
    "postgresExporterPassword": 'exp"orter:pw',
    "postgresReplicationPassword": "re:pl\\ica\\:tion pw",
    "redisPassword": 'redis pw with "quotes" and {{braces}}',
    "redisMonitorPassword": "mön\\itor #pw",
    "redisCachePassword": "cache:pw/ü{{",
    "pagerdutyRoutingKey": "pd-routing-0123",
    "loggingPassword": "glc_eyJvIjoiMTIzIn0=+/",
    "cdnOriginAuth": 'cdn-origin-{{x}}"\\0123456789',
}


def test_operator_templates_render_what_the_pulumi_source_writes() -> None:
    render = extra_binary("eso-render")
    logging = {"shiksha-setu:logging": LOGGING, "shiksha-setu:cdn": CDN, **DATASTORES}
    pulumi_sourced = run_program("prod", overrides=logging, secrets=VALUES)
    expected = {
        r.name: r.inputs["stringData"] for r in pulumi_sourced.kubernetes_objects() if r.kind == "Secret"
    }
    external = run_program(
        "prod",
        overrides={
            **logging,
            "shiksha-setu:secrets": {"source": "external", "backend": "aws", "aws": {"region": "ap-south-1"}},
        },
        secrets={},
    )
    declared = objects(external, "ExternalSecret")
    assert set(declared) == set(expected)
    fetched_keys = {d["secretKey"] for obj in declared.values() for d in obj["spec"]["data"]}
    assert fetched_keys == set(VALUES)
    for name, obj in declared.items():
        fetched = {d["secretKey"]: VALUES[d["secretKey"]] for d in obj["spec"]["data"]}
        request = {"templates": obj["spec"]["target"]["template"]["data"], "data": fetched}
        result = subprocess.run(
            [render], input=json.dumps(request), capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == expected[name], name
