"""The generated blackbox.yml on the real blackbox exporter (Debian
prometheus-blackbox-exporter): it loads, and its modules judge a local endpoint as intended."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from .conftest import Rendered, free_port, require_tool
from .servers import local_endpoint, running, wait_for

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

BINARY = "prometheus-blackbox-exporter"


def test_config_check(rendered: Rendered) -> None:
    result = subprocess.run(
        [require_tool(BINARY), f"--config.file={rendered.blackbox_yml}", "--config.check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_check_can_fail(rendered: Rendered) -> None:
    # Prober names are only checked at probe time; field types and names at load time.
    rendered.blackbox_yml.write_text(
        rendered.blackbox_yml.read_text().replace("fail_if_not_ssl", "fail_if_no_ssl")
    )
    result = subprocess.run(
        [require_tool(BINARY), f"--config.file={rendered.blackbox_yml}", "--config.check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0


def test_modules_probe_a_local_endpoint(rendered: Rendered, tmp_path: Path) -> None:
    binary = require_tool(BINARY)
    port = free_port()
    log = tmp_path / "blackbox.log"
    with local_endpoint("ok\n") as site:
        command = [binary, f"--config.file={rendered.blackbox_yml}", f"--web.listen-address=127.0.0.1:{port}"]
        with running(command, log):

            def probe(module: str) -> str:
                query = urlencode({"module": module, "target": f"http://{site.address}/health"})
                with urlopen(f"http://127.0.0.1:{port}/probe?{query}", timeout=10) as response:
                    return str(response.read().decode())

            wait_for("blackbox exporter", lambda: probe("http_2xx"), 30, log)
            assert "\nprobe_success 1" in probe("http_2xx")
            # The public-site module insists on TLS: plain HTTP is a failed probe.
            assert "\nprobe_success 0" in probe("https_2xx")
