package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/gitlab/gitlabfake"
)

func newClient(t *testing.T, f *gitlabfake.Server, spec esv1.GitlabProvider) *Client {
	t.Helper()
	c, err := testProvider(f).NewClient(context.Background(), gitlabStore(f, spec), tokenKube(testToken), "apps")
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Client)
}

// TestOneListingServesEveryExternalSecretOfAStore: 100 reads through the fetcher, as 100
// ExternalSecrets on one store in a refresh cycle, cost one listing of the project's
// variables (3 pages of 100).
func TestOneListingServesEveryExternalSecretOfAStore(t *testing.T) {
	f := startGitLab(t)
	for i := range 250 {
		f.Set(projectOwner, fakeVariable{Key: fmt.Sprintf("KEY_%d", i), Value: fmt.Sprint(i)})
	}
	fetcher := fetch.New(provider.NewRegistry(testProvider(f)), tokenKube(testToken), fetch.Options{})
	src := fetch.Source{Store: gitlabStore(f, esv1.GitlabProvider{ProjectID: testProject}), Namespace: "apps", MaxAge: time.Minute}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			got, err := fetcher.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("KEY-%d", i*2)})
			if err != nil || string(got) != fmt.Sprint(i*2) {
				t.Errorf("KEY-%d = %q, %v", i*2, got, err)
			}
		})
	}
	wg.Wait()
	if n := f.Count("GET /api/v4/projects/" + testProject + "/variables"); n != 3 {
		t.Errorf("100 reads made %d page calls, want one listing of 3 pages", n)
	}
}

func TestEnvironmentsAndGroups(t *testing.T) {
	f := startGitLab(t)
	f.AddOwner("groups/7")
	f.AddOwner("groups/8")
	f.SetAncestors([]map[string]any{{"id": 8, "full_path": "acme/team"}, {"id": 7, "full_path": "acme"}})
	f.Set("groups/7", fakeVariable{Key: "TOP", Value: "top"})
	f.Set("groups/7", fakeVariable{Key: "SHARED", Value: "from-top"})
	f.Set("groups/8", fakeVariable{Key: "SHARED", Value: "from-team"})
	f.Set("groups/8", fakeVariable{Key: "DB", Value: "group-prod", EnvironmentScope: "production"})
	f.Set(projectOwner, fakeVariable{Key: "DB", Value: "project-any"})
	f.Set(projectOwner, fakeVariable{Key: "API", Value: "api-any"})
	f.Set(projectOwner, fakeVariable{Key: "API", Value: "api-prod", EnvironmentScope: "production"})
	f.Set(projectOwner, fakeVariable{Key: "API", Value: "api-staging", EnvironmentScope: "staging"})
	ctx := context.Background()
	c := newClient(t, f, esv1.GitlabProvider{ProjectID: "acme/app", InheritFromGroups: true, Environment: "production"})
	for key, want := range map[string]string{
		"API": "api-prod", "DB": "project-any", "SHARED": "from-team", "TOP": "top",
	} {
		if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key}); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", key, got, err, want)
		}
	}
	byName, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^(API|DB)$"}})
	if err != nil || len(byName) != 2 || string(byName["API"]) != "api-prod" {
		t.Errorf("find = %v, %v", byName, err)
	}
	wide := newClient(t, f, esv1.GitlabProvider{ProjectID: testProject, GroupIDs: []string{"7"}})
	staging, err := wide.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^API$"}, Tags: map[string]string{"environment_scope": "staging"}})
	if err != nil || string(staging["API"]) != "api-staging" {
		t.Errorf("find with environment_scope staging = %q, %v", staging["API"], err)
	}
	for _, find := range []esv1.ExternalSecretFind{
		{}, {Name: &esv1.FindName{RegExp: "."}, Tags: map[string]string{"team": "x"}}, {Name: &esv1.FindName{RegExp: "."}, Path: ptr("a")},
	} {
		if _, err := wide.GetAllSecrets(ctx, find); err == nil {
			t.Errorf("find %+v gave no error", find)
		}
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "NONE"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing variable = %v, want ErrNotFound", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestPushSecretLeavesOthersAlone(t *testing.T) {
	f := startGitLab(t)
	f.Set(projectOwner, fakeVariable{Key: "HANDMADE", Value: "keep", Description: "set by the platform team"})
	ctx := context.Background()
	c := newClient(t, f, esv1.GitlabProvider{ProjectID: testProject, Environment: "production"})

	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "db-password",
		Metadata: &apiextensionsv1.JSON{Raw: []byte(`{"masked":true,"description":"db"}`)}}); err != nil {
		t.Fatal(err)
	}
	v, ok := f.Find(projectOwner, "db_password", "production")
	if !ok || v.Value != "v1" || !managed(v.Description) {
		t.Fatalf("pushed variable = %+v, %v", v, ok)
	}
	if err := c.PushSecret(ctx, []byte("v2"), provider.PushRef{RemoteKey: "db-password"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Find(projectOwner, "db_password", "production"); v.Value != "v2" {
		t.Errorf("updated value = %q", v.Value)
	}
	if err := c.PushSecret(ctx, []byte("v2"), provider.PushRef{RemoteKey: "db-password"}); err != nil || f.Count("PUT ") != 1 {
		t.Errorf("pushing the same value: %v, %d updates, want 1", err, f.Count("PUT "))
	}
	// A variable Ferry did not create is neither overwritten nor deleted.
	f.Set(projectOwner, fakeVariable{Key: "HANDMADE", Value: "keep", Description: "set by the platform team", EnvironmentScope: "production"})
	if err := c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "HANDMADE"}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("push over a handmade variable = %v, want ErrNotManaged", err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "HANDMADE"}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("delete of a handmade variable = %v, want ErrNotManaged", err)
	}
	if v, _ := f.Find(projectOwner, "HANDMADE", "production"); v.Value != "keep" {
		t.Errorf("the handmade variable changed: %q", v.Value)
	}
	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "db-password"}); !ok || err != nil {
		t.Errorf("SecretExists = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "db-password"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Find(projectOwner, "db_password", "production"); ok {
		t.Error("the pushed variable survived its delete")
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "db-password"}); err != nil {
		t.Errorf("deleting a missing variable = %v", err)
	}
	// Group pushes through metadata.
	f.AddOwner("groups/9")
	if err := c.PushSecret(ctx, []byte("g"), provider.PushRef{RemoteKey: "GROUP_VAR", Metadata: &apiextensionsv1.JSON{Raw: []byte(`{"groupID":"9"}`)}}); err != nil {
		t.Fatal(err)
	}
	if v, ok := f.Find("groups/9", "GROUP_VAR", "production"); !ok || v.Value != "g" {
		t.Errorf("group variable = %+v, %v", v, ok)
	}
}

func TestBadAnswers(t *testing.T) {
	f := startGitLab(t)
	f.Set(projectOwner, fakeVariable{Key: "API", Value: "k-1"})
	ctx := context.Background()
	bad, err := testProvider(f).NewClient(ctx, gitlabStore(f, esv1.GitlabProvider{ProjectID: testProject}), tokenKube("wrong"), "apps")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "API"}); err == nil || !strings.Contains(err.Error(), "HTTP 401 Unauthorized: 401 Unauthorized") {
		t.Errorf("a wrong token = %v", err)
	}
	missing := newClient(t, f, esv1.GitlabProvider{ProjectID: "404"})
	if _, err := missing.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "API"}); err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing project = %v, want an error that is not ErrNotFound", err)
	}
	for name, fault := range map[string]func(w http.ResponseWriter, r *http.Request) bool{
		"HTTP 429 Too Many Requests (retry after 1m0s)": func(w http.ResponseWriter, _ *http.Request) bool {
			w.Header().Set("Retry-After", "60")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"message":"Retry later"}` + "\n"))
			return true
		},
		"ends too early": func(w http.ResponseWriter, _ *http.Request) bool {
			_, _ = w.Write([]byte(`[{"key":"API","value":"k-`))
			return true
		},
		"HTTP 502": func(w http.ResponseWriter, _ *http.Request) bool {
			w.WriteHeader(http.StatusBadGateway)
			return true
		},
	} {
		f.SetFault(fault)
		c := newClient(t, f, esv1.GitlabProvider{ProjectID: testProject})
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "API"})
		if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "k-") {
			t.Errorf("fault %q: GetSecret = %v", name, err)
		}
	}
}

func TestValidateStore(t *testing.T) {
	f := startGitLab(t)
	for _, tc := range []struct {
		spec esv1.GitlabProvider
		want string
	}{
		{esv1.GitlabProvider{ProjectID: "1"}, ""},
		{esv1.GitlabProvider{}, "projectID, groupIDs"},
		{esv1.GitlabProvider{GroupIDs: []string{"1"}, InheritFromGroups: true}, "inheritFromGroups"},
	} {
		err := New().ValidateStore(gitlabStore(f, tc.spec))
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("ValidateStore(%+v) = %v, want %q", tc.spec, err, tc.want)
		}
	}
}
