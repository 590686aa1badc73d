package resilience

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestProviderOutage takes AWS away for a while (first answering 503, then dropping
// connections) under ExternalSecrets that refresh every two seconds. While it is down no
// Secret may change or disappear, even with deletionPolicy Delete; every ExternalSecret
// reports the error; retries back off, so the call rate falls during the outage instead of
// following the refresh interval. Once AWS is back, every Secret catches up within one
// backoff period.
func TestProviderOutage(t *testing.T) {
	const (
		objects  = 5
		interval = 2 * time.Second
		outage   = 24 * time.Second
	)
	ns := testenv.Namespace(t, k8s, nil)
	awsStore(t, ns)
	ctx := context.Background()
	names := make([]string, objects)
	for i := range names {
		names[i] = fmt.Sprintf("es-%d", i)
		putSecret(t, ns+"/"+names[i], "v1-"+names[i])
		es := externalSecret(ns, names[i], ns+"/"+names[i], interval)
		if i%2 == 1 {
			// Only a typed "not found" may delete a Secret: an outage must not.
			es.Spec.Target.DeletionPolicy = esv1.DeletionPolicyDelete
		}
		if err := k8s.Create(ctx, es); err != nil {
			t.Fatal(err)
		}
	}
	versions := map[string]string{}
	testenv.Eventually(t, 30*time.Second, "every Secret synced", func() (bool, error) {
		for _, name := range names {
			v, s, err := secretValue(ns, name)
			if err != nil || v != "v1-"+name {
				return false, err
			}
			versions[name] = s.ResourceVersion
		}
		return true, nil
	})

	// The outage: 503s for the first half, then connections dropped without an answer.
	start := time.Now()
	proxy.Set(testenv.Fault{Error: testenv.ErrUnavailable})
	for _, name := range names {
		// Rotated at AWS meanwhile: the new values must arrive once AWS answers again.
		putSecret(t, ns+"/"+name, "v2-"+name)
	}
	reported := map[string]string{}
	for time.Since(start) < outage {
		if time.Since(start) > outage/2 {
			proxy.Set(testenv.Fault{Drop: true})
		}
		for _, name := range names {
			v, s, err := secretValue(ns, name)
			if err != nil {
				t.Fatal(err)
			}
			if s == nil {
				t.Fatalf("Secret %s was deleted during the outage", name)
			}
			if v != "v1-"+name || s.ResourceVersion != versions[name] {
				t.Fatalf("Secret %s was written during the outage (value %q, resourceVersion %s → %s)", name, v, versions[name], s.ResourceVersion)
			}
			c, err := ready(ns, name)
			if err != nil {
				t.Fatal(err)
			}
			if c != nil && c.Status == metav1.ConditionFalse {
				reported[name] = c.Reason + ": " + c.Message
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	end := time.Now()
	proxy.Set(testenv.Fault{})
	assertOperatorRunning(t)

	for _, name := range names {
		msg, ok := reported[name]
		if !ok {
			t.Errorf("ExternalSecret %s never reported the outage", name)
			continue
		}
		if !strings.HasPrefix(msg, esv1.ReasonSecretSyncedError+": ") || !strings.Contains(msg, "spec.data[0]") ||
			!strings.Contains(msg, "503") && !strings.Contains(msg, "EOF") && !strings.Contains(msg, "connection") {
			t.Errorf("ExternalSecret %s reported %q; want SecretSyncedError naming the entry and the provider's error", name, msg)
		}
	}

	// Backoff: each object's retries double from 5ms, so over the last half of the outage
	// an object is retried about twice, where a refresh every 2s would have cost six tries.
	// A try is at most a version check and a read, each with the SDK's two retries; reads
	// of several objects may share a call. The first half, which holds the fast early
	// retries, costs more.
	calls := func(from, to time.Time) int { return proxy.CountOps(testenv.SecretsManagerReads, "", from, to) }
	firstHalf, secondHalf := calls(start, start.Add(outage/2)), calls(start.Add(outage/2), end)
	t.Logf("Secrets Manager calls during the outage: %d in the first half, %d in the second", firstHalf, secondHalf)
	const callsPerTry = 2 * 3
	if limit := objects * callsPerTry * 3; secondHalf > limit {
		t.Errorf("%d calls in the last %s of the outage, want at most %d: retries do not back off", secondHalf, outage/2, limit)
	}
	// Bounded in total too: one try per doubling of the backoff, per object.
	tries := int(math.Log2(float64(outage/(5*time.Millisecond)))) + 2
	if limit := objects * callsPerTry * tries; firstHalf+secondHalf > limit {
		t.Errorf("%d calls during a %s outage, want at most %d", firstHalf+secondHalf, outage, limit)
	}

	// Recovery within one backoff period: the next retry of each object comes at most as
	// long after the provider's return as the outage had lasted (the backoff doubles, so
	// its last step is no longer than all earlier steps together).
	returned := time.Now()
	testenv.Eventually(t, outage+10*time.Second, "every Secret holds the rotated value", func() (bool, error) {
		for _, name := range names {
			v, _, err := secretValue(ns, name)
			if err != nil || v != "v2-"+name {
				return false, fmt.Errorf("%s holds %q (%w)", name, v, err)
			}
			c, err := ready(ns, name)
			if err != nil || c == nil || c.Status != metav1.ConditionTrue {
				return false, fmt.Errorf("%s not Ready: %+v (%w)", name, c, err)
			}
		}
		return true, nil
	})
	t.Logf("recovered %s after the provider returned (outage %s)", time.Since(returned).Round(100*time.Millisecond), end.Sub(start).Round(100*time.Millisecond))
	if took := time.Since(returned); took > end.Sub(start)+5*time.Second {
		t.Errorf("recovery took %s, more than one backoff period (%s)", took, end.Sub(start))
	}
}
