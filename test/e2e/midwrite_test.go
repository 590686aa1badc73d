package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/digest"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestKillMidWrite kills ferry with SIGKILL at random moments while it syncs a large Secret
// (200 keys of 1 KiB), restarts it, and watches every version of the Secret the API server
// ever holds: each must be whole (every key from the same remote version, and the data-hash
// annotation matching the data), because Ferry writes a Secret in one request.
func TestKillMidWrite(t *testing.T) {
	const (
		keys   = 200
		rounds = 8
	)
	moto := testenv.MustStartMoto(t)
	sm := secretsManager(t, moto.Endpoint)
	ctx := context.Background()
	ns := "midwrite"
	ensureNamespace(t, ns)
	document := func(generation int) string {
		m := make(map[string]string, keys)
		for i := range keys {
			m[fmt.Sprintf("key-%03d", i)] = fmt.Sprintf("g%d-", generation) + strings.Repeat("x", 1024)
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	remote := ns + "/big"
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(remote), SecretString: aws.String(document(1))}); err != nil {
		t.Fatal(err)
	}
	env := []string{"AWS_ENDPOINT_URL=" + moto.Endpoint, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true"}
	ferry := startReplica(t, "ferry-1", env, "--leader-elect=false")

	mustCreate(t, &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1"}}}})
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "big"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "aws"}, RefreshInterval: esv1.NewDuration(time.Hour),
		DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: remote}}},
	}})
	versions := watchSecretVersions(t, ns, "big")
	waitGeneration(t, ns, 1)

	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // reproducible kill moments, not security
	for generation := 2; generation <= rounds; generation++ {
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(remote),
			SecretString: aws.String(document(generation))}); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 30*time.Second, ferry.name+" syncing", func() (bool, error) {
			return ferry.logged(`"msg":"Starting workers","controller":"externalsecret"`), nil
		})
		// Kill within 80ms of asking for a sync: the sync (a read and a 200 KiB write)
		// takes about that long, so kills land before, during and after the write.
		patch := fmt.Sprintf(`{"metadata":{"annotations":{"force-sync":"%d"}}}`, generation)
		es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "big"}}
		if err := cp.Client.Patch(ctx, es, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(80)) * time.Millisecond)
		ferry.kill(t)
		ferry = startReplica(t, fmt.Sprintf("ferry-%d", generation), env, "--leader-elect=false")
	}
	waitGeneration(t, ns, rounds)

	var hashKey corev1.Secret
	if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: "ferry-system", Name: operator.HashKeySecret}, &hashKey); err != nil {
		t.Fatal(err)
	}
	key := digest.Key(hashKey.Data["key"])
	seen := versions.all()
	t.Logf("%d versions of the Secret observed", len(seen))
	for _, s := range seen {
		if len(s.Data) != keys {
			t.Errorf("resourceVersion %s holds %d keys, want %d: a half-written Secret", s.ResourceVersion, len(s.Data), keys)
			continue
		}
		generations := map[string]bool{}
		for _, v := range s.Data {
			prefix, _, _ := strings.Cut(string(v), "-")
			generations[prefix] = true
		}
		if len(generations) != 1 {
			t.Errorf("resourceVersion %s mixes remote versions %v", s.ResourceVersion, generations)
		}
		if got, want := s.Annotations[esv1.AnnotationDataHash], key.Data(s.Data); got != want {
			t.Errorf("resourceVersion %s: data-hash annotation does not match its data", s.ResourceVersion)
		}
	}
}

type secretVersions struct {
	mu       sync.Mutex
	versions []corev1.Secret
}

func (v *secretVersions) all() []corev1.Secret {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]corev1.Secret(nil), v.versions...)
}

// watchSecretVersions records every version of a Secret the API server reports.
func watchSecretVersions(t *testing.T, ns, name string) *secretVersions {
	t.Helper()
	wc, err := client.NewWithWatch(cp.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w, err := wc.Watch(ctx, &corev1.SecretList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	sv := &secretVersions{}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			s, ok := ev.Object.(*corev1.Secret)
			if !ok || ev.Type == watch.Deleted || s.Name != name {
				continue
			}
			sv.mu.Lock()
			sv.versions = append(sv.versions, *s)
			sv.mu.Unlock()
		}
	}()
	return sv
}

func waitGeneration(t *testing.T, ns string, generation int) {
	t.Helper()
	want := fmt.Sprintf("g%d-", generation)
	testenv.Eventually(t, 60*time.Second, "Secret big at remote version "+want, func() (bool, error) {
		var s corev1.Secret
		err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "big"}, &s)
		return err == nil && strings.HasPrefix(string(s.Data["key-000"]), want), client.IgnoreNotFound(err)
	})
}
