"""What each platform workload needs beyond its spec: credentials, config files, arguments.

Connection secrets follow the `connectsTo` intent, so a workload gets exactly the
credentials of what it declares it calls, and nothing else. A datastore that is not
enabled hands out nothing (and its secrets need not exist). What a datastore role and its
clients get is the registry's answer (components/datastores/).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.config.estate import EstateConfig
from components.config.workloads import WorkloadSpec
from components.datastores import registry
from components.datastores.base import ClientEnv, first_port
from components.plan.files import ConfigFiles
from components.values.secret_text import SecretText


@dataclass
class Wiring:
    spec: WorkloadSpec
    files: list[ConfigFiles] = field(default_factory=list)
    secret_env: dict[str, SecretText] = field(default_factory=dict)


def _connections(name: str, config: EstateConfig, wiring: Wiring) -> None:
    enabled = config.enabled_workloads
    env = ClientEnv(wiring.secret_env)
    for target in wiring.spec.connects_to:
        if target not in enabled:
            continue  # nothing runs there: no credentials, no URL
        if not registry.add_client_env(target, name, config, env):
            url = f"http://{target}:{first_port(config, target)}"
            env.plain[f"{target.upper().replace('-', '_')}_URL"] = url
    if env.plain:
        wiring.spec = wiring.spec.model_copy(update={"env": {**wiring.spec.env, **env.plain}})


def wire(name: str, config: EstateConfig) -> Wiring:
    wiring = Wiring(config.workloads[name])
    if registry.takes_client_credentials(name):
        _connections(name, config, wiring)
    wired = registry.wire(name, config, wiring.spec)
    if wired is not None:
        wiring.spec = wired.spec
        wiring.files += [ConfigFiles(f.name, f.mount_path, f.files, f.secret) for f in wired.files]
    return wiring
