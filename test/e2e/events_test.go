package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

const eventsHMACKey = "an-hmac-key-shared-with-the-sender"

// TestChangeReportsOverHTTP: ExternalSecrets that refresh hourly get a rotated AWS secret as
// soon as a signed change report names it — one read for all of them — while forged,
// replayed, stale and malformed reports are refused with a metric and change nothing.
func TestChangeReportsOverHTTP(t *testing.T) {
	ctx := context.Background()
	moto := testenv.MustStartMoto(t)
	sm := secretsManager(t, moto.Endpoint)
	for name, value := range map[string]string{"db": `{"password":"one"}`, "other": `{"password":"untouched"}`} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
	}
	metricsPort := freePort(t)
	ns := "events-http"
	eventsPort := startFerryWithChangeReports(t, moto, "ferry-events-e2e", ns, "--metrics-bind-address=127.0.0.1:"+metricsPort)
	ensureNamespace(t, ns)
	mustCreate(t, &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1"}}}})
	readers := []string{"app-a", "app-b", "app-c"}
	for _, name := range readers {
		createAWSES(t, ns, name, "db")
	}
	createAWSES(t, ns, "bystander", "other")
	for _, name := range readers {
		waitSecretPassword(t, ns, name, "one")
	}
	waitSecretPassword(t, ns, "bystander", "untouched")

	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("db"),
		SecretString: aws.String(`{"password":"two"}`)}); err != nil {
		t.Fatal(err)
	}
	report := []byte(`{"store":{"kind":"SecretStore","namespace":"events-http","name":"aws"},"keys":["db"]}`)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	refusals := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"forged signature", func() *http.Request { return signedReport(eventsPort, report, now, "not-the-key") }, http.StatusUnauthorized},
		{"no credentials", func() *http.Request {
			r := signedReport(eventsPort, report, now, eventsHMACKey)
			r.Header.Del("X-Ferry-Signature")
			return r
		}, http.StatusUnauthorized},
		{"stale timestamp", func() *http.Request { return signedReport(eventsPort, report, stale, eventsHMACKey) }, http.StatusUnauthorized},
		{"malformed", func() *http.Request { return signedReport(eventsPort, []byte(`{"store":`), now, eventsHMACKey) }, http.StatusBadRequest},
		{"too large", func() *http.Request {
			return signedReport(eventsPort, bytes.Repeat([]byte(" "), 70<<10), now, eventsHMACKey)
		}, http.StatusRequestEntityTooLarge},
	}
	for _, r := range refusals {
		if got := send(t, r.req()); got != r.status {
			t.Errorf("%s: status %d, want %d", r.name, got, r.status)
		}
	}
	// Nothing was routed: the Secrets still hold the old value (refresh is an hour away).
	for _, name := range readers {
		if got := password(t, ns, name); got != "one" {
			t.Fatalf("%s changed to %q after refused reports", name, got)
		}
	}

	before := moto.Calls("BatchGetSecretValue") + moto.Calls("GetSecretValue")
	valid := signedReport(eventsPort, report, now, eventsHMACKey)
	if got := send(t, valid); got != http.StatusAccepted {
		t.Fatalf("signed report: status %d, want 202", got)
	}
	for _, name := range readers {
		waitSecretPassword(t, ns, name, "two")
	}
	if reads := moto.Calls("BatchGetSecretValue") + moto.Calls("GetSecretValue") - before; reads != 1 {
		t.Errorf("three objects over one changed key cost %d reads, want 1; moto's calls: %s", reads, moto)
	}
	if got := send(t, signedReport(eventsPort, report, now, eventsHMACKey)); got != http.StatusConflict {
		t.Errorf("replayed report: status %d, want 409", got)
	}
	// A bearer token authenticates too; a key nobody reads is ignored.
	unknown := bearerReport(eventsPort, []byte(`{"store":{"namespace":"events-http","name":"aws"},"keys":["nobody-reads-this"]}`))
	if got := send(t, unknown); got != http.StatusAccepted {
		t.Errorf("token-authenticated report: status %d, want 202", got)
	}
	if got := password(t, ns, "bystander"); got != "untouched" {
		t.Errorf("bystander = %q", got)
	}

	families := scrape(t, metricsPort)
	store := `source="%s",store="aws",store_kind="SecretStore",store_namespace="events-http"`
	want := map[string]float64{
		`ferry_change_events_total{outcome="matched",` + fmt.Sprintf(store, "http") + `}`: 1,
		`ferry_change_events_total{outcome="ignored",` + fmt.Sprintf(store, "http") + `}`: 1,
		`ferry_change_events_refused_total{reason="unauthenticated",source="http"}`:       2,
		`ferry_change_events_refused_total{reason="stale_timestamp",source="http"}`:       1,
		`ferry_change_events_refused_total{reason="malformed",source="http"}`:             1,
		`ferry_change_events_refused_total{reason="too_large",source="http"}`:             1,
		`ferry_change_events_refused_total{reason="replayed",source="http"}`:              1,
	}
	for series, v := range want {
		if families[series] != v {
			t.Errorf("%s = %v, want %v", series, families[series], v)
		}
	}
}

// startFerryWithChangeReports starts Ferry on moto with its change report endpoint, whose
// HMAC key and bearer token are in the Secret authName, and returns the endpoint's port.
// Ferry serves namespace ns only: every AWS store in the cluster would read from this moto,
// and other tests' objects would add to the calls these tests count.
func startFerryWithChangeReports(t *testing.T, moto *testenv.Moto, authName, ns string, args ...string) string {
	t.Helper()
	ensureNamespace(t, "ferry-system")
	authSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ferry-system", Name: authName},
		Data: map[string][]byte{"hmac-key": []byte(eventsHMACKey), "token": []byte("a-bearer-token")}}
	mustCreate(t, authSecret)
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), authSecret) })
	eventsPort := freePort(t)
	startFerry(t, motoEnv(moto), append([]string{"--events-bind-address=127.0.0.1:" + eventsPort,
		"--events-secret=" + authName, "--namespaces=" + ns}, args...)...)
	return eventsPort
}

// TestChangedSecretsBeforeTheirStatus: when one key read by many objects changes, every
// Secret is written before the status patches that only move refreshTime, which follow.
// Each status patch costs the API server what a Secret write does: written in turn with each
// Secret, they would make the last Secret wait for every other object's status too.
func TestChangedSecretsBeforeTheirStatus(t *testing.T) {
	ctx := context.Background()
	moto := testenv.MustStartMoto(t)
	sm := secretsManager(t, moto.Endpoint)
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("shared"),
		SecretString: aws.String(`{"password":"one"}`)}); err != nil {
		t.Fatal(err)
	}
	const workers, objects = 4, 40
	ns := "events-order"
	eventsPort := startFerryWithChangeReports(t, moto, "ferry-events-order", ns, "--concurrent="+strconv.Itoa(workers))
	ensureNamespace(t, ns)
	mustCreate(t, &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1"}}}})
	for i := range objects {
		createAWSES(t, ns, fmt.Sprintf("app-%02d", i), "shared")
	}
	synced := map[string]metav1.Time{}
	for i := range objects {
		name := fmt.Sprintf("app-%02d", i)
		waitSecretPassword(t, ns, name, "one")
		testenv.Eventually(t, 30*time.Second, name+" Ready", func() (bool, error) {
			var es esv1.ExternalSecret
			err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &es)
			synced[name] = es.Status.RefreshTime
			return err == nil && !es.Status.RefreshTime.IsZero(), err
		})
	}

	// refreshTime has a resolution of a second: change the value in a later one.
	var latest time.Time
	for _, at := range synced {
		latest = maxTime(latest, at.Time)
	}
	time.Sleep(time.Until(latest.Add(time.Second)))
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("shared"),
		SecretString: aws.String(`{"password":"two"}`)}); err != nil {
		t.Fatal(err)
	}
	report := []byte(`{"store":{"kind":"SecretStore","namespace":"events-order","name":"aws"},"keys":["shared"]}`)
	if got := send(t, bearerReport(eventsPort, report)); got != http.StatusAccepted {
		t.Fatalf("report: status %d, want 202", got)
	}
	// The order of writes is read from resourceVersions: this control plane has one etcd,
	// whose revision orders every write of every kind (clients elsewhere must not compare
	// them).
	var lastSecret int64
	for i := range objects {
		name := fmt.Sprintf("app-%02d", i)
		waitSecretPassword(t, ns, name, "two")
		var s corev1.Secret
		if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
			t.Fatal(err)
		}
		lastSecret = max(lastSecret, revision(t, &s))
	}
	early := 0
	for i := range objects {
		name := fmt.Sprintf("app-%02d", i)
		var es esv1.ExternalSecret
		testenv.Eventually(t, 30*time.Second, name+"'s status follows", func() (bool, error) {
			err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &es)
			return err == nil && es.Status.RefreshTime.After(synced[name].Time) && isReady(&es), err
		})
		if revision(t, &es) < lastSecret {
			early++
		}
	}
	// Only the syncs still running when the queue ran out of Secrets to write can have
	// patched a status before the last Secret was written.
	if early > workers-1 {
		t.Errorf("%d of %d status patches came before the last Secret write, want at most %d", early, objects, workers-1)
	}
}

// isReady says whether the ExternalSecret's Ready condition is True.
func isReady(es *esv1.ExternalSecret) bool {
	for _, c := range es.Status.Conditions {
		if c.Type == esv1.ExternalSecretReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func revision(t *testing.T, obj client.Object) int64 {
	t.Helper()
	rv, err := strconv.ParseInt(obj.GetResourceVersion(), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

func createAWSES(t *testing.T, ns, name, key string) {
	t.Helper()
	createAWSESEvery(t, ns, name, key, time.Hour)
}

// createAWSESEvery creates an ExternalSecret of the store "aws" refreshed every interval,
// whose Secret's "password" is the property of the remote key.
func createAWSESEvery(t *testing.T, ns, name, key string, interval time.Duration) {
	t.Helper()
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "aws"}, RefreshInterval: esv1.NewDuration(interval),
		Data: []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: key, Property: "password"}}},
	}})
}

func password(t *testing.T, ns, name string) string {
	t.Helper()
	var s corev1.Secret
	if err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		t.Fatal(err)
	}
	return string(s.Data["password"])
}

func waitSecretPassword(t *testing.T, ns, name, want string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, name+" holds "+want, func() (bool, error) {
		var s corev1.Secret
		err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s)
		return err == nil && string(s.Data["password"]) == want, client.IgnoreNotFound(err)
	})
}

func signedReport(port string, body []byte, timestamp, key string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+port+"/v1/changes", bytes.NewReader(body))
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	req.Header.Set("X-Ferry-Timestamp", timestamp)
	req.Header.Set("X-Ferry-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

func bearerReport(port string, body []byte) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+port+"/v1/changes", bytes.NewReader(body))
	req.Header.Set("X-Ferry-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set("Authorization", "Bearer a-bearer-token")
	return req
}

// send posts req, retrying while the endpoint is not listening or not leading yet.
func send(t *testing.T, req *http.Request) int {
	t.Helper()
	var status int
	testenv.Eventually(t, 30*time.Second, "the change endpoint answers", func() (bool, error) {
		req.Body, _ = req.GetBody()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		status = resp.StatusCode
		return status != http.StatusServiceUnavailable, nil
	})
	return status
}

// TestChangeReportRestoresPushedValue: a PushSecret that refreshes hourly puts its value
// back as soon as a change report names the remote key it wrote (someone changed it behind
// Ferry's back), and a report of a key that holds the pushed value already writes nothing.
func TestChangeReportRestoresPushedValue(t *testing.T) {
	ctx := context.Background()
	moto := testenv.MustStartMoto(t)
	sm := secretsManager(t, moto.Endpoint)
	ns := "events-push"
	eventsPort := startFerryWithChangeReports(t, moto, "ferry-events-push", ns)
	ensureNamespace(t, ns)
	mustCreate(t, &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1"}}}})
	mustCreate(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"password": []byte("pushed-by-ferry")}})
	mustCreate(t, &esv1alpha1.PushSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "push"},
		Spec: esv1alpha1.PushSecretSpec{
			RefreshInterval: esv1.NewDuration(time.Hour),
			SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{{Name: "aws", Kind: esv1.SecretStoreKind}},
			Selector:        esv1alpha1.PushSecretSelector{Secret: &esv1alpha1.PushSecretSecret{Name: "source"}},
			Data: []esv1alpha1.PushSecretData{{Match: esv1alpha1.PushSecretMatch{SecretKey: "password",
				RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: "pushed-db"}}}},
		}})
	remote := func() string {
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("pushed-db")})
		if err != nil {
			return ""
		}
		return aws.ToString(out.SecretString)
	}
	testenv.Eventually(t, time.Minute, "the value pushed", func() (bool, error) {
		return remote() == "pushed-by-ferry", fmt.Errorf("not pushed yet; %s; store %s", statusOf(ctx, &esv1alpha1.PushSecret{}, ns, "push"),
			statusOf(ctx, &esv1.SecretStore{}, ns, "aws"))
	})

	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("pushed-db"),
		SecretString: aws.String("changed-behind-ferry")}); err != nil {
		t.Fatal(err)
	}
	report := []byte(`{"store":{"kind":"SecretStore","namespace":"events-push","name":"aws"},"keys":["pushed-db"]}`)
	if got := send(t, signedReport(eventsPort, report, strconv.FormatInt(time.Now().Unix(), 10), eventsHMACKey)); got != http.StatusAccepted {
		t.Fatalf("signed report: status %d, want 202", got)
	}
	testenv.Eventually(t, 30*time.Second, "the pushed value put back", func() (bool, error) { return remote() == "pushed-by-ferry", nil })

	// The value is Ferry's again: a second report costs a look, and no write.
	writes := moto.Calls("PutSecretValue")
	lookups := moto.Calls("DescribeSecret")
	again := []byte(`{"store":{"kind":"SecretStore","namespace":"events-push","name":"aws"},"keys":["pushed-db","nobody-writes-this"]}`)
	if got := send(t, bearerReport(eventsPort, again)); got != http.StatusAccepted {
		t.Fatalf("second report: status %d, want 202", got)
	}
	testenv.Eventually(t, 30*time.Second, "the PushSecret looks again", func() (bool, error) {
		return moto.Calls("DescribeSecret") > lookups, nil
	})
	if got := moto.Calls("PutSecretValue") - writes; got != 0 {
		t.Errorf("a report of a key that holds the pushed value wrote it %d times, want 0", got)
	}
	if got := remote(); got != "pushed-by-ferry" {
		t.Errorf("remote value = %q", got)
	}
}
