package operatortest

import (
	"fmt"
	"io"
	"os"
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/logging"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// HashKey is the key of the data-hash annotations in every test operator, so tests can
// compute the annotations they expect.
const HashKey = "test-hash-key-of-at-least-32-bytes!!"

// LogEnv names the environment variable that, when set, sends the logs of a test operator
// to stderr.
const LogEnv = "FERRY_TEST_LOG"

// SetLogger sends the operator's logs to w at verbosity v, and also to stderr when LogEnv is
// set; with w nil they go to stderr when LogEnv is set and nowhere otherwise.
//
// Call it before the control plane starts: controller-runtime gives up waiting for a logger
// 30 s after its first use and drops every line from then on, which a slow start on a loaded
// machine reaches.
func SetLogger(w io.Writer, v int) {
	out := w
	if out == nil {
		out = io.Discard
	}
	if os.Getenv(LogEnv) != "" {
		if w == nil {
			out = os.Stderr
		} else {
			out = io.MultiWriter(w, os.Stderr)
		}
	}
	ctrl.SetLogger(logging.New(out, v))
}

// Start builds the operator with opts (HashKey defaults to this package's HashKey) and runs
// it under cp.Ctx. The channel receives what the manager returned, if it ever returns before
// the control plane stops.
func Start(cp *testenv.ControlPlane, opts operator.Options) (<-chan error, error) {
	if opts.HashKey == nil {
		opts.HashKey = []byte(HashKey)
	}
	mgr, err := operator.New(cp.Ctx, cp.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("building the operator: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(cp.Ctx) }()
	return done, nil
}

// MustStart is Start for a TestMain: it panics when the operator cannot be built, and when
// the operator stops with an error while the control plane still runs (a real deployment
// would have restarted; a test would only see objects that never sync).
func MustStart(cp *testenv.ControlPlane, opts operator.Options) {
	done, err := Start(cp, opts)
	if err != nil {
		panic(err)
	}
	go func() {
		err := <-done
		if err != nil && cp.Ctx.Err() == nil {
			panic(fmt.Sprintf("the operator stopped: %v", err))
		}
	}()
}

// RunProviders is the TestMain of a provider package: it starts a control plane and a
// Ferry operator serving only providers, sets *k8s to the control plane's client, and runs
// the package's tests; pass its result to os.Exit.
func RunProviders(m *testing.M, k8s *client.Client, providers ...provider.Provider) int {
	SetLogger(nil, 0)
	return testenv.Run(m, func(cp *testenv.ControlPlane) {
		*k8s = cp.Client
		MustStart(cp, operator.Options{Providers: provider.NewRegistry(providers...)})
	})
}
