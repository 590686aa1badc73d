package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/shard"
	"github.com/ferryhq/ferry/internal/testenv"
)

// apiWrite is one write request that reached the API server through the proxy.
type apiWrite struct {
	replica   string // from the user agent's "replica/<name>"
	verb      string // create, update, patch, delete
	namespace string
	resource  string // e.g. secrets, externalsecrets/status
	name      string // empty for a create (the name is in the body)
	status    int    // the API server's answer; 0 when none came (the replica gave up or died)
}

// done tells whether the API server carried the write out.
func (w apiWrite) done() bool { return w.status >= 200 && w.status < 300 }

// recorder keeps the status of the answer the proxy relays.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Flush lets watches stream through the recorder.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// writeProxy is a plain-HTTP reverse proxy on loopback in front of the test API server. The
// replicas talk to it without credentials; it forwards with the control plane's and records
// every write by the replica that sent it, so counts are the API server's view.
type writeProxy struct {
	kubeconfig string
	mu         sync.Mutex
	writes     []apiWrite
	inFlight   int // writes sent upstream whose answer is not yet recorded
}

func startWriteProxy(t *testing.T) *writeProxy {
	t.Helper()
	upstream, err := url.Parse(cp.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := rest.TransportFor(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(upstream)
	rp.Transport = transport
	rp.FlushInterval = -1 // watches stream
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
		// No answer from the API server (the request was cancelled): record none.
		w.(*recorder).status = -1
		w.WriteHeader(http.StatusBadGateway)
	}
	p := &writeProxy{}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write, ok := classifyWrite(r)
		rec := &recorder{ResponseWriter: w}
		if !ok {
			rp.ServeHTTP(rec, r)
			return
		}
		p.mu.Lock()
		p.inFlight++
		p.mu.Unlock()
		// Deferred: when the replica goes away while the answer is relayed, the reverse
		// proxy aborts the handler with a panic (http.ErrAbortHandler) after the API server
		// carried out the write; the write still counts, with the status it got.
		defer func() {
			switch {
			case rec.status < 0: // no answer
			case rec.status == 0:
				write.status = http.StatusOK // a body without a header is a 200
			default:
				write.status = rec.status
			}
			p.mu.Lock()
			p.writes = append(p.writes, write)
			p.inFlight--
			p.mu.Unlock()
		}()
		rp.ServeHTTP(rec, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	p.kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: proxy, cluster: {server: "http://%s"}}]
users: [{name: anonymous, user: {}}]
contexts: [{name: proxy, context: {cluster: proxy, user: anonymous}}]
current-context: proxy
`, ln.Addr())
	if err := os.WriteFile(p.kubeconfig, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// classifyWrite reads a namespaced write request's path: /api/v1/namespaces/NS/RESOURCE[/NAME[/SUB]]
// or /apis/GROUP/VERSION/namespaces/NS/....
func classifyWrite(r *http.Request) (apiWrite, bool) {
	verb := map[string]string{http.MethodPost: "create", http.MethodPut: "update", http.MethodPatch: "patch", http.MethodDelete: "delete"}[r.Method]
	if verb == "" {
		return apiWrite{}, false
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i := 0; i+2 < len(parts); i++ {
		if parts[i] != "namespaces" {
			continue
		}
		w := apiWrite{verb: verb, namespace: parts[i+1], resource: parts[i+2]}
		if i+3 < len(parts) {
			w.name = parts[i+3]
		}
		if i+4 < len(parts) {
			w.resource += "/" + parts[i+4]
		}
		if _, name, ok := strings.Cut(r.UserAgent(), " replica/"); ok {
			w.replica = name
		}
		return w, true
	}
	return apiWrite{}, false
}

// since returns the writes recorded from mark on, and the mark of now. It first waits (up to
// half a minute) for the writes in flight to be recorded: the API server may have carried out
// a write, and the test seen its result, while the proxy still relays the answer to a busy or
// stopping replica.
func (p *writeProxy) since(mark int) ([]apiWrite, int) {
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		p.mu.Lock()
		if p.inFlight == 0 || time.Now().After(deadline) {
			defer p.mu.Unlock()
			return append([]apiWrite(nil), p.writes[mark:]...), len(p.writes)
		}
		p.mu.Unlock()
	}
}

func (p *writeProxy) mark() int {
	_, m := p.since(0)
	return m
}

// secretWrites selects the writes of Secrets in namespaces with prefix.
func secretWrites(writes []apiWrite, prefix string) []apiWrite {
	var out []apiWrite
	for _, w := range writes {
		if w.resource == "secrets" && strings.HasPrefix(w.namespace, prefix) {
			out = append(out, w)
		}
	}
	return out
}

const (
	shardTestGroup = "ferry-shard-test"
	shardTestCount = 64
	shardLease     = 4 * time.Second
	shardRenew     = 3 * time.Second
	shardRetry     = 500 * time.Millisecond
)

// shardHolders returns the holder of each shard Lease of the test's group (index: shard).
func shardHolders(t *testing.T) []string {
	t.Helper()
	var leases coordinationv1.LeaseList
	if err := cp.Client.List(context.Background(), &leases, client.InNamespace("ferry-system"),
		client.MatchingLabels{shard.LabelGroup: shardTestGroup, shard.LabelRole: "shard"}); err != nil {
		t.Fatal(err)
	}
	holders := make([]string, shardTestCount)
	for _, l := range leases.Items {
		var s int
		if _, err := fmt.Sscan(l.Annotations[shard.AnnotationShard], &s); err != nil || s >= shardTestCount {
			t.Fatalf("Lease %s: shard annotation %q", l.Name, l.Annotations[shard.AnnotationShard])
		}
		if l.Spec.HolderIdentity != nil {
			holders[s] = *l.Spec.HolderIdentity
		}
	}
	return holders
}

// replicaOf turns a Lease identity ("r1-3fa9c2") into the replica name.
func replicaOf(identity string) string {
	if i := strings.LastIndexByte(identity, '-'); i > 0 {
		return identity[:i]
	}
	return identity
}

// shardsPer counts shards per replica name; "" counts shards nobody holds.
func shardsPer(holders []string) map[string]int {
	out := map[string]int{}
	for _, h := range holders {
		out[replicaOf(h)]++
	}
	return out
}

// waitSpread waits until the shards are held by exactly the replicas named, each holding
// its fair share, and returns the holders.
func waitSpread(t *testing.T, limit time.Duration, replicas ...string) []string {
	t.Helper()
	var holders []string
	testenv.Eventually(t, limit, fmt.Sprintf("the shards spread over %v", replicas), func() (bool, error) {
		holders = shardHolders(t)
		per := shardsPer(holders)
		if len(per) != len(replicas) {
			return false, nil
		}
		for _, r := range replicas {
			fair := float64(shardTestCount) / float64(len(replicas))
			if n := float64(per[r]); n < fair*0.8 || n > fair*1.2 {
				return false, nil
			}
		}
		return true, nil
	})
	return holders
}

// cachesSplit waits until each replica's cache holds the ExternalSecrets of its own shards
// and no other (ferry_shard_objects_cached equals ferry_shard_objects_owned), and the
// replicas' caches together hold each ExternalSecret of the cluster (at least the test's
// own) once.
func cachesSplit(t *testing.T, metricsPorts map[string]string, own int) {
	t.Helper()
	const owned, cached = `ferry_shard_objects_owned{kind="ExternalSecret"}`, `ferry_shard_objects_cached{kind="ExternalSecret"}`
	var all esv1.ExternalSecretList
	if err := cp.Client.List(context.Background(), &all); err != nil {
		t.Fatal(err)
	}
	total := len(all.Items)
	if total < own {
		t.Fatalf("%d ExternalSecrets in the cluster, fewer than the test's %d", total, own)
	}
	var last string
	testenv.Eventually(t, time.Minute, "each replica caches only the ExternalSecrets of its shards", func() (bool, error) {
		sum, split := 0.0, true
		last = ""
		for name, port := range metricsPorts {
			m := scrape(t, port)
			sum += m[cached]
			split = split && m[cached] == m[owned]
			last += fmt.Sprintf(" %s: %v cached, %v owned;", name, m[cached], m[owned])
		}
		return split && sum == float64(total), fmt.Errorf("%s want %d in all", last, total)
	})
	t.Logf("ExternalSecrets per replica:%s", last)
}

// TestSharding runs three ferry replicas with --sharding=on over 300 ExternalSecrets in 30
// namespaces, behind a proxy that records which replica wrote what:
//
//  1. every Secret is created by exactly one replica, each namespace is written by one
//     replica only, and the shards split within ±20% between the replicas (their metrics and
//     `ferry status` say the same); each replica's cache holds only its shards' objects;
//  2. kill -9 of one replica while a change of every value is being synced: the others take
//     its shards within the lease duration and one retry, every Secret reaches the new value,
//     and each is written exactly once;
//  3. with r2 replaced, a fourth replica takes a quarter of the shards and moves few others;
//     no Secret is written again, and the moved objects leave the old owners' caches;
//  4. a replica stopped with SIGTERM while every value changes hands its shards over after
//     draining them: every Secret is written exactly once.
func TestSharding(t *testing.T) {
	const (
		namespaces = 30
		perNS      = 10
		prefix     = "shard-"
	)
	proxy := startWriteProxy(t)
	ctx := context.Background()
	env := []string{"KUBECONFIG=" + proxy.kubeconfig}
	metricsPorts := map[string]string{}
	start := func(name string) *replica {
		metricsPorts[name] = freePort(t)
		return startReplica(t, name, env, "--leader-elect=true", "--leader-election-id="+shardTestGroup,
			"--leader-election-lease-duration="+shardLease.String(), "--leader-election-renew-deadline="+shardRenew.String(),
			"--leader-election-retry-period="+shardRetry.String(),
			"--sharding=on", fmt.Sprintf("--shard-count=%d", shardTestCount), "--replica-name="+name,
			"--metrics-bind-address=127.0.0.1:"+metricsPorts[name], "-v=1")
	}
	start("r1")
	r2 := start("r2")
	start("r3")
	waitSpread(t, time.Minute, "r1", "r2", "r3")
	// The objects come once the shards have spread, so that each namespace has one owner
	// from its first sync on.
	for i := range namespaces {
		ns := fmt.Sprintf("%s%02d", prefix, i)
		ensureNamespace(t, ns)
		mustCreate(t, &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fake"}, Spec: esv1.SecretStoreSpec{
			Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: []esv1.FakeProviderData{{Key: "db", Value: "v1-" + ns}}}}}})
		for j := range perNS {
			mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("es-%02d", j)},
				Spec: esv1.ExternalSecretSpec{SecretStoreRef: esv1.SecretStoreRef{Name: "fake"}, RefreshInterval: esv1.NewDuration(time.Hour),
					Data: []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db"}}}}})
		}
	}

	// 1. Exactly one writer per object; an even split.
	waitAll := func(value string) {
		t.Helper()
		testenv.Eventually(t, 3*time.Minute, "every Secret holds "+value, func() (bool, error) {
			var secrets corev1.SecretList
			if err := cp.Client.List(ctx, &secrets); err != nil {
				return false, err
			}
			n := 0
			for _, s := range secrets.Items {
				if strings.HasPrefix(s.Namespace, prefix) && string(s.Data["password"]) == value+"-"+s.Namespace {
					n++
				}
			}
			return n == namespaces*perNS, nil
		})
	}
	waitAll("v1")
	holders := waitSpread(t, time.Minute, "r1", "r2", "r3")
	t.Logf("shards per replica: %v", shardsPer(holders))
	writes, _ := proxy.since(0)
	creates := 0
	writers := map[string]map[string]bool{} // namespace → replicas that wrote its Secrets
	for _, w := range secretWrites(writes, prefix) {
		if w.replica == "" {
			t.Errorf("a Secret write in %s came without a replica in its user agent", w.namespace)
		}
		if w.verb == "create" && w.done() {
			creates++
		}
		if writers[w.namespace] == nil {
			writers[w.namespace] = map[string]bool{}
		}
		writers[w.namespace][w.replica] = true
	}
	if creates != namespaces*perNS {
		t.Errorf("%d Secret creates reached the API server for %d ExternalSecrets, want one each", creates, namespaces*perNS)
	}
	for ns, ws := range writers {
		if len(ws) != 1 {
			t.Errorf("namespace %s: Secrets written by %v, want one replica", ns, ws)
		}
		owner := replicaOf(holders[shard.Of(shard.ByNamespace, shardTestCount, ns, "")])
		if !ws[owner] {
			t.Errorf("namespace %s: Secrets written by %v, but its shard's Lease is held by %s", ns, ws, owner)
		}
	}
	// What a user sees: `kubectl ferry status` names each object's replica.
	statusNS := prefix + "00"
	out, err := exec.Command(ferryBin, "status", "--kubeconfig", kubeconfig, "-n", statusNS).Output()
	if err != nil {
		t.Fatalf("ferry status: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	wantOwner := replicaOf(holders[shard.Of(shard.ByNamespace, shardTestCount, statusNS, "")])
	if len(lines) != perNS+1 || !strings.HasSuffix(lines[0], "REPLICA") {
		t.Errorf("ferry status -n %s: want a REPLICA column and %d rows:\n%s", statusNS, perNS, out)
	}
	for _, line := range lines[1:] {
		if fields := strings.Fields(line); fields[len(fields)-1] != wantOwner {
			t.Errorf("ferry status names %s as the replica of a row, want %s (the shard Lease's holder): %q", fields[len(fields)-1], wantOwner, line)
		}
	}

	var owned, objects float64
	for name, port := range metricsPorts {
		m := scrape(t, port)
		owned += m["ferry_shards_owned"]
		objects += m[`ferry_shard_objects_owned{kind="ExternalSecret"}`]
		t.Logf("%s: ferry_shards_owned %v, ExternalSecrets owned %v", name, m["ferry_shards_owned"], m[`ferry_shard_objects_owned{kind="ExternalSecret"}`])
	}
	if owned != shardTestCount {
		t.Errorf("the replicas' ferry_shards_owned add up to %v, want %d", owned, shardTestCount)
	}
	if objects < namespaces*perNS {
		t.Errorf("the replicas' ferry_shard_objects_owned{kind=ExternalSecret} add up to %v, want at least %d", objects, namespaces*perNS)
	}
	cachesSplit(t, metricsPorts, namespaces*perNS)

	// 2. kill -9 of r2 while every store's value changes.
	// changeAll changes every store's value and asks for it at once, as ESO's force-sync
	// annotation does.
	changeAll := func(value string) {
		t.Helper()
		for i := range namespaces {
			ns := fmt.Sprintf("%s%02d", prefix, i)
			updateFakeValue(t, &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fake"}}, value+"-"+ns)
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{"force-sync":%q}}}`, value)
		for i := range namespaces {
			for j := range perNS {
				es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("%s%02d", prefix, i), Name: fmt.Sprintf("es-%02d", j)}}
				if err := cp.Client.Patch(ctx, es, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// writtenOnce checks that the API server carried out exactly one write of every Secret.
	// A write the replica gave up on (cancelled by its shutdown, or lost with it) may still
	// have landed unseen; such a Secret may count no write the proxy saw answered.
	writtenOnce := func(writes []apiWrite) {
		t.Helper()
		perSecret, unanswered := map[string][]apiWrite{}, map[string]bool{}
		for _, w := range secretWrites(writes, prefix) {
			if w.verb == "create" || w.verb == "delete" {
				t.Errorf("%s %s a Secret in %s during a value change", w.replica, w.verb, w.namespace)
				continue
			}
			key := w.namespace + "/" + w.name
			perSecret[key] = append(perSecret[key], w)
			if w.status == 0 {
				unanswered[key] = true
			}
		}
		if len(perSecret) != namespaces*perNS {
			t.Errorf("%d Secrets were written for the change, want %d", len(perSecret), namespaces*perNS)
		}
		t.Logf("%d Secrets had a write that got no answer (its replica stopped)", len(unanswered))
		for key, ws := range perSecret {
			done := 0
			for _, w := range ws {
				if w.done() {
					done++
				}
			}
			if done > 1 || done == 0 && !unanswered[key] {
				t.Errorf("Secret %s was written %d times for one change, want once; attempts (replica, verb, status): %v", key, done, ws)
			}
		}
	}

	mark := proxy.mark()
	changeAll("v2")
	r2.kill(t)
	killed := time.Now()
	delete(metricsPorts, "r2")
	limit := shardLease + 2*shardRetry + 3*time.Second // lease duration, a retry on each side, and slack for a busy machine
	testenv.Eventually(t, limit+30*time.Second, "r2's shards taken over", func() (bool, error) {
		per := shardsPer(shardHolders(t))
		return per["r2"] == 0 && per[""] == 0, nil
	})
	took := time.Since(killed)
	t.Logf("r2's shards were taken over %s after kill -9", took.Round(100*time.Millisecond))
	if took > limit {
		t.Errorf("r2's shards were taken over %s after kill -9, want within %s (lease duration and a retry)", took, limit)
	}
	waitAll("v2")
	waitSpread(t, time.Minute, "r1", "r3")
	writes, _ = proxy.since(mark)
	writtenOnce(writes)

	// 3. r2's replacement comes (as the Deployment would start one), then a fourth replica,
	// which takes a quarter of the shards; nothing is written again.
	r5 := start("r5")
	waitSpread(t, time.Minute, "r1", "r3", "r5")
	time.Sleep(3 * time.Second) // let the hand-off to r5 settle: its new objects looked at
	holders = waitSpread(t, time.Minute, "r1", "r3", "r5")
	mark = proxy.mark()
	start("r4")
	waitSpread(t, time.Minute, "r1", "r3", "r4", "r5")
	// Wait for the hand-off to settle: the new owners look at their objects.
	time.Sleep(3 * time.Second)
	after := waitSpread(t, time.Minute, "r1", "r3", "r4", "r5")
	moved, toNew := 0, 0
	for s := range after {
		if after[s] != holders[s] {
			moved++
			if replicaOf(after[s]) == "r4" {
				toNew++
			}
		}
	}
	t.Logf("adding r4 moved %d of %d shards, %d of them to r4: %v", moved, shardTestCount, toNew, shardsPer(after))
	if toNew != shardTestCount/4 {
		t.Errorf("r4 took %d shards, want %d", toNew, shardTestCount/4)
	}
	if moved > shardTestCount*3/8 {
		t.Errorf("adding a fourth replica moved %d of %d shards, want about a quarter (at most %d)", moved, shardTestCount, shardTestCount*3/8)
	}
	// The objects of the shards r4 took have left the others' caches.
	cachesSplit(t, metricsPorts, namespaces*perNS)
	writes, _ = proxy.since(mark)
	for _, w := range secretWrites(writes, prefix) {
		t.Errorf("%s wrote Secret %s/%s (%s) after r4 joined; no value changed", w.replica, w.namespace, w.name, w.verb)
	}
	statusWrites := 0
	for _, w := range writes {
		if strings.HasPrefix(w.namespace, prefix) && w.resource != "events" {
			statusWrites++
		}
	}
	t.Logf("%d writes other than events in the test's namespaces after r4 joined", statusWrites)

	// 4. r5 stops as in a rolling update (SIGTERM) while every value changes again: its
	// shards are drained and released, the others take them, and every Secret is written
	// exactly once.
	mark = proxy.mark()
	changeAll("v3")
	if err := r5.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	testenv.Eventually(t, time.Minute, "r5's shards taken over", func() (bool, error) {
		per := shardsPer(shardHolders(t))
		return per["r5"] == 0 && per[""] == 0, nil
	})
	t.Logf("r5's shards were taken over %s after SIGTERM", time.Since(stopped).Round(100*time.Millisecond))
	waitAll("v3")
	waitSpread(t, time.Minute, "r1", "r3", "r4")
	writes, _ = proxy.since(mark)
	writtenOnce(writes)
}
