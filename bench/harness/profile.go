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
	targets map[string]string // name → base URL of /debug/pprof
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// startProfiles profiles each target into dir as NAME-PHASE-N.pb.gz until stop is called.
// With an empty dir it does nothing.
func startProfiles(ctx context.Context, dir, phase string, targets map[string]string) *profiler {
	ctx, cancel := context.WithCancel(ctx)
	p := &profiler{dir: dir, targets: targets, cancel: cancel}
	if dir == "" {
		return p
	}
	for name, base := range targets {
		if base == "" {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for i := 0; ctx.Err() == nil; {
				url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, int(profileSlice.Seconds()))
				if err := fetchTo(context.WithoutCancel(ctx), url, filepath.Join(dir, fmt.Sprintf("%s-%s-%02d.pb.gz", name, phase, i))); err != nil {
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
func heapProfile(ctx context.Context, dir, name, base string) {
	if dir == "" || base == "" {
		return
	}
	_ = fetchTo(ctx, base+"/debug/pprof/heap", filepath.Join(dir, name+"-heap.pb.gz"))
}

func fetchTo(ctx context.Context, url, path string) error {
	ctx, cancel := context.WithTimeout(ctx, profileSlice+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
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
