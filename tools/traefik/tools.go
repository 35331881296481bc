//go:build tools

// Keeps the pins in go.mod as requirements `go mod tidy` (and so Dependabot) sees: the
// packages are never compiled here (scripts/setup-test-tools.sh builds Traefik from its
// own module).
package tools

import (
	_ "github.com/traefik/traefik/v3/pkg/version"
	_ "sigs.k8s.io/gateway-api/apis/v1"
)
