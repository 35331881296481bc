// engine_client drives the pack's analyzer the way the Pulumi engine does: a grpc-go
// client calling pulumirpc.Analyzer/Analyze once per resource, one call at a time
// (pkg/resource/deploy/step_generator.go calls analyzer.Analyze(r) for each resource in
// turn; pkg/resource/plugin/analyzer_plugin.go makes one unary call per resource).
//
// The requests arrive already encoded (AnalyzeRequest messages, each preceded by its
// length as a uvarint) so the clock measures the analyzer, not the encoding; the engine
// marshals each resource's properties before the call too. Each line on stdin starts a
// pass; each pass prints one JSON line (wall seconds, per-call latencies, diagnostics).
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protowire"
)

// rawCodec passes already-encoded protobuf through, so the client needs no generated code.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// diagnostics counts AnalyzeResponse.diagnostics (field 2) in an encoded response.
func diagnostics(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return 0, protowire.ParseError(l)
		}
		b = b[l:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return 0, protowire.ParseError(m)
		}
		if num == 2 {
			n++
		}
		b = b[m:]
	}
	return n, nil
}

func readRequests(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var out [][]byte
	for {
		size, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		msg := make([]byte, size)
		if _, err := io.ReadFull(r, msg); err != nil {
			return nil, err
		}
		out = append(out, msg)
	}
}

type pass struct {
	Calls       int     `json:"calls"`
	WallSeconds float64 `json:"wall_s"`
	P50Ms       float64 `json:"p50_ms"`
	P95Ms       float64 `json:"p95_ms"`
	Diagnostics int     `json:"diagnostics"`
}

func main() {
	addr := flag.String("addr", "", "the analyzer's address (127.0.0.1:port)")
	file := flag.String("requests", "", "file of length-prefixed AnalyzeRequest messages")
	flag.Parse()
	requests, err := readRequests(*file)
	if err != nil || len(requests) == 0 {
		fmt.Fprintf(os.Stderr, "reading %s: %v (%d requests)\n", *file, err, len(requests))
		os.Exit(2)
	}
	encoding.RegisterCodec(rawCodec{})
	conn, err := grpc.NewClient(*addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(400*1024*1024)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer conn.Close()
	ctx := context.Background()
	out := json.NewEncoder(os.Stdout)
	stdin := bufio.NewScanner(os.Stdin)
	for stdin.Scan() {
		lat := make([]float64, len(requests))
		p := pass{Calls: len(requests)}
		start := time.Now()
		for i, req := range requests {
			s := time.Now()
			var resp []byte
			if err := conn.Invoke(ctx, "/pulumirpc.Analyzer/Analyze", &req, &resp); err != nil {
				fmt.Fprintf(os.Stderr, "request %d: %v\n", i, err)
				os.Exit(1)
			}
			lat[i] = float64(time.Since(s).Microseconds()) / 1000
			n, err := diagnostics(resp)
			if err != nil {
				fmt.Fprintf(os.Stderr, "response %d: %v\n", i, err)
				os.Exit(1)
			}
			p.Diagnostics += n
		}
		p.WallSeconds = time.Since(start).Seconds()
		sort.Float64s(lat)
		p.P50Ms = lat[len(lat)/2]
		p.P95Ms = lat[len(lat)*95/100-1]
		if err := out.Encode(p); err != nil {
			os.Exit(1)
		}
	}
}
