// Pins the real Gateway API implementation the live edge tests run (tests/edge_traffic):
// Traefik Proxy, and the Gateway API release whose standard CRDs it is tested with (the one
// Traefik's own go.mod requires). Read by scripts/setup-test-tools.sh, watched by
// Dependabot. Traefik is built from a copy of its own module (its go.mod has replace
// directives a consuming module would ignore), so nothing here is compiled.
module shiksha-setu/tools/traefik

go 1.26.0

require (
	github.com/traefik/traefik/v3 v3.6.12
	sigs.k8s.io/gateway-api v1.4.0
)
