// eso-render renders ExternalSecret templates with the operator's own template engine
// (pkg/template/v2, what the controller runs for target.template, engine v2), so a test
// can compare them with the values the Pulumi source writes without a cluster.
//
//	stdin:  {"templates": {"KEY": "<template>"}, "data": {"secretKey": "<value>"}}
//	stdout: {"KEY": "<rendered value>"}
package main

import (
	"encoding/json"
	"fmt"
	"os"

	esv1 "github.com/external-secrets/external-secrets/apis/externalsecrets/v1"
	template "github.com/external-secrets/external-secrets/pkg/template/v2"
	corev1 "k8s.io/api/core/v1"
)

type request struct {
	Templates map[string]string `json:"templates"`
	Data      map[string]string `json:"data"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "eso-render: reading the request:", err)
		os.Exit(2)
	}
	tpl := make(map[string][]byte, len(req.Templates))
	for k, v := range req.Templates {
		tpl[k] = []byte(v)
	}
	data := make(map[string][]byte, len(req.Data))
	for k, v := range req.Data {
		data[k] = []byte(v)
	}
	secret := &corev1.Secret{Data: map[string][]byte{}}
	if err := template.Execute(tpl, data, esv1.TemplateScopeValues, esv1.TemplateTargetData, secret); err != nil {
		fmt.Fprintln(os.Stderr, "eso-render:", err)
		os.Exit(1)
	}
	out := make(map[string]string, len(secret.Data))
	for k, v := range secret.Data {
		out[k] = string(v)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "eso-render: writing the result:", err)
		os.Exit(2)
	}
}
