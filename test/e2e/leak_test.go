package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ferryhq/ferry/internal/testenv"
)

// The secret values of the leak test. Each is long and unusual enough that finding it, or
// its base64, anywhere in the collected output can only mean a leak.
const (
	leakUser      = "leak-user-Q7x2kA"
	leakPassword  = "leak-pass-W9k4zB"
	leakEcho      = "leak-echo-R3m8vC"
	leakMalformed = "leak-malformed-T5p1E"
	leakPush      = "leak-push-H6j3nD"
	leakTemplate  = "leak-template-src-P2q8F"
)

// Short values, of one to five bytes, made of characters that appear nowhere else in the
// run: a message carrying one can only be leaking it. Each meets a provider that echoes it
// in an error.
const (
	leakShortAWS     = "☃"  // a Secrets Manager value, echoed by the (faulted) AWS API
	leakShortPush    = "ǂ"  // a pushed value, echoed by the AWS API's refusal
	leakShortWebhook = "ʬq" // a value served by a webhook endpoint, echoed in its error body
	leakShortToken   = "ƺx" // the webhook's bearer token, echoed in that body with the request
)

// TestNoSecretValueLeaks runs the real binary at the highest log verbosity through syncs
// that succeed and syncs that fail in every way that could carry a value into a message: a
// template whose author calls fail with printf of a value, a sprig function whose error
// quotes its argument (toDate of a printf of a value), a provider error that echoes a
// value (injected at the proxy, since AWS itself does not), a malformed remote document, a
// PushSecret whose provider error echoes the pushed value. It then collects every log line,
// every event, every status and every metric, and asserts that no value used in the run
// appears in them, plain or in base64.
func TestNoSecretValueLeaks(t *testing.T) {
	moto := testenv.MustStartMoto(t)
	proxy := testenv.MustStartFaultProxy(t, moto.Endpoint)
	sm := secretsManager(t, moto.Endpoint)
	ctx := context.Background()
	for name, value := range map[string]string{
		"leak/app":       fmt.Sprintf(`{"user":%q,"password":%q}`, leakUser, leakPassword),
		"leak/echo":      leakEcho,
		"leak/malformed": `{"password":"` + leakMalformed, // cut short: not JSON
		"leak/short":     leakShortAWS,
	} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
	}
	metricsPort := freePort(t)
	ferry := startReplica(t, "ferry", []string{"AWS_ENDPOINT_URL=" + proxy.URL, "AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true"},
		"--leader-elect=false", "--metrics-bind-address=127.0.0.1:"+metricsPort, "-v=5")
	ensureNamespace(t, "leak")
	endpoint := startEchoingEndpoint(t)

	apply(t, `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: aws, namespace: leak}
spec:
  provider:
    aws: {service: SecretsManager, region: eu-west-1}
---
apiVersion: v1
kind: Secret
metadata: {name: template-source, namespace: leak}
stringData:
  tpl: "{{ .user }}/`+leakTemplate+`"
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: leak}
spec:
  secretStoreRef: {name: aws}
  refreshInterval: 1h
  dataFrom: [{extract: {key: leak/app}}]
  target:
    template:
      mergePolicy: Merge
      data:
        dsn: '{{ printf "%s:%s@db" .user .password }}'
      templateFrom:
      - secret: {name: template-source, items: [{key: tpl}]}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: template-fail, namespace: leak}
spec:
  secretStoreRef: {name: aws}
  refreshInterval: 1h
  data: [{secretKey: password, remoteRef: {key: leak/app, property: password}}]
  target:
    template:
      data:
        check: '{{ if ne .password "x" }}{{ fail (printf "the password %s is weak" .password) }}{{ end }}'
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: template-printf, namespace: leak}
spec:
  secretStoreRef: {name: aws}
  refreshInterval: 1h
  data: [{secretKey: password, remoteRef: {key: leak/app, property: password}}]
  target:
    template:
      data:
        expires: '{{ printf "%s" .password | mustToDate "2006-01-02" }}'
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: malformed, namespace: leak}
spec:
  secretStoreRef: {name: aws}
  refreshInterval: 1h
  dataFrom: [{extract: {key: leak/malformed}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: echo, namespace: leak}
spec:
  secretStoreRef: {name: aws}
  refreshInterval: 1h
  data: [{secretKey: value, remoteRef: {key: leak/echo}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: short, namespace: leak}
spec:
  secretStoreRef: {name: aws}
  refreshInterval: 1h
  data: [{secretKey: value, remoteRef: {key: leak/short}}]
---
apiVersion: v1
kind: Secret
metadata: {name: webhook-token, namespace: leak, labels: {external-secrets.io/type: webhook}}
stringData: {token: `+leakShortToken+`}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: webhook, namespace: leak}
spec:
  provider:
    webhook:
      url: "`+endpoint.URL+`/values/{{ .remoteRef.key }}"
      headers: {Authorization: "Bearer {{ .auth.token }}"}
      secrets: [{name: auth, secretRef: {name: webhook-token}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: short-webhook, namespace: leak}
spec:
  secretStoreRef: {name: webhook}
  refreshInterval: 1h
  data: [{secretKey: value, remoteRef: {key: short}}]
`)
	waitCondition(t, "externalsecret", "app", "True")
	waitCondition(t, "externalsecret", "echo", "True")
	waitCondition(t, "externalsecret", "template-fail", "False")
	waitCondition(t, "externalsecret", "template-printf", "False")
	waitCondition(t, "externalsecret", "malformed", "False")
	waitCondition(t, "externalsecret", "short", "True")
	waitCondition(t, "externalsecret", "short-webhook", "True")
	if got := kubectl(t, "get", "secret", "-n", "leak", "short-webhook", "-o", "jsonpath={.data.value}"); got != b64(leakShortWebhook) {
		t.Fatalf("the webhook value did not reach the Secret: %q", got)
	}
	if got := kubectl(t, "get", "secret", "-n", "leak", "app", "-o", "jsonpath={.data.dsn}"); got != b64(leakUser+":"+leakPassword+"@db") {
		t.Fatalf("the template did not render the values into the Secret: dsn=%q", got)
	}

	// The provider now refuses the value it holds, quoting it: Ferry knows it from the Secret
	// it wrote.
	proxy.Set(testenv.Fault{Match: testenv.MatchSecretID("leak/echo"),
		Error: &testenv.AWSError{Status: 400, Code: "ValidationException", Message: "the value " + leakEcho + " is not acceptable"}})
	annotate(t, "leak", "echo", "force-sync", "1")
	echoMessage := waitCondition(t, "externalsecret", "echo", "False")
	proxy.Set(testenv.Fault{Match: testenv.MatchSecretID("leak/short"),
		Error: &testenv.AWSError{Status: 400, Code: "ValidationException", Message: "the value " + leakShortAWS + " is not acceptable"}})
	annotate(t, "leak", "short", "force-sync", "1")
	shortMessage := waitCondition(t, "externalsecret", "short", "False")
	// The webhook endpoint now refuses, echoing the request (with its token) and the value.
	endpoint.refuse()
	annotate(t, "leak", "short-webhook", "force-sync", "1")
	webhookMessage := waitCondition(t, "externalsecret", "short-webhook", "False")
	if !strings.Contains(webhookMessage, "the endpoint answered 400") {
		t.Errorf("the webhook failure is %q, want the endpoint's status", webhookMessage)
	}
	statuses := []string{kubectl(t, "get", "externalsecrets,secretstores", "-n", "leak", "-o", "json")}

	// A PushSecret whose provider error quotes the value being pushed.
	proxy.Set(testenv.Fault{Match: testenv.MatchSecretID("leak/pushed"),
		Error: &testenv.AWSError{Status: 400, Code: "InvalidParameterException", Message: "refusing " + leakPush + ": policy"}})
	apply(t, `
apiVersion: v1
kind: Secret
metadata: {name: push-source, namespace: leak}
stringData: {token: `+leakPush+`}
---
apiVersion: external-secrets.io/v1alpha1
kind: PushSecret
metadata: {name: push, namespace: leak}
spec:
  refreshInterval: 1h
  secretStoreRefs: [{name: aws, kind: SecretStore}]
  selector: {secret: {name: push-source}}
  data: [{match: {secretKey: token, remoteRef: {remoteKey: leak/pushed}}}]
`)
	pushMessage := waitCondition(t, "pushsecret", "push", "False")
	proxy.Set(testenv.Fault{Match: testenv.MatchSecretID("leak/pushed-short"),
		Error: &testenv.AWSError{Status: 400, Code: "InvalidParameterException", Message: "refusing " + leakShortPush + ": policy"}})
	apply(t, `
apiVersion: v1
kind: Secret
metadata: {name: push-short-source, namespace: leak}
stringData: {token: `+leakShortPush+`}
---
apiVersion: external-secrets.io/v1alpha1
kind: PushSecret
metadata: {name: push-short, namespace: leak}
spec:
  refreshInterval: 1h
  secretStoreRefs: [{name: aws, kind: SecretStore}]
  selector: {secret: {name: push-short-source}}
  data: [{match: {secretKey: token, remoteRef: {remoteKey: leak/pushed-short}}}]
`)
	pushShortMessage := waitCondition(t, "pushsecret", "push-short", "False")
	proxy.Set(testenv.Fault{})
	if !endpoint.echoed(leakShortToken) || !endpoint.echoed(leakShortWebhook) {
		t.Error("the webhook endpoint's error body did not echo the token and the value: the scenario proves nothing")
	}

	// The scenario did put values in harm's way: the messages had something to redact.
	for name, msg := range map[string]string{"echo": echoMessage, "push": pushMessage, "short": shortMessage, "push-short": pushShortMessage} {
		if !strings.Contains(msg, "[redacted]") {
			t.Errorf("the %s failure carries no redacted value (%q): the scenario did not exercise redaction", name, msg)
		}
	}

	time.Sleep(2 * time.Second) // let the last events and log lines out
	statuses = append(statuses, kubectl(t, "get", "externalsecrets,secretstores,pushsecrets", "-n", "leak", "-o", "json"))
	events := kubectl(t, "get", "events", "-A", "-o", "json")
	eventsV1 := kubectl(t, "get", "events.events.k8s.io", "-A", "-o", "json")
	resp, err := http.Get("http://127.0.0.1:" + metricsPort + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	log, err := os.ReadFile(ferry.log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), `"level":"debug"`) || !strings.Contains(string(log), "Reconciler error") {
		t.Fatalf("the log does not hold the debug lines and reconcile errors the test needs (%d bytes)", len(log))
	}

	outputs := map[string]string{
		"log": string(log), "events": events + eventsV1, "statuses": strings.Join(statuses, "\n"), "metrics": string(metrics),
		"CLI output": cliOutput(t, "echo", "short", "short-webhook", "template-fail", "app"),
	}
	for _, value := range []string{leakUser, leakPassword, leakEcho, leakMalformed, leakPush, leakTemplate} {
		forms := map[string]string{
			"plain": value, "base64": b64(value), "base64 (raw)": base64.RawStdEncoding.EncodeToString([]byte(value)),
			"base64 (url)": base64.URLEncoding.EncodeToString([]byte(value)),
		}
		for where, text := range outputs {
			for form, needle := range forms {
				if i := strings.Index(text, needle); i >= 0 {
					t.Errorf("the %s carries %s %s: ...%s...", where, form, value, text[max(0, i-200):min(len(text), i+len(needle)+50)])
				}
			}
		}
	}
	// Short values are looked for as they are and as JSON or Go escape them to ASCII
	// ("\u2603"); their base64 forms (four characters) occur by chance in any long text.
	for _, value := range []string{leakShortAWS, leakShortPush, leakShortWebhook, leakShortToken} {
		escaped := strings.Trim(strconv.QuoteToASCII(value), `"`)
		for where, text := range outputs {
			for _, needle := range []string{value, escaped} {
				if i := strings.Index(text, needle); i >= 0 {
					t.Errorf("the %s carries the short value %q: ...%s...", where, value, text[max(0, i-200):min(len(text), i+len(needle)+50)])
				}
			}
		}
	}
}

// cliOutput runs "ferry status" and "ferry explain NAME" (the commands of kubectl ferry)
// for the leak namespace and returns everything they printed.
func cliOutput(t *testing.T, names ...string) string {
	t.Helper()
	var out strings.Builder
	commands := [][]string{{"status", "-n", "leak"}}
	for _, name := range names {
		commands = append(commands, []string{"explain", name, "-n", "leak"})
	}
	for _, args := range commands {
		cmd := exec.Command(ferryBin, append(args, "--kubeconfig", kubeconfig)...)
		b, err := cmd.CombinedOutput()
		if len(b) == 0 {
			t.Fatalf("ferry %v printed nothing (%v)", args, err)
		}
		out.Write(b)
	}
	if !strings.Contains(out.String(), "[redacted]") {
		t.Errorf("the CLI output shows no redacted failure: the scan of it proves little\n%s", out.String())
	}
	return out.String()
}

// echoingEndpoint is a secrets endpoint for the webhook provider that serves leakShortWebhook
// and, once told to refuse, answers 400 with a body that echoes the request (its
// Authorization header) and the value: an endpoint that quotes what it got.
type echoingEndpoint struct {
	*httptest.Server
	refusing atomic.Bool
	mu       sync.Mutex
	bodies   []string
}

func startEchoingEndpoint(t *testing.T) *echoingEndpoint {
	t.Helper()
	e := &echoingEndpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !e.refusing.Load() {
			_, _ = w.Write([]byte(leakShortWebhook))
			return
		}
		body := fmt.Sprintf("rejected %s %s with %q: the value %s is stale", r.Method, r.URL, r.Header.Get("Authorization"), leakShortWebhook)
		e.mu.Lock()
		e.bodies = append(e.bodies, body)
		e.mu.Unlock()
		http.Error(w, body, http.StatusBadRequest)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *echoingEndpoint) refuse() { e.refusing.Store(true) }

// echoed says whether an error body the endpoint sent held text.
func (e *echoingEndpoint) echoed(text string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.bodies {
		if strings.Contains(b, text) {
			return true
		}
	}
	return false
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func apply(t *testing.T, manifest string) {
	t.Helper()
	if out, err := kubectlApplyStdin(manifest); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
}

// waitCondition waits until the Ready condition of an object in namespace leak has status,
// and returns its message.
func waitCondition(t *testing.T, kind, name, status string) string {
	t.Helper()
	var msg string
	testenv.Eventually(t, 60*time.Second, kind+" "+name+" Ready="+status, func() (bool, error) {
		out, err := kubectlErr("get", kind, "-n", "leak", name, "-o",
			`jsonpath={.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].message}`)
		got, message, _ := strings.Cut(out, "|")
		msg = message
		return err == nil && got == status, fmt.Errorf("Ready=%q %q (%w)", got, message, err)
	})
	return msg
}
