// The External Secrets Operator controller, exactly as its own main.go builds it
// (the controllers register every provider, the kubernetes one among them).
package main

import "github.com/external-secrets/external-secrets/cmd/controller"

func main() {
	controller.Execute()
}
