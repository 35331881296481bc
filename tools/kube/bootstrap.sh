#!/usr/bin/env bash
# Builds the control plane the API server tests run (tests/apiserver): kube-apiserver
# and kube-controller-manager from the k8s.io/kubernetes module, and etcd from the
# go.etcd.io/etcd/server/v3 version that release requires, all from the Go module
# proxy with this machine's Go toolchain. Debian's etcd-server (3.4.23 in bookworm) is
# older than the etcd 3.5+ that current API servers support (this release's own client
# is etcd v3.7.0), so etcd is built too.
# Everything lands in $SHIKSHA_CACHE/kube/<kubernetes version>/ and is linked into
# $SHIKSHA_CACHE/bin; a complete directory whose stamp matches tools/kube/go.{mod,sum}
# is not rebuilt, so a warm run costs well under a second.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
. "$REPO/scripts/lib.sh"

fail() { echo "!!! kube bootstrap: $*" >&2; exit 1; }
command -v go >/dev/null || fail "the go command is missing (Go 1.26 is needed to build the control plane)"

# The pins live in go.mod only, so the built version and the module graph cannot drift.
# Read with sed rather than `go list -m`, so a warm run needs neither the module cache
# nor the network.
modver() { sed -n "s|^[[:space:]]*\(require \)\{0,1\}$1 \(v[^ ]*\).*|\2|p" "$HERE/go.mod" | head -1; }
KUBE_VERSION=$(modver k8s.io/kubernetes)
ETCD_VERSION=$(modver go.etcd.io/etcd/server/v3)
OUT="$SHIKSHA_CACHE/kube/$KUBE_VERSION"
BIN="$SHIKSHA_CACHE/bin"
mkdir -p "$BIN"

if [ -z "$KUBE_VERSION" ] || [ -z "$ETCD_VERSION" ]; then
  fail "cannot read the k8s.io/kubernetes and etcd pins from $HERE/go.mod"
fi

# Only the Go module proxy: a module it does not serve fails here, not at a VCS host.
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
export GOFLAGS="${GOFLAGS:-} -mod=readonly -trimpath"
# Static binaries like the upstream release build; nothing here needs cgo.
export CGO_ENABLED=0
# Two cores shared with the engine build: one package compile at a time per core.
PARALLEL="${SHIKSHA_GO_PARALLEL:-2}"

want=$(cat "$HERE/go.mod" "$HERE/go.sum" "$HERE"/cmd/etcd/*.go | sha256sum | cut -c1-16)
link() { for b in kube-apiserver kube-controller-manager etcd; do ln -sf "$OUT/$b" "$BIN/$b"; done; }

T0=$SECONDS
if [ -f "$OUT/.complete" ] && [ "$(cat "$OUT/.complete")" = "$want" ]; then
  link
  echo "==> kube control plane $KUBE_VERSION (etcd $ETCD_VERSION): cached in $OUT, linked into $BIN ($((SECONDS - T0)) s)"
  exit 0
fi

echo "==> kube bootstrap: building kube-apiserver, kube-controller-manager $KUBE_VERSION and etcd $ETCD_VERSION into $OUT (links in $BIN)"
rm -rf "$OUT"; mkdir -p "$OUT"

# The same version variables the upstream release build stamps (hack/lib/version.sh),
# so /version reports the release and clients' version checks see a real server.
commit=$(cd "$HERE" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^\t\t"Hash": "\(.*\)",\{0,1\}$/\1/p' | head -1) || commit=""
minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitCommit=${commit:-unknown} -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

build() { # build module what package
  step "go build $2" bash -c "cd '$HERE' && nice go build -p '$PARALLEL' -ldflags '$ldflags' -o '$OUT/$2' '$3'" \
    || fail "building $2 from module $1 failed (see output above)"
}
build "k8s.io/kubernetes@$KUBE_VERSION" kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build "k8s.io/kubernetes@$KUBE_VERSION" kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build "go.etcd.io/etcd/server/v3@$ETCD_VERSION" etcd ./cmd/etcd

echo "$want" > "$OUT/.complete"
link
echo "==> kube control plane ready in $((SECONDS - T0)) s: $("$OUT/kube-apiserver" --version), etcd $("$OUT/etcd" --version | sed -n 's/^etcd Version: //p') ($(du -sh "$OUT" | cut -f1) in $OUT)"
