#!/usr/bin/env bash
# The real tools the tests drive (make test-tools, run by make test, not by make preview):
# Debian packages, and the Go and Python tools built or installed into $SHIKSHA_CACHE.
# Cheap when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Debian packages: the real tools the tests run (promtool, amtool, nginx, wrk, redis-server,
# PostgreSQL 15, Graphviz, postgres_exporter).
APT_PACKAGES=(prometheus prometheus-alertmanager prometheus-blackbox-exporter nginx-light wrk openssl jq shellcheck redis-server postgresql-15 graphviz prometheus-postgres-exporter)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  step "apt-get update" $SUDO apt-get update -qq
  step "apt-get install ${missing[*]}" env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian starts these services on install; the tests start their own copies.
  for svc in nginx prometheus prometheus-alertmanager prometheus-blackbox-exporter prometheus-node-exporter prometheus-postgres-exporter redis-server postgresql; do
    $SUDO service "$svc" stop >/dev/null 2>&1 || true
  done
fi

# Tools whose own pins clash with ours live in their own virtualenvs in the cache.
tool_venv() { # tool_venv name requirement command
  local name="$1" req="$2" cmd="$3" dir="$SHIKSHA_CACHE/venvs/$1-${2##*==}"
  if [ ! -x "$dir/bin/$cmd" ]; then
    step "install $req into its own virtualenv ($dir)" bash -c "python3 -m venv '$dir' && '$dir/bin/pip' install -q --disable-pip-version-check '$req'"
  fi
  ln -sf "$dir/bin/$cmd" "$SHIKSHA_CACHE/bin/$cmd"
}
tool_venv nca network-config-analyzer==2.1.0 nca

# Go tools, pinned, built from the Go module proxy.
go_tool() { # go_tool module@version command
  local mod="$1" cmd="$2" dir="$SHIKSHA_CACHE/go-tools/${1//[\/@]/_}"
  if [ ! -x "$dir/$cmd" ]; then
    step "go install $mod" env GOBIN="$dir" go install "$mod"
  fi
  ln -sf "$dir/$cmd" "$SHIKSHA_CACHE/bin/$cmd"
}
go_tool github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 actionlint

# Debian's promtool is built without Kubernetes service discovery, so it cannot check the
# generated discovery sections; build the same release (2.42.0) from its Go module.
PROMTOOL_VERSION=v0.42.0
promtool_dir="$SHIKSHA_CACHE/go-tools/promtool-$PROMTOOL_VERSION"
if [ ! -x "$promtool_dir/promtool" ]; then
  build_promtool() {
    local src tmp
    src=$(go mod download -json "github.com/prometheus/prometheus@$PROMTOOL_VERSION" | jq -r .Dir)
    tmp=$(mktemp -d)
    cp -r "$src"/. "$tmp" && chmod -R u+w "$tmp"
    (cd "$tmp" && go build -trimpath -ldflags='-s -w' -o "$promtool_dir/promtool" ./cmd/promtool)
    rm -rf "$tmp"
  }
  step "build promtool $PROMTOOL_VERSION with Kubernetes discovery (cached in $promtool_dir)" build_promtool
fi
ln -sf "$promtool_dir/promtool" "$SHIKSHA_CACHE/bin/promtool"


# --- trivy's checks (issue 23) -------------------------------------------------------------
# The Rego of the trivy-checks module that trivy v0.74.0 embeds (its go.mod pins this version),
# linked at $SHIKSHA_CACHE/trivy-checks for tests/ci/ksv0109.py, the port of the rule the
# estate's ConfigMaps once failed. A 2 MB module download. trivy itself is too heavy a cold
# build for make test (docs/ci-cd.md): make test-extra and make trivy build it
# (tools/extra/build.sh trivy), and its test checks that it embeds this same version.
TRIVY_CHECKS_VERSION=v1.12.2-0.20251219190323-79d27547baf5
if [[ "$(readlink "$SHIKSHA_CACHE/trivy-checks" 2>/dev/null)" != *"@$TRIVY_CHECKS_VERSION" ]] \
  || [ ! -d "$SHIKSHA_CACHE/trivy-checks" ]; then
  link_trivy_checks() {
    local dir
    dir=$(go mod download -json "github.com/aquasecurity/trivy-checks@$TRIVY_CHECKS_VERSION" | jq -r .Dir)
    [ -d "$dir" ] || return 1
    ln -sfn "$dir" "$SHIKSHA_CACHE/trivy-checks"
  }
  step "link the trivy-checks module $TRIVY_CHECKS_VERSION (the Rego trivy embeds)" link_trivy_checks
fi

# --- Alert series provenance (issue 23): the exporters whose real scrapes prove that every
# series an alert reads exists. redis_exporter at the estate's pinned image version
# (monitoring.images.redisExporter v1.62.0), from its Go module; kube-state-metrics at the
# pinned image's version (v2.13.0). postgres_exporter is Debian's (APT_PACKAGES above): the
# pinned v0.15.0 is not served by the Go module proxy (docs/monitoring.md).
go_tool github.com/oliver006/redis_exporter@v1.62.0 redis_exporter
go_tool k8s.io/kube-state-metrics/v2@v2.13.0 kube-state-metrics

# --- The platform's real Redis clients (tests/clients, bench/celery_broker.py) -------------
# Celery 5.7 pins python-dateutil 2.9, the Kubernetes client of requirements.txt needs >= 3:
# the clients get a virtualenv of their own, keyed by the hash of their pinned requirements
# (tests/clients/requirements.txt; tests/clients/venv.py computes the same path).
clients_req=tests/clients/requirements.txt
clients_dir="$SHIKSHA_CACHE/venvs/celery-clients-$(sha256sum "$clients_req" | cut -c1-16)"
if [ ! -x "$clients_dir/bin/celery" ]; then
  step "install the Celery clients ($clients_req) into $clients_dir" bash -c \
    "rm -rf '$clients_dir' && python3 -m venv '$clients_dir' && '$clients_dir/bin/pip' install -q --disable-pip-version-check -r '$clients_req'"
fi

# --- Traefik Proxy: the Gateway API (and ingress-nginx) implementation the live edge tests
# run (tests/edge_traffic, issue 26). Pinned in tools/traefik/go.mod; v3.7 needs modules the
# proxy does not serve. Built from a writable copy of its own module, because its go.mod's
# replace directives only apply there. Next to the binary: the CRDs the tests install
# (Traefik's own, and the Gateway API standard channel at the version Traefik requires),
# so nothing is downloaded at test time.
traefik_pin() { sed -n "s|^[[:space:]]*\(require \)\{0,1\}$1 \(v[^ ]*\).*|\2|p" tools/traefik/go.mod | head -1; }
TRAEFIK_VERSION=$(traefik_pin github.com/traefik/traefik/v3)
GATEWAY_API_VERSION=$(traefik_pin sigs.k8s.io/gateway-api)
traefik_dir="$SHIKSHA_CACHE/go-tools/traefik-$TRAEFIK_VERSION"
if [ ! -x "$traefik_dir/traefik" ] || [ ! -f "$traefik_dir/crds/gateway-api-$GATEWAY_API_VERSION.yaml" ]; then
  build_traefik() {
    local src gw tmp wants
    src=$(go mod download -json "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" | jq -r .Dir)
    wants=$(sed -n 's|^[[:space:]]*sigs.k8s.io/gateway-api \(v[^ ]*\).*|\1|p' "$src/go.mod")
    if [ "$wants" != "$GATEWAY_API_VERSION" ]; then
      echo "Traefik $TRAEFIK_VERSION requires Gateway API $wants; tools/traefik/go.mod pins $GATEWAY_API_VERSION" >&2
      return 1
    fi
    gw=$(go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | jq -r .Dir)
    mkdir -p "$traefik_dir/crds"
    # One YAML stream: a document separator before each file, or their documents merge.
    for crd in "$gw"/config/crd/standard/*.yaml; do echo "---"; cat "$crd"; done \
      > "$traefik_dir/crds/gateway-api-$GATEWAY_API_VERSION.yaml"
    cp "$src/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml" "$traefik_dir/crds/traefik.yaml"
    if [ ! -x "$traefik_dir/traefik" ]; then
      tmp=$(mktemp -d)
      cp -r "$src"/. "$tmp" && chmod -R u+w "$tmp"
      (cd "$tmp" && CGO_ENABLED=0 nice go build -p "${SHIKSHA_GO_PARALLEL:-2}" -trimpath -ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" -o "$traefik_dir/traefik" ./cmd/traefik)
      rm -rf "$tmp"
    fi
  }
  step "build Traefik $TRAEFIK_VERSION and fetch its CRDs and Gateway API $GATEWAY_API_VERSION's (cached in $traefik_dir)" build_traefik
fi
ln -sf "$traefik_dir/traefik" "$SHIKSHA_CACHE/bin/traefik"

# --- The component package from Pulumi YAML (issue 25): the YAML language host the engine
# runs for tests/package/yaml (a program that uses provider/, docs/components-package.md).
# Upstream's pulumi-language-yaml, pinned, built from its own module (its own go.mod, which
# needs pulumi/pulumi pkg/v3 v3.206.0: served by the Go module proxy) and linked beside the
# engine, where the CLI finds a language host on PATH.
go_tool github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v1.25.0 pulumi-language-yaml
