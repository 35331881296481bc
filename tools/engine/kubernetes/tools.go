//go:build tools

// Keeps the provider's main package and the packages of its generate step in
// this module's dependency graph, so go.sum covers the whole build.
package tools

import (
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
	_ "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)
