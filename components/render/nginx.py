"""The NGINX edge of the docker-host target: typed config -> nginx.conf text.

The edge intent (routes, headers, rate limits, TLS, streaming, blocked paths) is the same
`EdgeSpec` the Kubernetes ingress is built from, so the two edges never drift; only
NGINX's own tuning comes from `NginxSettings`. Paths and listen ports are parameters, so
tests run the very same text under a temporary prefix on loopback ports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic.alias_generators import to_camel

from components.config.cdn import CdnSpec, check_origin_auth_secret, path_classes, served_hosts
from components.config.docker_host import NginxSettings
from components.config.edge import EdgeSpec, route_key
from components.config.routing import serving_route
from components.render.quoting import NGINX_TOKEN_MAX, nginx_regex
from components.render.quoting import nginx_string as q

# Every text type an API or SPA sends that compresses well (text/html is always on).
GZIP_TYPES = (
    "application/atom+xml",
    "application/geo+json",
    "application/javascript",
    "application/json",
    "application/ld+json",
    "application/manifest+json",
    "application/problem+json",
    "application/rdf+xml",
    "application/rss+xml",
    "application/vnd.ms-fontobject",
    "application/wasm",
    "application/x-javascript",
    "application/x-web-app-manifest+json",
    "application/xhtml+xml",
    "application/xml",
    "font/eot",
    "font/otf",
    "font/ttf",
    "image/bmp",
    "image/svg+xml",
    "image/x-icon",
    "text/cache-manifest",
    "text/calendar",
    "text/css",
    "text/javascript",
    "text/markdown",
    "text/plain",
    "text/vcard",
    "text/vnd.rim.location.xloc",
    "text/vtt",
    "text/x-component",
    "text/x-cross-domain-policy",
    "text/xml",
)

# One JSON object per request: what log pipelines parse without regexes.
JSON_LOG_FIELDS = (
    ("time", "$time_iso8601"),
    ("request_id", "$req_id"),
    ("remote_addr", "$remote_addr"),
    ("host", "$host"),
    ("method", "$request_method"),
    ("uri", "$request_uri"),
    ("protocol", "$server_protocol"),
    ("status", "$status"),
    ("body_bytes_sent", "$body_bytes_sent"),
    ("request_time", "$request_time"),
    ("upstream_addr", "$upstream_addr"),
    ("upstream_status", "$upstream_status"),
    ("upstream_response_time", "$upstream_response_time"),
    ("user_agent", "$http_user_agent"),
    ("referer", "$http_referer"),
    ("tls_protocol", "$ssl_protocol"),
)

# Minimal types table: the container's /etc/nginx/mime.types is not on every test host.
MIME_TYPES = {
    "text/html": "html htm",
    "text/css": "css",
    "application/javascript": "js mjs",
    "application/json": "json map",
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpg jpeg",
    "image/webp": "webp",
    "image/x-icon": "ico",
    "font/woff2": "woff2",
    "font/woff": "woff",
    "application/wasm": "wasm",
    "text/plain": "txt",
}


# What every proxied request carries upstream. Connection "" keeps upstream keepalive.
PROXY_HEADERS = {
    "Connection": '""',
    "Host": "$host",
    "X-Request-ID": "$req_id",
    "X-Real-IP": "$remote_addr",
    "X-Forwarded-For": "$proxy_add_x_forwarded_for",
    "X-Forwarded-Proto": "$scheme",
}


class NginxConfigError(ValueError):
    """The renderer was called with inputs that do not fit together; names the config key."""


@dataclass(frozen=True)
class NginxPaths:
    """Filesystem locations, which differ between the container and a test's temp dir."""

    pid: str
    cert: str
    key: str
    # The chain OCSP responses are verified against (ssl_trusted_certificate).
    trusted_cert: str
    temp_dir: str
    access_log: str = "/dev/stdout"
    error_log: str = "/dev/stderr"
    # The include file holding the CDN origin-auth check (origin_auth_map); only with cdn on.
    cdn_origin_auth: str = ""


@dataclass(frozen=True)
class Listen:
    http_port: int = 8080
    https_port: int = 8443
    address: str = ""
    # The port clients see for HTTPS (443 behind Docker's port mapping), for redirects.
    public_https_port: int = 443


def _rate(per_second: float) -> str:
    # nginx rates are integers per second or per minute; fractions go per minute (the
    # model's Rate allows no less than one request per minute).
    if float(per_second).is_integer():
        return f"{int(per_second)}r/s"
    return f"{max(1, round(per_second * 60))}r/m"


def _split_ciphers(ciphers: str) -> tuple[str, str]:
    """OpenSSL takes TLS 1.3 suites (TLS_*) and TLS 1.2 ciphers through different calls."""
    names = [c for c in ciphers.split(":") if c]
    tls13 = ":".join(c for c in names if c.startswith("TLS_"))
    tls12 = ":".join(c for c in names if not c.startswith("TLS_"))
    return tls12, tls13


def _blocked_regexes(paths: list[str]) -> list[str]:
    """Case-insensitive regexes, together matching dot-files anywhere in the path and other
    paths as prefixes; each short enough for one NGINX parameter (NGINX_TOKEN_MAX)."""
    anywhere = sorted({re.escape(p.lstrip("/")) for p in paths if p.startswith("/.")}, key=str.lower)
    prefixes = sorted({re.escape(p.lstrip("/")).lower() for p in paths if not p.startswith("/.")})
    # "^/(" + "|".join(chunk) + ")" for prefixes, "/(" + ... + ")(/|$)" for dot-files.
    budget = NGINX_TOKEN_MAX - 16
    regexes = []
    for items, form in ((prefixes, "^/({})"), (anywhere, "/({})(/|$)")):
        chunk: list[str] = []
        for item in items:
            # Escaping can double a quote or backslash inside the quoted parameter.
            if chunk and 2 * len("|".join([*chunk, item])) > budget:
                regexes.append(form.format("|".join(chunk)))
                chunk = []
            chunk.append(item)
        if chunk:
            regexes.append(form.format("|".join(chunk)))
    return regexes


def _header_key(name: str) -> str:
    # X-Frame-Options -> edge.headers.xFrameOptions, the key the stack config uses.
    return f"edge.headers.{to_camel(name.lower().replace('-', '_'))}"


def render_nginx_conf(
    edge: EdgeSpec,
    settings: NginxSettings,
    upstreams: Mapping[str, str],
    paths: NginxPaths,
    listen: Listen = Listen(),
    user: str | None = None,
    cdn: CdnSpec | None = None,
) -> str:
    """nginx.conf for `edge`. `upstreams` maps each route backend to its host:port;
    `user` is needed only when the master process runs as root; `cdn` defaults to the
    model's defaults (Cache-Control by path class, no CDN).

    Every value that comes from the config or the caller is written by `q` (or
    `nginx_regex`) as a double-quoted NGINX string; only integers, fixed words and the
    model's literal enums are written bare."""
    cdn = cdn or CdnSpec()
    for route in edge.route_list:
        if route.backend not in upstreams:
            raise NginxConfigError(
                f"{route_key(route.path)}.backend: got {route.backend!r}: no upstream address for it "
                f"(known: {sorted(upstreams)})"
            )
    hosts = served_hosts(edge, cdn)
    server_names = " ".join(q(host, f"edge.hosts[{i}]") for i, host in enumerate(hosts))
    proxy_headers = {**PROXY_HEADERS, **cdn_proxy_headers(cdn)}
    out = [
        "# Generated by components/render/nginx.py from the stack's edge config; do not edit.",
        *process_directives(settings, paths, user),
        "http {",
        *http_directives(edge, settings, upstreams, paths, cdn),
        *fallback_servers(settings, listen, server_names),
        "    server {",
        *edge_server_directives(edge, settings, paths, listen, cdn, server_names, proxy_headers),
        *edge_locations(edge, settings, proxy_headers),
        "    }",
        "}",
    ]
    return "\n".join(out) + "\n"


def process_directives(settings: NginxSettings, paths: NginxPaths, user: str | None) -> list[str]:
    """The main context: the master's user, the workers, pid, error log and thread pool,
    and the events block."""
    pool = settings.thread_pool
    pool_name = q(pool.name, "dockerHost.nginx.threadPool.name")
    return [
        *([f"user {q(user, 'user')};"] if user else []),
        f"worker_processes {settings.worker_processes};",
        f"worker_rlimit_nofile {settings.worker_rlimit_nofile};",
        f"pid {q(paths.pid, 'paths.pid')};",
        f"error_log {q(paths.error_log, 'paths.error_log')} warn;",
        f"thread_pool {pool_name} threads={pool.threads} max_queue={pool.max_queue};",
        "",
        "events {",
        f"    worker_connections {settings.worker_connections};",
        "    multi_accept on;",
        "}",
        "",
    ]


def http_directives(
    edge: EdgeSpec, settings: NginxSettings, upstreams: Mapping[str, str], paths: NginxPaths, cdn: CdnSpec
) -> list[str]:
    """The http context every server shares: types, temp paths, the request-id, upgrade,
    CORS and Cache-Control maps, the JSON access log, file and gzip tuning, the rate-limit
    zones, one upstream per backend, TLS sessions and protocols, OCSP's resolver."""
    rl = edge.rate_limits
    tls12, tls13 = _split_ciphers(edge.tls.ciphers)
    ofc = settings.open_file_cache
    aio_pool = q(f"threads={settings.thread_pool.name}", "dockerHost.nginx.threadPool.name")
    temp = paths.temp_dir
    out: list[str] = []
    w = out.append
    w("    types {")
    for mime, exts in MIME_TYPES.items():
        w(f"        {mime} {exts};")
    w("    }")
    w("    default_type application/octet-stream;")
    w("    server_tokens off;")
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        w(f"    {kind}_temp_path {q(f'{temp}/{kind}', 'paths.temp_dir')};")
    w("")
    w("    # Keep a well-formed client X-Request-ID for tracing across services; otherwise mint one.")
    w("    map $http_x_request_id $req_id {")
    w("        default $request_id;")
    w('        "~^[A-Za-z0-9._:-]{1,128}$" $http_x_request_id;')
    w("    }")
    w("    map $http_upgrade $connection_upgrade {")
    w("        default upgrade;")
    w("        '' '';")
    w("    }")
    w("    map $http_origin $cors_origin {")
    w('        default "";')
    for index, origin in enumerate(edge.cors.allowed_origins):
        if origin == "*":
            w('        "~.+" "*";')
        else:
            w(f"        {q(origin, f'edge.cors.allowedOrigins[{index}]')} $http_origin;")
    w("    }")
    out.extend(cache_control_maps(edge, cdn))
    out.extend(origin_auth_include(cdn, paths))
    w("")
    log_fields = ",".join(f'"{name}":"{var}"' for name, var in JSON_LOG_FIELDS)
    w(f"    log_format json_combined escape=json '{{{log_fields}}}';")
    w(f"    access_log {q(paths.access_log, 'paths.access_log')} json_combined;")
    w("")
    w("    sendfile on;")
    w("    tcp_nopush on;")
    w("    tcp_nodelay on;")
    w(f"    aio {aio_pool};")
    w(f"    keepalive_timeout {settings.keepalive_timeout_seconds}s;")
    w(f"    client_max_body_size {edge.max_body_size_mb}m;")
    w(f"    open_file_cache max={ofc.max} inactive={ofc.inactive_seconds}s;")
    w(f"    open_file_cache_valid {ofc.valid_seconds}s;")
    w(f"    open_file_cache_min_uses {ofc.min_uses};")
    w("    open_file_cache_errors on;")
    w("")
    w("    gzip on;")
    # With Cache-Control by class the server sends one Vary itself (cache_control_server_lines).
    w(f"    gzip_vary {'off' if cdn.cache_control.enabled else 'on'};")
    w("    gzip_proxied any;")
    w(f"    gzip_comp_level {settings.gzip_level};")
    w(f"    gzip_min_length {settings.gzip_min_length};")
    w("    gzip_types")
    for mime in GZIP_TYPES:
        w(f"        {mime}")
    w("        ;")
    w("")
    w("    # A global zone caps the whole edge; the per-client zone stops one client hogging it.")
    w(f"    limit_req_zone $server_name zone=global:1m rate={_rate(rl.global_requests_per_second)};")
    w(f"    limit_req_zone $binary_remote_addr zone=per_client:10m rate={_rate(rl.requests_per_second)};")
    w("    limit_conn_zone $binary_remote_addr zone=conn_per_client:10m;")
    w("    limit_conn_zone $server_name zone=conn_per_server:1m;")
    w(f"    limit_req_status {rl.status_code};")
    w(f"    limit_conn_status {rl.status_code};")
    w("    limit_req_log_level warn;")
    w("")
    for name in sorted(upstreams):
        w(f"    upstream {_upstream_name(name)} {{")
        w(f"        server {q(upstreams[name], f'dockerHost.nginx.upstreams.{name}')};")
        w(f"        keepalive {settings.upstream_keepalive};")
        w("    }")
    w("")
    w("    ssl_session_cache shared:SSL:10m;")
    w("    ssl_session_timeout 1d;")
    w("    # Tickets would reuse one key across sessions and undo forward secrecy.")
    w("    ssl_session_tickets off;")
    w(f"    ssl_protocols {' '.join(edge.tls.protocols)};")
    if tls12:
        w(f"    ssl_ciphers {q(tls12, 'edge.tls.ciphers')};")
    if tls13:
        w(f"    ssl_conf_command Ciphersuites {q(tls13, 'edge.tls.ciphers')};")
    w("    ssl_prefer_server_ciphers off;")
    w("    ssl_stapling on;")
    w("    ssl_stapling_verify on;")
    w(f"    ssl_trusted_certificate {q(paths.trusted_cert, 'paths.trusted_cert')};")
    resolvers = " ".join(q(r, f"dockerHost.nginx.resolvers[{i}]") for i, r in enumerate(settings.resolvers))
    w(f"    resolver {resolvers} valid={settings.resolver_valid_seconds}s ipv6=off;")
    w("    resolver_timeout 5s;")
    w("")
    return out


def _upstream_name(backend: str) -> str:
    return q(f"{backend}_upstream", f"edge.routes.backend {backend}")


def fallback_servers(settings: NginxSettings, listen: Listen, server_names: str) -> list[str]:
    """The servers that serve nothing: the default ones that refuse an unknown Host or SNI
    (when asked to), and the plain-HTTP one that redirects the edge's hosts to HTTPS."""
    addr = f"{listen.address}:" if listen.address else ""
    https_suffix = "" if listen.public_https_port == 443 else f":{listen.public_https_port}"
    out: list[str] = []
    if settings.reject_unknown_hosts:
        out += [
            "    # Unknown Host or SNI: closed without a response, never served by the application.",
            "    server {",
            f"        listen {addr}{listen.http_port} default_server;",
            "        return 444;",
            "    }",
            "    server {",
            f"        listen {addr}{listen.https_port} ssl default_server;",
            "        ssl_reject_handshake on;",
            "    }",
        ]
    return [
        *out,
        "    server {",
        f"        listen {addr}{listen.http_port};",
        f"        server_name {server_names};",
        f"        return 301 https://$host{https_suffix}$request_uri;",
        "    }",
        "",
    ]


def edge_server_directives(
    edge: EdgeSpec,
    settings: NginxSettings,
    paths: NginxPaths,
    listen: Listen,
    cdn: CdnSpec,
    server_names: str,
    proxy_headers: Mapping[str, str],
) -> list[str]:
    """The HTTPS server's own directives, which every location inherits: its listener and
    certificate, connection and request limits, the security, CORS and Cache-Control
    headers, the CDN-only origin, and how it proxies."""
    rl = edge.rate_limits
    burst = max(1, round(rl.requests_per_second * rl.burst_multiplier))
    # The first half of the burst is served at once, the rest smoothed to the rate.
    delay = max(1, burst // 2)
    headers = {name: q(value, _header_key(name)) for name, value in edge.headers.as_headers().items()}
    t = edge.timeouts
    addr = f"{listen.address}:" if listen.address else ""
    default = "" if settings.reject_unknown_hosts else " default_server"
    out: list[str] = []
    w = out.append
    w(f"        listen {addr}{listen.https_port} ssl http2{default};")
    w(f"        server_name {server_names};")
    w(f"        ssl_certificate {q(paths.cert, 'paths.cert')};")
    w(f"        ssl_certificate_key {q(paths.key, 'paths.key')};")
    w("")
    w(f"        limit_conn conn_per_client {rl.connections_per_client};")
    w(f"        limit_conn conn_per_server {settings.connections_per_server};")
    w(f"        limit_req zone=per_client burst={burst} delay={delay};")
    w(f"        limit_req zone=global burst={max(1, round(rl.global_requests_per_second))} nodelay;")
    w("")
    w("        # Security headers on every response (locations below add none, so they inherit).")
    for name, value in headers.items():
        w(f"        add_header {name} {value} always;")
    w("        add_header X-Request-ID $req_id always;")
    w("        add_header Access-Control-Allow-Origin $cors_origin always;")
    if edge.cors.allow_credentials:
        w("        add_header Access-Control-Allow-Credentials true always;")
    methods = q(", ".join(edge.cors.allowed_methods), "edge.cors.allowedMethods")
    w(f"        add_header Access-Control-Allow-Methods {methods} always;")
    allowed_headers = q(", ".join(edge.cors.allowed_headers), "edge.cors.allowedHeaders")
    w(f"        add_header Access-Control-Allow-Headers {allowed_headers} always;")
    w(f"        add_header Access-Control-Max-Age {edge.cors.max_age_seconds} always;")
    out.extend(cache_control_server_lines(cdn))
    out.extend(origin_server_lines(cdn))
    w("")
    w("        proxy_http_version 1.1;")
    for name, value in proxy_headers.items():
        w(f"        proxy_set_header {name} {value};")
    w(f"        proxy_connect_timeout {t.connect_seconds}s;")
    w(f"        proxy_read_timeout {t.read_seconds}s;")
    w(f"        proxy_send_timeout {t.send_seconds}s;")
    w("")
    return out


def edge_locations(edge: EdgeSpec, settings: NginxSettings, proxy_headers: Mapping[str, str]) -> list[str]:
    """The HTTPS server's locations: the blocked paths refused, then one location per
    stream, WebSocket and ML path (with their timeouts) and per route, each proxied to the
    backend of the route that serves it (components/config/routing.py)."""
    t = edge.timeouts
    out: list[str] = []
    w = out.append
    if edge.blocked_paths:
        w("        # Scanners' favourite targets: refused before any upstream sees them.")
        for regex in _blocked_regexes(edge.blocked_paths):
            w(f"        location ~* {nginx_regex(regex, 'edge.blockedPaths')} {{")
            w(f"            return {settings.blocked_status};")
            w("        }")
        w("")

    def proxied(path: str, key: str, backend: str, extra: list[str]) -> None:
        # Plain prefix locations, so the blocked-path regex above still wins inside them.
        # A quoted path is still a prefix location: every path starts with "/" (UrlPath),
        # never with a modifier such as "=" or "~".
        w(f"        location {q(path, key)} {{")
        w("            if ($request_method = OPTIONS) {")
        w("                return 204;")
        w("            }")
        for line in extra:
            w(f"            {line}")
        w(f"            proxy_pass {q(f'http://{backend}_upstream', key)};")
        w("        }")

    def backend_of(path: str, key: str) -> str:
        route = serving_route(edge.route_list, path)
        if route is None:
            raise NginxConfigError(f"{key}: got {path!r}: no edge route covers it")
        return route.backend

    # The gate (config/references.py) refuses a path listed twice or in two of these roles,
    # so each is one location; a route whose path is one of them is served there.
    special: set[str] = set()
    for index, path in enumerate(edge.stream_paths):
        key = f"edge.streamPaths[{index}]"
        special.add(path)
        w("        # Server-Sent Events: every event goes to the client as the upstream writes it.")
        proxied(
            path,
            key,
            backend_of(path, key),
            [
                "proxy_buffering off;",
                "proxy_cache off;",
                "gzip off;",
                "chunked_transfer_encoding on;",
                f"proxy_read_timeout {t.stream_read_seconds}s;",
                f"proxy_send_timeout {t.stream_read_seconds}s;",
            ],
        )
    for index, path in enumerate(edge.websocket_paths):
        key = f"edge.websocketPaths[{index}]"
        special.add(path)
        proxied(
            path,
            key,
            backend_of(path, key),
            [
                # A location with its own proxy_set_header inherits none from the server.
                *(f"proxy_set_header {n} {v};" for n, v in proxy_headers.items() if n != "Connection"),
                "proxy_set_header Upgrade $http_upgrade;",
                "proxy_set_header Connection $connection_upgrade;",
                "proxy_buffering off;",
                f"proxy_read_timeout {t.stream_read_seconds}s;",
            ],
        )
    for index, path in enumerate(edge.ml_paths):
        key = f"edge.mlPaths[{index}]"
        special.add(path)
        w("        # Model inference is slow: only these paths wait this long.")
        proxied(
            path,
            key,
            backend_of(path, key),
            [f"proxy_read_timeout {t.ml_read_seconds}s;", f"proxy_send_timeout {t.ml_send_seconds}s;"],
        )
    for route in edge.route_list:
        if route.path in special:
            continue
        proxied(route.path, route_key(route.path), route.backend, [])
    return out


# --- CDN: Cache-Control by path class and the origin's CDN-only access --------------------

# Statuses a cache may keep: an error or a redirect under /assets/ must never live for a year.
_CACHEABLE_STATUS = "(200|203|206|304)"


def _header_variable(header: str) -> str:
    """X-Shiksha-Origin-Auth -> $http_x_shiksha_origin_auth (the header name is validated)."""
    return "$http_" + header.lower().replace("-", "_")


def cache_control_maps(edge: EdgeSpec, cdn: CdnSpec) -> list[str]:
    """http-level maps: the path class of $uri (longest prefix first, as locations match),
    then the header value from the class, the status and the content type."""
    cc = cdn.cache_control
    if not cc.enabled:
        return []
    lines = [
        "",
        "    # Cache-Control by path class (cdn.cacheControl): hashed assets for a year,",
        "    # the SPA's HTML revalidated on every use, the API and everything unknown never stored.",
        "    map $uri $edge_cache_class {",
        "        default private;",
    ]
    for index, item in enumerate(path_classes(edge, cdn)):
        pattern = nginx_regex("~^" + re.escape(item.prefix), f"cdn.pathClasses[{index}]")
        lines.append(f"        {pattern} {item.cache_class};")
    lines += [
        "    }",
        '    map "$edge_cache_class:$status:$sent_http_content_type" $edge_cache_control {',
        f"        default {q(cc.private, 'cdn.cacheControl.private')};",
        # `serve --single` answers a missing asset with index.html: that is HTML, not immutable.
        f'        "~^immutable:{_CACHEABLE_STATUS}:(?!text/html)"'
        f" {q(cc.immutable, 'cdn.cacheControl.immutable')};",
        f'        "~^(immutable|revalidate):{_CACHEABLE_STATUS}:"'
        f" {q(cc.revalidate, 'cdn.cacheControl.revalidate')};",
        "    }",
    ]
    return lines


def cache_control_server_lines(cdn: CdnSpec) -> list[str]:
    """Server-level, so every location inherits them with the security headers."""
    if not cdn.cache_control.enabled:
        return []
    return [
        "        # The edge decides caching: an upstream's own Cache-Control is replaced.",
        "        proxy_hide_header Cache-Control;",
        "        add_header Cache-Control $edge_cache_control always;",
        # One Vary for every response: gzip picks the body by Accept-Encoding and CORS answers
        # reflect Origin, so a shared cache must key on both (gzip_vary is off for this).
        '        add_header Vary "Accept-Encoding, Origin" always;',
    ]


def cdn_proxy_headers(cdn: CdnSpec) -> dict[str, str]:
    """The shared origin-auth value stops at the edge: an empty value drops the header."""
    return {q(cdn.origin_auth_header, "cdn.originAuthHeader"): '""'} if cdn.enabled else {}


def origin_auth_include(cdn: CdnSpec, paths: NginxPaths) -> list[str]:
    if not cdn.enabled:
        return []
    if not paths.cdn_origin_auth:
        raise NginxConfigError("cdn.enabled: the origin-auth include file has no path (NginxPaths)")
    return [
        "    # $cdn_origin_authorized: 1 only with the CDN's shared header (secret cdnOriginAuth).",
        f"    include {q(paths.cdn_origin_auth, 'cdn.originAuthInclude')};",
    ]


def origin_server_lines(cdn: CdnSpec) -> list[str]:
    if not cdn.enabled:
        return []
    lines = [
        "",
        "        # Only the CDN reaches the origin: from its address ranges, with the shared header.",
    ]
    for index, cidr in enumerate(cdn.allowed_ranges):
        lines.append(f"        allow {q(cidr, f'cdn.allowedRanges[{index}]')};")
    lines += [
        "        deny all;",
        "        if ($cdn_origin_authorized != 1) {",
        "            return 403;",
        "        }",
    ]
    return lines


def origin_auth_map(cdn: CdnSpec, secret: str) -> str:
    """The include file: the secret as an exact, case-sensitive regex (a map's plain strings
    ignore case). Rendered inside the secret Output's apply, written only as a secret file."""
    try:
        check_origin_auth_secret(secret)
    except ValueError as error:
        raise NginxConfigError(str(error)) from None
    try:
        pattern = nginx_regex("~^" + re.escape(secret) + "$", "cdnOriginAuth")
    except ValueError:
        # Never the quoting error itself: it would print the secret.
        raise NginxConfigError("shiksha-setu:cdnOriginAuth: cannot be written as an NGINX regex") from None
    return (
        f"map {_header_variable(cdn.origin_auth_header)} $cdn_origin_authorized {{\n"
        "    default 0;\n"
        f"    {pattern} 1;\n"
        "}\n"
    )
