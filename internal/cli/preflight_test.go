package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/preflight"
	"github.com/ferryhq/ferry/internal/testenv"
)

// preflightTestdata holds the manifests the preflight package judges.
const preflightTestdata = "../preflight/testdata"

// TestPreflightExitCode runs preflight over manifests as CI would, and checks the exit code:
// 0 when everything is served or handed off, 1 when something cannot be served yet, 2 when
// the input cannot be read.
func TestPreflightExitCode(t *testing.T) {
	badYAML := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badYAML, []byte("apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
		// output must contain it.
		output string
	}{
		{"served or handed off", []string{"-f", preflightTestdata + "/served"}, 0, "2 served, 2 handed off, 0 cannot be served yet"},
		{"something cannot yet", []string{"-f", preflightTestdata + "/mixed"}, 1, "6 cannot be served yet"},
		{"one file", []string{"--filename=" + preflightTestdata + "/mixed/stores.yaml"}, 1, "provider chef is not implemented"},
		{"another class serves the eso objects", []string{"-f", preflightTestdata + "/served", "--controller-class", "eso"}, 1, "0 served, 2 handed off"},
		{"json", []string{"-f", preflightTestdata + "/served", "-o", "json"}, 0, `"verdict": "hands off"`},
		{"missing path", []string{"-f", filepath.Join(t.TempDir(), "none")}, 2, ""},
		{"not YAML", []string{"-f", badYAML}, 2, ""},
		{"unknown output", []string{"-f", preflightTestdata + "/served", "-o", "wide"}, 2, ""},
		{"names", []string{"db", "-f", preflightTestdata + "/served"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			err := Main(append([]string{"preflight"}, tt.args...), &out, &errOut)
			if got := ExitCode(err); got != tt.want {
				t.Fatalf("exit code %d (%v), want %d\n%s%s", got, err, tt.want, out.String(), errOut.String())
			}
			if tt.want == 1 && tt.output != "" && !errors.Is(err, ErrCannotYet) {
				t.Errorf("error %v, want ErrCannotYet", err)
			}
			if !strings.Contains(out.String(), tt.output) {
				t.Errorf("output lacks %q:\n%s", tt.output, out.String())
			}
		})
	}
}

// TestPreflightJSON: -o json is one document with every object's verdict and the
// differences that apply, each with its doc anchor.
func TestPreflightJSON(t *testing.T) {
	var out, errOut strings.Builder
	err := Main([]string{"preflight", "-o", "json", "-f", preflightTestdata + "/mixed"}, &out, &errOut)
	if !errors.Is(err, ErrCannotYet) {
		t.Fatalf("err %v, want ErrCannotYet\n%s", err, errOut.String())
	}
	var r report
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if r.Summary[preflight.CannotYet] != 6 || r.Summary[preflight.HandsOff] != 3 || r.Summary[preflight.Serves] != 34 {
		t.Errorf("summary %v, want 34 served, 3 handed off, 6 cannot yet", r.Summary)
	}
	if !strings.Contains(strings.Join(r.Providers, ","), "aws") || len(r.GeneratorKinds) == 0 {
		t.Errorf("providers %v, generator kinds %v: want what cmd/ferry registers", r.Providers, r.GeneratorKinds)
	}
	for _, d := range r.Differences {
		if d.ID == "" || d.Summary == "" || !strings.Contains(d.Doc, ".md#") {
			t.Errorf("difference %+v lacks an id, a summary or a doc anchor", d)
		}
	}
}

// TestPreflightCluster reads live objects through the API server: a store and
// ExternalSecret Ferry serves, a store of another class with its ExternalSecret, a store
// whose provider Ferry does not implement, and a PushSecret with dataTo.
func TestPreflightCluster(t *testing.T) {
	needControlPlane(t)
	ns := testenv.Namespace(t, k8s, nil)
	create(t, fakeStore(ns, "ours", "k", "v"))
	other := fakeStore(ns, "theirs", "k", "v")
	other.Spec.Controller = "eso"
	create(t, other)
	create(t, &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chef"}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{Chef: &esv1.ChefProvider{ServerURL: "https://chef.example.com/organizations/ops/", Username: "ferry",
			Auth: esv1.ChefAuth{SecretRef: esv1.ChefSecretRef{PrivateKeySecretRef: esv1.SecretKeySelector{Name: "chef-key", Key: "key.pem"}}}}}}})
	create(t, externalSecret(ns, "served", "ours", "k", "k"))
	create(t, externalSecret(ns, "handed-off", "theirs", "k", "k"))
	create(t, externalSecret(ns, "on-chef", "chef", "k", "k"))
	create(t, &esv1alpha1.PushSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "push-generator"}, Spec: esv1alpha1.PushSecretSpec{
		SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{{Name: "ours"}},
		Selector: esv1alpha1.PushSecretSelector{GeneratorRef: &esv1.GeneratorRef{
			APIVersion: "generators.external-secrets.io/v1alpha1", Kind: "Password", Name: "pw"}},
	}})
	waitReason(t, ns, "served", esv1.ReasonSecretSynced)

	out, err := run(t, "preflight", "-n", ns, "-o", "json")
	if !errors.Is(err, ErrCannotYet) || ExitCode(err) != 1 {
		t.Fatalf("err %v (exit %d), want ErrCannotYet (exit 1)\n%s", err, ExitCode(err), out)
	}
	var r report
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	want := map[string]preflight.Verdict{
		"SecretStore/ours": preflight.Serves, "SecretStore/theirs": preflight.HandsOff, "SecretStore/chef": preflight.CannotYet,
		"ExternalSecret/served": preflight.Serves, "ExternalSecret/handed-off": preflight.HandsOff,
		"ExternalSecret/on-chef": preflight.CannotYet, "PushSecret/push-generator": preflight.Serves,
	}
	for _, o := range r.Objects {
		if o.Namespace != ns {
			t.Errorf("%s %s/%s reported: -n %s reports that namespace only", o.Kind, o.Namespace, o.Name, ns)
			continue
		}
		key := o.Kind + "/" + o.Name
		if v, ok := want[key]; !ok || v != o.Verdict {
			t.Errorf("%s: verdict %q (%q), want %q", key, o.Verdict, o.Reasons, v)
		}
		delete(want, key)
	}
	for key := range want {
		t.Errorf("%s not reported", key)
	}

	// The Ferry of class "eso" serves what the default class hands off, and hands off the
	// rest, the PushSecret of a generator included: nothing it cannot serve, so exit 0.
	out, err = run(t, "preflight", "-n", ns, "--controller-class=eso")
	if err != nil {
		t.Fatalf("err %v, want none: every object is served or handed off\n%s", err, out)
	}
	if !containsLine(out, "ExternalSecret", "handed-off", "serves") || !containsLine(out, "ExternalSecret", "served", "hands off") ||
		!containsLine(out, "PushSecret", "push-generator", "hands off") {
		t.Errorf("table for class eso:\n%s", out)
	}
}

// containsLine says whether a line of the table has the kind, name and verdict, in order.
func containsLine(out, kind, name, verdict string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == kind && f[2] == name && strings.HasPrefix(strings.Join(f[3:], " "), verdict) {
			return true
		}
	}
	return false
}
