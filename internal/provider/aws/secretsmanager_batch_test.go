package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestFetcherCallsAgainstMoto counts, at moto, what the fetcher costs for many objects over
// few keys: at most one read per key at first, one listing per refresh window with nothing
// changed, and one listing plus one read when a value changed.
func TestFetcherCallsAgainstMoto(t *testing.T) {
	const objects, keys = 200, 20
	moto := testenv.MustStartMoto(t)
	sm := seedSecretsManager(moto)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	for k := range keys {
		createSecret(t, sm, fmt.Sprintf("%s/key-%02d", ns, k), fmt.Sprintf(`{"password":"v1-%02d"}`, k), nil)
	}
	// An unrelated secret of another application is listed too, never read.
	createSecret(t, sm, ns+"-other/key", "x", nil)

	store := secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: staticAuth()})
	store.UID, store.Generation = "store-uid", 1
	now := time.Now()
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	f := fetch.New(provider.NewRegistry(New(WithEndpoint(moto.Endpoint))), controlPlane.Client, fetch.Options{Now: clock})
	readAll := func(maxAge time.Duration, wantFor func(k int) string) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, objects)
		for i := range objects {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := i % keys
				src := fetch.Source{Store: store, Namespace: ns, MaxAge: maxAge}
				v, err := f.GetSecret(testContext(t), src, esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("%s/key-%02d", ns, k), Property: "password"})
				switch {
				case err != nil:
					errs <- err
				case string(v) != wantFor(k):
					errs <- fmt.Errorf("key %d: got %q, want %q", k, v, wantFor(k))
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	v1 := func(k int) string { return fmt.Sprintf("v1-%02d", k) }

	// First syncs: objects created together accept any value read since their creation.
	readAll(time.Minute, v1)
	if reads := moto.Calls("GetSecretValue") + moto.Calls("BatchGetSecretValue"); reads > keys {
		t.Fatalf("%d objects over %d keys cost %d reads (%s), want at most %d", objects, keys, reads, moto, keys)
	}
	if n := moto.Calls("BatchGetSecretValue"); n > (keys+19)/20+1 {
		t.Errorf("the reads took %d BatchGetSecretValue calls (%s); concurrent keys should share calls", n, moto)
	}

	// A refresh window later, nothing changed: one ListSecrets page confirms every key.
	moto.ResetCalls()
	clockMu.Lock()
	now = now.Add(2 * time.Minute)
	clockMu.Unlock()
	readAll(time.Minute, v1)
	if got := moto.String(); got != "ListSecrets=1" {
		t.Fatalf("a refresh with nothing changed cost %q, want ListSecrets=1", got)
	}

	// One value changed: one listing, one read of that key.
	if _, err := sm.PutSecretValue(testContext(t), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(ns + "/key-07"), SecretString: aws.String(`{"password":"v2-07"}`)}); err != nil {
		t.Fatal(err)
	}
	moto.ResetCalls()
	clockMu.Lock()
	now = now.Add(2 * time.Minute)
	clockMu.Unlock()
	readAll(time.Minute, func(k int) string {
		if k == 7 {
			return "v2-07"
		}
		return v1(k)
	})
	if got := moto.String(); got != "BatchGetSecretValue=1 ListSecrets=1" {
		t.Fatalf("a refresh after one change cost %q, want BatchGetSecretValue=1 ListSecrets=1", got)
	}
}

// accessDenied is the error AWS answers a call the credentials may not make.
type accessDenied string

func (e accessDenied) Error() string {
	return "AccessDeniedException: not authorized to perform " + string(e)
}
func (e accessDenied) ErrorCode() string { return "AccessDeniedException" }

// fakeSecretsManager answers from a map, and denies the calls named in denied.
type fakeSecretsManager struct {
	values map[string]string
	denied map[string]bool
	calls  map[string]int
}

func (f *fakeSecretsManager) call(op string) error {
	f.calls[op]++
	if f.denied[op] {
		return accessDenied(op)
	}
	return nil
}

func (f *fakeSecretsManager) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput,
	_ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if err := f.call("GetSecretValue"); err != nil {
		return nil, err
	}
	v, ok := f.values[aws.ToString(in.SecretId)]
	if !ok {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("not found")}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v), VersionId: aws.String("v-" + v)}, nil
}

func (f *fakeSecretsManager) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput,
	_ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if err := f.call("DescribeSecret"); err != nil {
		return nil, err
	}
	v, ok := f.values[aws.ToString(in.SecretId)]
	if !ok {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("not found")}
	}
	return &secretsmanager.DescribeSecretOutput{VersionIdsToStages: map[string][]string{"v-" + v: {"AWSCURRENT"}, "old": {"AWSPREVIOUS"}}}, nil
}

func (f *fakeSecretsManager) ListSecrets(_ context.Context, in *secretsmanager.ListSecretsInput,
	_ ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	if err := f.call("ListSecrets"); err != nil {
		return nil, err
	}
	out := &secretsmanager.ListSecretsOutput{}
	for name, v := range f.values {
		out.SecretList = append(out.SecretList, smtypes.SecretListEntry{Name: aws.String(name), ARN: aws.String("arn:aws:secretsmanager:r:1:secret:" + name + "-AbCdEf"),
			SecretVersionsToStages: map[string][]string{"v-" + v: {"AWSCURRENT"}}})
	}
	return out, nil
}

func (f *fakeSecretsManager) BatchGetSecretValue(_ context.Context, in *secretsmanager.BatchGetSecretValueInput,
	_ ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	if err := f.call("BatchGetSecretValue"); err != nil {
		return nil, err
	}
	if len(in.SecretIdList) > batchGetSecretsLimit {
		return nil, fmt.Errorf("%d ids in one call", len(in.SecretIdList))
	}
	out := &secretsmanager.BatchGetSecretValueOutput{}
	for _, id := range in.SecretIdList {
		v, ok := f.values[id]
		if !ok {
			out.Errors = append(out.Errors, smtypes.APIErrorType{SecretId: aws.String(id), ErrorCode: aws.String("ResourceNotFoundException")})
			continue
		}
		out.SecretValues = append(out.SecretValues, smtypes.SecretValueEntry{Name: aws.String(id), SecretString: aws.String(v), VersionId: aws.String("v-" + v)})
	}
	return out, nil
}

func newFakeSecretsManager(n int, denied ...string) *fakeSecretsManager {
	f := &fakeSecretsManager{values: map[string]string{}, denied: map[string]bool{}, calls: map[string]int{}}
	for i := range n {
		f.values[fmt.Sprintf("key-%02d", i)] = fmt.Sprintf("value-%02d", i)
	}
	for _, op := range denied {
		f.denied[op] = true
	}
	return f
}

func keyNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("key-%02d", i)
	}
	return out
}

func TestReadDocuments(t *testing.T) {
	tests := []struct {
		name      string
		denied    []string
		wantCalls map[string]int
	}{
		{"20 keys per BatchGetSecretValue", nil, map[string]int{"BatchGetSecretValue": 3}},
		{"denied batch reads fall back to GetSecretValue", []string{"BatchGetSecretValue"},
			map[string]int{"BatchGetSecretValue": 1, "GetSecretValue": 46}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeSecretsManager(45, tt.denied...)
			s := &secretsManager{api: api}
			keys := append(keyNames(45), "missing")
			docs, err := s.ReadDocuments(context.Background(), keys)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 45 {
				d := docs[fmt.Sprintf("key-%02d", i)]
				if d.Err != nil || string(d.Value) != fmt.Sprintf("value-%02d", i) || d.Version == "" {
					t.Fatalf("key-%02d: %+v", i, d)
				}
			}
			if d := docs["missing"]; !errors.Is(d.Err, provider.ErrNotFound) {
				t.Fatalf("missing key: %+v, want ErrNotFound", d)
			}
			if fmt.Sprint(api.calls) != fmt.Sprint(tt.wantCalls) {
				t.Fatalf("calls %v, want %v", api.calls, tt.wantCalls)
			}
			if len(tt.denied) > 0 {
				// Denied once, not tried again.
				api.calls = map[string]int{}
				if _, err := s.ReadDocuments(context.Background(), []string{"key-01"}); err != nil {
					t.Fatal(err)
				}
				if api.calls["BatchGetSecretValue"] != 0 {
					t.Fatalf("BatchGetSecretValue tried again after AWS denied it: %v", api.calls)
				}
			}
		})
	}
}

func TestVersionsPicksTheCheaperCalls(t *testing.T) {
	api := newFakeSecretsManager(250)
	s := &secretsManager{api: api}
	ctx := context.Background()
	check := func(keys []string, want map[string]int) {
		t.Helper()
		api.calls = map[string]int{}
		versions, err := s.Versions(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if versions[k] != "v-"+api.values[k] {
				t.Fatalf("version of %s = %q, want %q", k, versions[k], "v-"+api.values[k])
			}
		}
		if fmt.Sprint(api.calls) != fmt.Sprint(want) {
			t.Fatalf("Versions(%d keys): calls %v, want %v", len(keys), api.calls, want)
		}
	}
	check(keyNames(1), map[string]int{"DescribeSecret": 1})
	// The number of pages is unknown: a listing learns it (the fake lists on one page).
	check(keyNames(2), map[string]int{"ListSecrets": 1})
	s.listPages.Store(3) // 250 secrets take 3 pages of 100
	check(keyNames(2), map[string]int{"DescribeSecret": 2})
	check(keyNames(3), map[string]int{"ListSecrets": 1})

	denied := &secretsManager{api: newFakeSecretsManager(10, "ListSecrets")}
	if _, err := denied.Versions(ctx, keyNames(10)); err != nil {
		t.Fatal(err)
	}
	calls := denied.api.(*fakeSecretsManager).calls
	if calls["ListSecrets"] != 1 || calls["DescribeSecret"] != 10 {
		t.Fatalf("denied listing: calls %v, want one ListSecrets then DescribeSecret per key", calls)
	}
}

func TestSameForEveryNamespace(t *testing.T) {
	ns := "auth"
	sa := &esv1.ServiceAccountSelector{Name: "sa", Namespace: &ns}
	saReferent := &esv1.ServiceAccountSelector{Name: "sa"}
	sel := esv1.SecretKeySelector{Name: "creds", Key: "k", Namespace: &ns}
	selReferent := esv1.SecretKeySelector{Name: "creds", Key: "k"}
	tests := []struct {
		name string
		spec esv1.AWSProvider
		want bool
	}{
		{"default credentials", esv1.AWSProvider{}, true},
		{"IRSA with a namespace", esv1.AWSProvider{Auth: esv1.AWSAuth{JWTAuth: &esv1.AWSJWTAuth{ServiceAccountRef: sa}}}, true},
		{"IRSA, referent", esv1.AWSProvider{Auth: esv1.AWSAuth{JWTAuth: &esv1.AWSJWTAuth{ServiceAccountRef: saReferent}}}, false},
		{"static keys with namespaces", esv1.AWSProvider{Auth: esv1.AWSAuth{SecretRef: &esv1.AWSAuthSecretRef{AccessKeyID: sel, SecretAccessKey: sel}}}, true},
		{"static keys, one referent", esv1.AWSProvider{Auth: esv1.AWSAuth{SecretRef: &esv1.AWSAuthSecretRef{AccessKeyID: sel, SecretAccessKey: selReferent}}}, false},
		{"session token referent", esv1.AWSProvider{Auth: esv1.AWSAuth{SecretRef: &esv1.AWSAuthSecretRef{AccessKeyID: sel, SecretAccessKey: sel, SessionToken: &selReferent}}}, false},
		{"session tags name the namespace", esv1.AWSProvider{SessionTagsPolicy: sessionTagsSimple}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "s"},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AWS: &tt.spec}}}
			if got := New().(*Provider).SameForEveryNamespace(store); got != tt.want {
				t.Fatalf("SameForEveryNamespace = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDocumentKey(t *testing.T) {
	s := &secretsManager{prefix: "team/"}
	for _, tt := range []struct {
		ref  esv1.ExternalSecretDataRemoteRef
		key  string
		want bool
	}{
		{esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "pass"}, "team/db", true},
		{esv1.ExternalSecretDataRemoteRef{Key: "db", Version: "AWSCURRENT"}, "team/db", true},
		{esv1.ExternalSecretDataRemoteRef{Key: "arn:aws:secretsmanager:r:1:secret:db"}, "arn:aws:secretsmanager:r:1:secret:db", true},
		{esv1.ExternalSecretDataRemoteRef{Key: "db", Version: "AWSPREVIOUS"}, "", false},
		{esv1.ExternalSecretDataRemoteRef{Key: "db", Version: "uuid/123"}, "", false},
		{esv1.ExternalSecretDataRemoteRef{Key: "db", MetadataPolicy: esv1.MetadataPolicyFetch}, "", false},
	} {
		key, ok := s.DocumentKey(tt.ref)
		if key != tt.key || ok != tt.want {
			t.Errorf("DocumentKey(%+v) = %q, %v; want %q, %v", tt.ref, key, ok, tt.key, tt.want)
		}
	}
	if !strings.HasPrefix(remoteKey("team/", "db"), "team/") {
		t.Fatal("prefix lost")
	}
}
