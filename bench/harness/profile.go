package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// profileSlice is the length of each CPU profile taken during a phase: the phase's end is
// not known in advance, so consecutive slices are taken until it ends (merge them with
// go tool pprof -proto FILES... > merged.pb.gz).
const profileSlice = 5 * time.Second

// profiler takes consecutive CPU profiles from Go pprof endpoints until stopped.
type profiler struct {
	dir     string
	targets map[string]endpoint
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// endpoint is a Go pprof endpoint: the base URL of its /debug/pprof, and the client to reach
// it with.
type endpoint struct {
	base   string
	client *http.Client
}

// startProfiles profiles each target into dir as NAME-PHASE-N.pb.gz until stop is called.
// With an empty dir it does nothing.
func startProfiles(ctx context.Context, dir, phase string, targets map[string]endpoint) *profiler {
	ctx, cancel := context.WithCancel(ctx)
	p := &profiler{dir: dir, targets: targets, cancel: cancel}
	if dir == "" {
		return p
	}
	for name, target := range targets {
		if target.base == "" {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for i := 0; ctx.Err() == nil; {
				url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", target.base, int(profileSlice.Seconds()))
				if err := fetchTo(context.WithoutCancel(ctx), target.client, url, filepath.Join(dir, fmt.Sprintf("%s-%s-%02d.pb.gz", name, phase, i))); err != nil {
					// Not up yet (the operator starting): try again shortly.
					_ = sleep(ctx, 200*time.Millisecond)
					continue
				}
				i++
			}
		}()
	}
	return p
}

// stop waits for the slices in progress, so the last one covers the phase's end.
func (p *profiler) stop() {
	p.cancel()
	p.wg.Wait()
}

// heapProfile saves a heap profile of a Go pprof endpoint.
func heapProfile(ctx context.Context, dir, name string, target endpoint) {
	if dir == "" || target.base == "" {
		return
	}
	_ = fetchTo(ctx, target.client, target.base+"/debug/pprof/heap", filepath.Join(dir, name+"-heap.pb.gz"))
}

func fetchTo(ctx context.Context, client *http.Client, url, path string) error {
	ctx, cancel := context.WithTimeout(ctx, profileSlice+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	// The directory is made here: without it every profile was lost without a word, as
	// fetch errors are retried (CPU slices) or ignored (the heap profile).
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	f, err := os.Create(path) //nolint:gosec // the profile directory the user named
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
