"""The docker-host edge: NGINX as the only published container, its nginx.conf rendered by
components/render/nginx.py from the same edge intent the Kubernetes target serves."""

from __future__ import annotations

from functools import partial

from components.config.estate import EstateConfig
from components.config.images import label_version
from components.docker.containers import FRONTEND, service_labels
from components.docker.spec import (
    BindMount,
    ContainerSpec,
    DerivedSecret,
    Healthcheck,
    Port,
    WrittenFiles,
    cpus,
    mb,
    rolling_update_allowed,
    tmpfs_options,
)
from components.plan.network import Route
from components.render.nginx import Listen, NginxPaths, origin_auth_map, render_nginx_conf

NAME = "nginx"
# nginx-unprivileged listens above 1024 and runs as uid/gid 101, so no capability is needed.
NGINX_UID = 101
NGINX_HTTP, NGINX_HTTPS = 8080, 8443
NGINX_CONF_DIR = "/etc/nginx/generated"
NGINX_TLS_DIR = "/etc/nginx/tls"
CDN_ORIGIN_AUTH_FILE = "cdn-origin-auth.conf"


def upstreams(config: EstateConfig, routes: tuple[Route, ...]) -> dict[str, str]:
    """Route backend -> host:port; `docker_host.nginx.upstreams` names one outside the estate."""
    explicit = config.docker_host.nginx.upstreams
    return {
        route.backend: explicit.get(route.backend)
        or f"{route.backend}:{config.workloads[route.backend].ports[route.port]}"
        for route in routes
    }


def nginx_conf(config: EstateConfig, routes: tuple[Route, ...]) -> str:
    host = config.docker_host
    return render_nginx_conf(
        config.edge,
        host.nginx,
        upstreams(config, routes),
        NginxPaths(
            pid="/tmp/nginx.pid",
            cert=f"{NGINX_TLS_DIR}/tls.crt",
            key=f"{NGINX_TLS_DIR}/tls.key",
            trusted_cert=f"{NGINX_TLS_DIR}/chain.crt",
            temp_dir="/tmp",
            cdn_origin_auth=f"{NGINX_CONF_DIR}/{CDN_ORIGIN_AUTH_FILE}",
        ),
        Listen(http_port=NGINX_HTTP, https_port=NGINX_HTTPS, public_https_port=host.https_port),
        cdn=config.cdn,
    )


def nginx_container(config: EstateConfig, routes: tuple[Route, ...], containers: set[str]) -> ContainerSpec:
    """The edge container; `containers` are the workload containers it may wait for."""
    host = config.docker_host
    settings = host.nginx
    written = WrittenFiles()
    written.add(NGINX_CONF_DIR, {"nginx.conf": nginx_conf(config, routes)})
    if config.cdn.enabled:
        # The shared origin-auth value reaches nginx only as a secret file, never in nginx.conf.
        written.add_secret(
            NGINX_CONF_DIR,
            CDN_ORIGIN_AUTH_FILE,
            DerivedSecret("cdnOriginAuth", partial(origin_auth_map, config.cdn)),
        )
    entrypoints, command = written.wrap(["nginx", "-c", f"{NGINX_CONF_DIR}/nginx.conf", "-g", "daemon off;"])
    tmpfs_opts = tmpfs_options(host.tmpfs_size)
    backends = upstreams(config, routes)
    edge = ContainerSpec(
        resource_name=NAME,
        name=f"{host.name_prefix}-{NAME}",
        hostname=NAME,
        image=settings.image,
        image_is_key=False,
        pull_key=NAME,
        entrypoints=entrypoints,
        command=command,
        env=written.env,
        secret_env=written.secret_env,
        user=f"{NGINX_UID}:{NGINX_UID}",
        read_only=True,
        tmpfs={"/tmp": tmpfs_opts, NGINX_CONF_DIR: tmpfs_opts, "/var/cache/nginx": tmpfs_opts},
        memory_mb=mb(settings.memory),
        memory_reservation_mb=None,
        cpus=cpus(settings.cpus),
        # Matches worker_rlimit_nofile, which nginx cannot raise above the container's limit.
        ulimit_nofile=settings.worker_rlimit_nofile,
        healthcheck=Healthcheck(
            tests=["CMD", "bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{NGINX_HTTPS}"],
            interval="10s",
            timeout="3s",
            start_period="10s",
            retries=3,
        ),
        restart=host.restart,
        stop_signal="SIGQUIT",
        stop_timeout=30,
        labels=service_labels(
            NAME,
            "edge",
            [FRONTEND],
            {"http": NGINX_HTTP, "https": NGINX_HTTPS},
            config,
            label_version(settings.image),
        ),
        networks=[FRONTEND],
        log_opts={"max-size": host.log_max_size, "max-file": str(host.log_max_files)},
        # The only container published beyond loopback: the estate's one entry point.
        ports=[
            Port(NGINX_HTTP, host.http_port, host.bind_address),
            Port(NGINX_HTTPS, host.https_port, host.bind_address),
        ],
        bind_mounts=[BindMount(settings.tls_directory, NGINX_TLS_DIR)],
        # nginx resolves its upstreams at start: the backends' containers must exist first.
        depends_on=[b for b in sorted(backends) if b in containers and b not in settings.upstreams],
    )
    # Not rolling: the edge publishes the host's HTTP(S) ports, and a replacement cannot bind
    # them while the old container holds them. Delete-before-replace, with the provider still
    # waiting for the health check, so a bad edge image fails `pulumi up` loudly.
    edge.rolling = rolling_update_allowed(False, edge)
    return edge
