// psa-eval (tests/policies/test_pss_library.py): reads JSON lines {"spec":..., "annotations":..., "level":"baseline", "version":"latest"}
// and prints {"allowed":bool,"reasons":[...]} per line, using the Pod Security admission library.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type input struct {
	Spec        corev1.PodSpec    `json:"spec"`
	Annotations map[string]string `json:"annotations"`
	Level       string            `json:"level"`
	Version     string            `json:"version"`
}

func main() {
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(err)
	}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	out := json.NewEncoder(os.Stdout)
	for sc.Scan() {
		var in input
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			out.Encode(map[string]any{"error": err.Error()})
			continue
		}
		lvl, _ := api.ParseLevel(in.Level)
		ver, err := api.ParseVersion(in.Version)
		if err != nil {
			out.Encode(map[string]any{"error": err.Error()})
			continue
		}
		meta := metav1.ObjectMeta{Annotations: in.Annotations}
		agg := policy.AggregateCheckResults(ev.EvaluatePod(api.LevelVersion{Level: lvl, Version: ver}, &meta, &in.Spec))
		out.Encode(map[string]any{"allowed": agg.Allowed, "reasons": fmt.Sprint(agg.ForbiddenReasons, agg.ForbiddenDetails)})
	}
}
