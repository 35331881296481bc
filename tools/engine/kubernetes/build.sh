#!/usr/bin/env bash
# Builds pulumi-resource-kubernetes VERSION into OUT_DIR from the module required
# in go.mod here. Upstream's main package embeds schema-embed.json and
# terraform-mapping-embed.json, which its `go generate` step derives from
# schema.json and terraform-mapping.json shipped in the module; the module cache
# is read-only, so the package is copied to a work directory inside a copy of this
# module and the same generate program runs there.
set -euo pipefail
VERSION="$1" OUT="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../../../scripts/lib.sh"
MOD=github.com/pulumi/pulumi-kubernetes/provider/v4

WORK="$(mktemp -d "${TMPDIR:-/tmp}/shiksha-k8s-provider.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# `go list -m` only reads the module cache; on a cold machine the source is fetched first.
step "go mod download $MOD (the version go.mod here requires)" bash -c "cd '$HERE' && go mod download '$MOD'"
src=$(cd "$HERE" && go list -m -f '{{.Dir}}' "$MOD")
[ -n "$src" ] && [ -f "$src/cmd/pulumi-resource-kubernetes/schema.json" ] \
  || { echo "!!! $MOD: module source not found in the Go module cache (go list -m $MOD)" >&2; exit 1; }
echo "    module source: $src"

cp "$HERE/go.mod" "$HERE/go.sum" "$WORK/"
mkdir -p "$WORK/cmd/pulumi-resource-kubernetes"
cp "$src"/cmd/pulumi-resource-kubernetes/{main.go,generate.go,schema.json,terraform-mapping.json} \
  "$WORK/cmd/pulumi-resource-kubernetes/"
chmod -R u+w "$WORK"

# The generate program stamps the version into the schema the provider serves,
# which is what the engine and the SDK's plugin checks compare against.
step "generate schema-embed.json and terraform-mapping-embed.json ($MOD, version $VERSION)" \
  bash -c "cd '$WORK/cmd/pulumi-resource-kubernetes' && VERSION='$VERSION' go run ./generate.go"
step "go build pulumi-resource-kubernetes v$VERSION ($MOD) into $OUT" \
  bash -c "cd '$WORK' && go build -ldflags '-s -w -X $MOD/pkg/version.Version=$VERSION' -o '$OUT/pulumi-resource-kubernetes' ./cmd/pulumi-resource-kubernetes"
