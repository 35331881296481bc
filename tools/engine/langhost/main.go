// pulumi-language-python for the Shiksha Setu engine bootstrap.
//
// Upstream's Python language host is its own Go module
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) and the Go
// module proxy reachable from our machines refuses every version of it (403 "This
// module version is not available", including its version list). Everything else
// the engine needs is built from upstream modules. This program fills that one gap:
// it serves the engine's LanguageRuntime gRPC protocol, as defined by the upstream
// SDK (sdk/v3/proto/go), and delegates all language work to upstream's own Python
// pieces: the program runs under the SDK's pulumi-language-python-exec script in
// the project's virtualenv, and policy packs run as their own Python programs.
// It implements only what `pulumi preview/up/destroy` (with policy packs) use;
// every other call answers Unimplemented, which the engine handles.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Stamped by the bootstrap (-X main.version=...) with the engine version it ships with.
var version = "0.0.0-dev"

// The exec script exits with this code after it has shown the user an actionable
// error; the engine then stops without adding a second, less useful message.
const bailExitCode = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	args := os.Args[1:]
	var engineAddress string
	// Flags upstream accepts (tracing, root) may come first; the engine address is always last.
	if len(args) > 0 {
		engineAddress = args[len(args)-1]
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if engineAddress != "" {
		// Exit when the engine goes away instead of lingering as an orphan.
		go func() { _ = rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel) }()
	}

	done := make(chan bool)
	go func() { <-ctx.Done(); close(done) }()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: done,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{engineAddress: engineAddress})
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: could not start the language host RPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of standard output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// runtimeOption reads a string option of the `runtime:` section (Pulumi.yaml or PulumiPolicy.yaml).
func runtimeOption(info *pulumirpc.ProgramInfo, name string) string {
	if info == nil || info.GetOptions() == nil {
		return ""
	}
	if v, ok := info.GetOptions().GetFields()[name]; ok {
		return v.GetStringValue()
	}
	return ""
}

// virtualenv resolves the `virtualenv` runtime option against the project root, as upstream does.
func virtualenv(info *pulumirpc.ProgramInfo) string {
	venv := runtimeOption(info, "virtualenv")
	if venv == "" {
		return ""
	}
	if !filepath.IsAbs(venv) {
		venv = filepath.Join(info.GetRootDirectory(), venv)
	}
	return filepath.Clean(venv)
}

// python returns the interpreter for a program and the environment changes that
// activate its virtualenv, or an error that says how to create a missing one.
func python(info *pulumirpc.ProgramInfo) (string, []string, error) {
	venv := virtualenv(info)
	if venv == "" {
		for _, name := range []string{"python3", "python"} {
			if p, err := exec.LookPath(name); err == nil {
				return p, nil, nil
			}
		}
		return "", nil, errors.New("no python3 or python on PATH, and no `virtualenv` runtime option is set")
	}
	interp := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(interp); err != nil {
		return "", nil, fmt.Errorf("the `virtualenv` runtime option points at %q, which has no bin/python; "+
			"create it with `python3 -m venv %s` and install the requirements into it", venv, venv)
	}
	env := []string{
		"VIRTUAL_ENV=" + venv,
		"PULUMI_RUNTIME_VIRTUALENV=" + venv,
		"PATH=" + filepath.Join(venv, "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
	}
	return interp, env, nil
}

// environ merges overrides into the current environment; PYTHONHOME would point a
// virtualenv's interpreter at another installation's standard library.
func environ(overrides ...string) []string {
	keep := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		keep[k] = v
	}
	delete(keep, "PYTHONHOME")
	for _, kv := range overrides {
		k, v, _ := strings.Cut(kv, "=")
		keep[k] = v
	}
	out := make([]string, 0, len(keep))
	for k, v := range keep {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// execScript finds the SDK's pulumi-language-python-exec, shipped beside this host.
func execScript() (string, error) {
	if p, err := exec.LookPath("pulumi-language-python-exec"); err == nil {
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("pulumi-language-python-exec is not on PATH; run tools/engine/bootstrap.sh")
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	interp, venvEnv, err := python(req.GetInfo())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	script, err := execScript()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	program := req.GetInfo().GetProgramDirectory()
	if entry := req.GetInfo().GetEntryPoint(); entry != "" && entry != "." {
		program = filepath.Join(program, entry)
	}
	if program == "" {
		program = req.GetProgram() //nolint:staticcheck // older engines send only this
	}

	args := []string{"-u", script,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
	}
	if req.GetOrganization() != "" {
		args = append(args, "--organization", req.GetOrganization())
	}
	if root := req.GetInfo().GetRootDirectory(); root != "" {
		args = append(args, "--root_directory", root)
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	// A stack without config sends no map; the SDK's set_all_config reads the variable
	// as a JSON object, and `null` crashes it, so an empty map goes as `{}`.
	configMap := req.GetConfig()
	if configMap == nil {
		configMap = map[string]string{}
	}
	config, err := json.Marshal(configMap)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, interp, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = environ(append(venvEnv,
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secrets),
	)...)
	// The engine turns the host's output into the update's diagnostics.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr

	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == bailExitCode {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run %s: %v", interp, err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// requiredPackages lists the resource plugins that the packages installed in the
// virtualenv declare in their pulumi-plugin.json, so the engine can load them
// before the program runs (upstream asks pip for the same files).
func requiredPackages(info *pulumirpc.ProgramInfo) ([]*pulumirpc.PackageDependency, error) {
	venv := virtualenv(info)
	if venv == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(venv, "lib", "python*", "site-packages", "*", "pulumi-plugin.json"))
	if err != nil {
		return nil, err
	}
	var deps []*pulumirpc.PackageDependency
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var meta struct {
			Resource bool   `json:"resource"`
			Name     string `json:"name"`
			Version  string `json:"version"`
			Server   string `json:"server"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if !meta.Resource || meta.Name == "" {
			continue
		}
		deps = append(deps, &pulumirpc.PackageDependency{
			Name: meta.Name, Kind: "resource", Version: meta.Version, Server: meta.Server,
		})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return deps, nil
}

func (h *host) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := requiredPackages(req.GetInfo())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

//nolint:staticcheck // the engine still falls back to this for older hosts
func (h *host) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := requiredPackages(req.GetInfo())
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(deps))
	for _, d := range deps {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: d.GetName(), Kind: d.GetKind(), Version: d.GetVersion(), Server: d.GetServer(),
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// RunPlugin runs a Python plugin, here a CrossGuard policy pack: `python -u <dir>`
// runs the pack's __main__.py, which prints the port of its analyzer server.
func (h *host) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	interp, venvEnv, err := python(req.GetInfo())
	if err != nil {
		return err
	}
	program := req.GetInfo().GetProgramDirectory()
	if entry := req.GetInfo().GetEntryPoint(); entry != "" && entry != "." {
		program = filepath.Join(program, entry)
	}
	cmd := exec.CommandContext(server.Context(), interp, append([]string{"-u", program}, req.GetArgs()...)...)
	cmd.Dir = req.GetPwd()
	cmd.Env = environ(append(venvEnv, req.GetEnv()...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start %s %s: %w", interp, program, err)
	}

	// A gRPC stream allows one sender at a time.
	var mu sync.Mutex
	send := func(msg *pulumirpc.RunPluginResponse) error {
		mu.Lock()
		defer mu.Unlock()
		return server.Send(msg)
	}
	var wg sync.WaitGroup
	pump := func(r io.Reader, wrap func([]byte) *pulumirpc.RunPluginResponse) {
		defer wg.Done()
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				if sendErr := send(wrap(line)); sendErr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	wg.Add(2)
	go pump(stdout, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	})
	go pump(stderr, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	})
	wg.Wait()

	code := int32(0)
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
		code = int32(exit.ExitCode())
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

func (h *host) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	interp, _, err := python(req.GetInfo())
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(interp, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", interp, err)
	}
	return &pulumirpc.AboutResponse{
		Executable: interp,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "Python "),
	}, nil
}
