package onboardbase

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/onboardbase/onboardbasefake"
)

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestOneReadServesEveryExternalSecretOfAStore reads 100 secrets of one environment through
// the fetcher, as 100 ExternalSecrets on one store do in a refresh cycle, and counts the
// requests at the server: one per cycle.
func TestOneReadServesEveryExternalSecretOfAStore(t *testing.T) {
	f := startWithKey(t)
	for i := range 100 {
		f.Set(testProject, testEnvironment, fmt.Sprintf("KEY_%d", i), fmt.Sprintf(`{"n":"%d"}`, i))
	}
	now := time.Now()
	var clock sync.Mutex
	fetcher := fetch.New(provider.NewRegistry(New()), kubeWith(testAPIKey, testPasscode),
		fetch.Options{Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	src := fetch.Source{Store: onboardbaseStore(f.APIHost()), Namespace: "apps", MaxAge: time.Minute}
	cycle := func() {
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				got, err := fetcher.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("KEY_%d", i), Property: "n"})
				if err != nil || string(got) != fmt.Sprint(i) {
					t.Errorf("KEY_%d = %q, %v", i, got, err)
				}
			})
		}
		wg.Wait()
	}
	cycle()
	if n := f.ReadCount(); n != 1 {
		t.Fatalf("100 reads of one environment made %d requests, want 1", n)
	}
	cycle() // within MaxAge: served from the document
	if n := f.ReadCount(); n != 1 {
		t.Fatalf("a second cycle within the refresh interval made %d requests in all, want 1", n)
	}
	clock.Lock()
	now = now.Add(2 * time.Minute)
	clock.Unlock()
	cycle()
	if n := f.ReadCount(); n != 2 {
		t.Fatalf("the next refresh cycle made %d requests in all, want 2", n)
	}
	// A name the environment lacks is "not found", from the same document.
	if _, err := fetcher.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: "ABSENT"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing name = %v, want ErrNotFound", err)
	}
	if n := f.ReadCount(); n != 2 {
		t.Errorf("a missing name within the cycle made %d requests in all, want 2", n)
	}
}

// TestReadsDecryptNamesAndValues: what the server sends encrypted with the passcode comes
// back as written, by name, by property and by extract; an empty value sent as "" is empty
// and a secret whose name is empty is left out; the API key travels in the API_KEY header
// to {apiHost}/secrets with the store's project and environment.
func TestReadsDecryptNamesAndValues(t *testing.T) {
	f := startWithKey(t)
	f.Set(testProject, testEnvironment, "DATABASE_URL", "postgres://admin:pw@db:5432/app")
	f.Set(testProject, testEnvironment, "DB", `{"user":"admin","port":5432,"tls":{"mode":"verify"}}`)
	f.Set(testProject, testEnvironment, "EMPTY", "")
	f.Set(testProject, "staging", "DATABASE_URL", "staging-url")
	f.Set(testProject, testEnvironment, "", "a secret without a name")
	f.SendEmptyAsEmpty()
	var seen []string
	f.Observe(func(r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" key="+strings.Join(r.Header.Values("Api_key"), ","))
	})
	c := newClient(t, f, testAPIKey, testPasscode)
	ctx := context.Background()
	for _, tt := range []struct {
		ref  esv1.ExternalSecretDataRemoteRef
		want string
	}{
		{esv1.ExternalSecretDataRemoteRef{Key: "DATABASE_URL"}, "postgres://admin:pw@db:5432/app"},
		{esv1.ExternalSecretDataRemoteRef{Key: "DB", Property: "user"}, "admin"},
		{esv1.ExternalSecretDataRemoteRef{Key: "DB", Property: "port"}, "5432"},
		{esv1.ExternalSecretDataRemoteRef{Key: "DB", Property: "tls.mode"}, "verify"},
		{esv1.ExternalSecretDataRemoteRef{Key: "EMPTY"}, ""}, // sent as "", not as ciphertext
	} {
		got, err := c.GetSecret(ctx, tt.ref)
		if err != nil || string(got) != tt.want {
			t.Errorf("GetSecret(%s, %q) = %q, %v, want %q", tt.ref.Key, tt.ref.Property, got, err, tt.want)
		}
	}
	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "DB"})
	want := map[string]string{"user": "admin", "port": "5432", "tls": `{"mode":"verify"}`}
	if err != nil || !maps.Equal(asStrings(m), want) {
		t.Errorf("GetSecretMap(DB) = %v, %v, want %v", asStrings(m), err, want)
	}
	all, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{})
	if names := slices.Sorted(maps.Keys(all)); err != nil || !slices.Equal(names, []string{"DATABASE_URL", "DB", "EMPTY"}) {
		t.Errorf("find of everything = %v, %v, want the three named secrets, the nameless one left out", names, err)
	}
	wantCall := "GET /api/v1/secrets?environment=" + testEnvironment + "&project=" + testProject + " key=" + testAPIKey
	if len(seen) == 0 || seen[0] != wantCall {
		t.Errorf("first request = %q, want %q", seen, wantCall)
	}
}

func asStrings(m map[string][]byte) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func TestFind(t *testing.T) {
	f := startWithKey(t)
	for name, value := range map[string]string{"DB_USER": "admin", "DB_PASSWORD": "pw", "API_TOKEN": "tok", "REDIS_URL": "redis://r"} {
		f.Set(testProject, testEnvironment, name, value)
	}
	c := newClient(t, f, testAPIKey, testPasscode)
	ctx := context.Background()
	path := "DB_"
	for _, tt := range []struct {
		name string
		find esv1.ExternalSecretFind
		want []string
	}{
		{"all, as ESO finds without a condition", esv1.ExternalSecretFind{}, []string{"API_TOKEN", "DB_PASSWORD", "DB_USER", "REDIS_URL"}},
		{"name regexp", esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "_(URL|TOKEN)$"}}, []string{"API_TOKEN", "REDIS_URL"}},
		{"path prefix", esv1.ExternalSecretFind{Path: &path}, []string{"DB_PASSWORD", "DB_USER"}},
		{"path and regexp", esv1.ExternalSecretFind{Path: &path, Name: &esv1.FindName{RegExp: "USER"}}, []string{"DB_USER"}},
	} {
		got, err := c.GetAllSecrets(ctx, tt.find)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		names := slices.Sorted(maps.Keys(got))
		if !slices.Equal(names, tt.want) {
			t.Errorf("%s: found %v, want %v", tt.name, names, tt.want)
		}
	}
	if got, _ := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^DB_USER$"}}); string(got["DB_USER"]) != "admin" {
		t.Errorf("find gave DB_USER = %q, want the decrypted value", got["DB_USER"])
	}
	if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Tags: map[string]string{"team": "a"}}); err == nil || !strings.Contains(err.Error(), "no tags") {
		t.Errorf("find by tags = %v, want a refusal that says Onboardbase has no tags", err)
	}
	if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "("}}); err == nil || !strings.Contains(err.Error(), "name.regexp") {
		t.Errorf("a bad regexp = %v, want an error naming the field", err)
	}
}

func TestReadsRefuseVersionsAndMetadata(t *testing.T) {
	f := startWithKey(t)
	f.Set(testProject, testEnvironment, "A", "1")
	c := newClient(t, f, testAPIKey, testPasscode)
	for _, ref := range []esv1.ExternalSecretDataRemoteRef{
		{Key: "A", Version: "2"},
		{Key: "A", MetadataPolicy: esv1.MetadataPolicyFetch},
	} {
		if _, err := c.GetSecret(context.Background(), ref); err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecret(%+v) = %v, want a refusal", ref, err)
		}
	}
	if n := f.ReadCount(); n != 0 {
		t.Errorf("refused refs made %d requests, want 0", n)
	}
}

// TestBadAnswers: each failure the API reference lists gives an error that says what
// happened and what to check, is never "not found" (which would delete target Secrets),
// and quotes no value, API key or passcode.
func TestBadAnswers(t *testing.T) {
	const value = "s3cr3t-value-never-quoted"
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	for _, tc := range []struct {
		name     string
		apiKey   string
		passcode string
		setup    func(f *onboardbasefake.Server)
		want     []string
	}{
		{name: "unknown API key", apiKey: "OBB-UNKNOWN",
			want: []string{"HTTP 401 Unauthorized: Invalid API key", "refused the API key", "auth.apiKeyRef"}},
		{name: "key without the read scope", setup: func(f *onboardbasefake.Server) { f.DenyReadScope(testAPIKey) },
			want: []string{"HTTP 403 Forbidden", "read.secrets scope", "scope that reads secrets"}},
		{name: "unknown project", setup: func(f *onboardbasefake.Server) {
			f.RenameProject(testProject, "renamed")
		},
			want: []string{`project "auth-api" environment "production"`, "HTTP 404 Not Found: Project not found", ".project and .environment"}},
		{name: "unknown environment", setup: func(f *onboardbasefake.Server) { f.RemoveEnvironment(testProject, testEnvironment) },
			want: []string{"HTTP 404 Not Found: Environment not found"}},
		{name: "wrong passcode", passcode: "not the passcode",
			want: []string{"is not AES ciphertext this passcode opens", "auth.passcodeRef"}},
		{name: "rate limited", setup: func(f *onboardbasefake.Server) {
			f.SetFault(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "30")
				onboardbasefake.NestError(w, http.StatusTooManyRequests, "ThrottlerException: Too Many Requests")
			})
		}, want: []string{"HTTP 429 Too Many Requests (retry after 30s)", provider.RateLimitHint}},
		{name: "server error", setup: func(f *onboardbasefake.Server) {
			f.SetFault(func(w http.ResponseWriter, _ *http.Request) {
				onboardbasefake.NestError(w, http.StatusInternalServerError, "Internal server error")
			})
		}, want: []string{"HTTP 500 Internal Server Error"}},
		{name: "success status without the secrets list", setup: func(f *onboardbasefake.Server) {
			f.SetFault(func(w http.ResponseWriter, _ *http.Request) {
				onboardbasefake.WriteJSON(w, http.StatusOK, map[string]any{"status": "error", "message": "Project not found", "data": nil})
			})
		}, want: []string{"the answer holds no data.secrets list", "Project not found"}},
		{name: "truncated answer", setup: func(f *onboardbasefake.Server) {
			f.SetFault(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"data":{"secrets":[{"id":"1","key":"` + value))
			})
		}, want: []string{"ends too early"}},
		{name: "hang", setup: func(f *onboardbasefake.Server) {
			f.SetFault(func(_ http.ResponseWriter, r *http.Request) {
				select {
				case <-hold:
				case <-r.Context().Done():
				}
			})
		}, want: []string{"no answer in time"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startWithKey(t)
			f.Set(testProject, testEnvironment, "DATABASE_URL", value)
			if tc.setup != nil {
				tc.setup(f)
			}
			apiKey, passcode := testAPIKey, testPasscode
			if tc.apiKey != "" {
				apiKey = tc.apiKey
			}
			if tc.passcode != "" {
				passcode = tc.passcode
			}
			hc := &http.Client{Timeout: 300 * time.Millisecond}
			c, err := New(WithHTTPClient(hc)).NewClient(context.Background(), onboardbaseStore(f.APIHost()), kubeWith(apiKey, passcode), "apps")
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			_, getErr := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "DATABASE_URL"})
			_, findErr := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{})
			res, validateErr := c.Validate(ctx)
			if res != esv1.ValidationResultError {
				t.Errorf("Validate = %v, want Error", res)
			}
			for what, err := range map[string]error{"GetSecret": getErr, "GetAllSecrets": findErr, "Validate": validateErr} {
				if err == nil || errors.Is(err, provider.ErrNotFound) {
					t.Errorf("%s = %v, want an error that is not ErrNotFound", what, err)
					continue
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s = %v, want it to say %q", what, err, w)
					}
				}
				if containsAny(err.Error(), value, apiKey, passcode) {
					t.Errorf("%s quotes a value or a credential: %v", what, err)
				}
			}
		})
	}
}

// TestCredentialsFromTheirOwnSecrets: the passcode comes from the Secret passcodeRef names,
// not the API key's; an empty or missing key fails NewClient naming the field, not a value.
func TestCredentialsFromTheirOwnSecrets(t *testing.T) {
	f := startWithKey(t)
	f.Set(testProject, testEnvironment, "A", "1")
	// The passcode's Secret also holds a wrong PASSCODE under the API key's Secret: only the
	// one passcodeRef names decrypts.
	kube := fake.NewClientBuilder().WithObjects(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "onboardbase-api-key", Namespace: "apps"},
			Data: map[string][]byte{"API_KEY": []byte(testAPIKey + "\n"), "PASSCODE": []byte("wrong")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "onboardbase-passcode", Namespace: "apps"},
			Data: map[string][]byte{"PASSCODE": []byte(testPasscode)}},
	).Build()
	c, err := New().NewClient(context.Background(), onboardbaseStore(f.APIHost()), kube, "apps")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "A"}); err != nil || string(got) != "1" {
		t.Errorf("GetSecret = %q, %v, want the value decrypted with passcodeRef's passcode", got, err)
	}
	for name, kube := range map[string]*fake.ClientBuilder{
		"empty passcode": fake.NewClientBuilder().WithObjects(
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "onboardbase-api-key", Namespace: "apps"}, Data: map[string][]byte{"API_KEY": []byte(testAPIKey)}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "onboardbase-passcode", Namespace: "apps"}, Data: map[string][]byte{"PASSCODE": {}}}),
		"no API key Secret": fake.NewClientBuilder().WithObjects(
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "onboardbase-passcode", Namespace: "apps"}, Data: map[string][]byte{"PASSCODE": []byte(testPasscode)}}),
	} {
		_, err := New().NewClient(context.Background(), onboardbaseStore(f.APIHost()), kube.Build(), "apps")
		wantField := map[string]string{"empty passcode": "auth.passcodeRef", "no API key Secret": "auth.apiKeyRef"}[name]
		if err == nil || !strings.Contains(err.Error(), wantField) || containsAny(err.Error(), testAPIKey, testPasscode) {
			t.Errorf("%s: NewClient = %v, want an error naming %s and no credential", name, err, wantField)
		}
	}
}

func TestAPIHost(t *testing.T) {
	for apiHost, want := range map[string]string{
		"":                                       "https://public.onboardbase.com/api/v1",
		"https://public.onboardbase.com/api/v1/": "https://public.onboardbase.com/api/v1",
		"https://obb.example.com/api/v1":         "https://obb.example.com/api/v1",
	} {
		if got := apiBase(apiHost); got != want {
			t.Errorf("apiBase(%q) = %q, want %q", apiHost, got, want)
		}
	}
}

func TestValidateStore(t *testing.T) {
	other := "other"
	for _, tc := range []struct {
		name  string
		edit  func(o *esv1.OnboardbaseProvider)
		want  string
		class error
	}{
		{"ok", func(*esv1.OnboardbaseProvider) {}, "", nil},
		{"default apiHost", func(o *esv1.OnboardbaseProvider) { o.APIHost = "" }, "", nil},
		{"no API key name", func(o *esv1.OnboardbaseProvider) { o.Auth.APIKeyRef.Name = "" }, "auth.apiKeyRef.name: required: the Secret that holds the API key", nil},
		{"no passcode key", func(o *esv1.OnboardbaseProvider) { o.Auth.PasscodeRef.Key = "" }, "auth.passcodeRef.key: empty: name the key of the Secret that holds the API key's passcode", provider.ErrAdmittedMistake},
		{"passcode in another namespace", func(o *esv1.OnboardbaseProvider) { o.Auth.PasscodeRef.Namespace = &other }, "its own namespace", nil},
		{"apiHost not a URL", func(o *esv1.OnboardbaseProvider) { o.APIHost = "public.onboardbase.com" }, "apiHost: \"public.onboardbase.com\" is not an http(s) URL", provider.ErrAdmittedMistake},
		{"empty project", func(o *esv1.OnboardbaseProvider) { o.Project = "" }, "project: empty", provider.ErrAdmittedMistake},
		{"empty environment", func(o *esv1.OnboardbaseProvider) { o.Environment = "" }, "environment: empty", provider.ErrAdmittedMistake},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := onboardbaseStore("https://public.onboardbase.com/api/v1/")
			tc.edit(store.Spec.Provider.Onboardbase)
			conformance.CheckStoreError(t, New().ValidateStore(store), tc.want, tc.class)
		})
	}
	if err := New().ValidateStore(&esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{}}}); err == nil {
		t.Error("a store without an onboardbase block passed")
	}
}

func TestSameForEveryNamespace(t *testing.T) {
	ns := "ferry"
	store := &esv1.ClusterSecretStore{TypeMeta: metav1.TypeMeta{Kind: esv1.ClusterSecretStoreKind}, Spec: onboardbaseStore("").Spec}
	if New().SameForEveryNamespace(store) {
		t.Error("refs without namespaces (referent auth) are the same for every namespace")
	}
	store.Spec.Provider.Onboardbase.Auth.APIKeyRef.Namespace = &ns
	if New().SameForEveryNamespace(store) {
		t.Error("a passcodeRef without namespace is the same for every namespace")
	}
	store.Spec.Provider.Onboardbase.Auth.PasscodeRef.Namespace = &ns
	if !New().SameForEveryNamespace(store) {
		t.Error("refs that both name their namespace differ by namespace")
	}
}
