// Command etcd is the etcd server of go.etcd.io/etcd/server/v3 at the version the pinned
// k8s.io/kubernetes release requires, so the API server talks to the etcd it was tested with.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
