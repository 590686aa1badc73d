package gcpsm

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// envelope wraps spec (JSON) in ESO's PushSecretMetadata envelope.
func envelope(spec string) *apiextensionsv1.JSON {
	return &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":` + spec + `}`)}
}

// stored is what the server holds about the secret key of the test project.
func stored(t *testing.T, f *fakeSecretManager, parent, key string) *secretmanagerpb.Secret {
	t.Helper()
	s, err := f.GetSecret(context.Background(), &secretmanagerpb.GetSecretRequest{Name: parent + "/secrets/" + key})
	if err != nil {
		t.Fatalf("the server has no secret %s: %v", key, err)
	}
	return s
}

func TestPushMetadataOnCreate(t *testing.T) {
	f, c := newTestClient(t)
	ctx := context.Background()
	ref := provider.PushRef{RemoteKey: "with-meta", Metadata: envelope(`{
		"labels": {"team": "payments"}, "annotations": {"owner": "alice@example.com"},
		"topics": ["projects/ferry-test/topics/rotations"], "cmekKeyName": "projects/ferry-test/locations/europe-west1/keyRings/r/cryptoKeys/k",
		"replicationLocations": ["europe-west1", "europe-west4"]}`)}
	if err := c.PushSecret(ctx, []byte("v1"), ref); err != nil {
		t.Fatal(err)
	}
	s := stored(t, f, "projects/"+testProject, "with-meta")
	if want := map[string]string{"team": "payments", provider.ManagedByTag: provider.ManagedByValue}; !maps.Equal(s.GetLabels(), want) {
		t.Errorf("labels = %v, want %v", s.GetLabels(), want)
	}
	if s.GetAnnotations()["owner"] != "alice@example.com" || len(s.GetAnnotations()) != 1 {
		t.Errorf("annotations = %v", s.GetAnnotations())
	}
	if len(s.GetTopics()) != 1 || s.GetTopics()[0].GetName() != "projects/ferry-test/topics/rotations" {
		t.Errorf("topics = %v", s.GetTopics())
	}
	var locations []string
	for _, r := range s.GetReplication().GetUserManaged().GetReplicas() {
		locations = append(locations, r.GetLocation())
		if !strings.HasSuffix(r.GetCustomerManagedEncryption().GetKmsKeyName(), "/cryptoKeys/k") {
			t.Errorf("replica %s has key %q", r.GetLocation(), r.GetCustomerManagedEncryption().GetKmsKeyName())
		}
	}
	if !slices.Equal(locations, []string{"europe-west1", "europe-west4"}) {
		t.Errorf("replication = %v, want user-managed in europe-west1 and europe-west4", s.GetReplication())
	}
	if got, _ := c.access(ctx, "with-meta", ""); string(got) != "v1" {
		t.Errorf("value = %q", got)
	}
	// The older single location, and a key without locations (automatic replication).
	if err := c.PushSecret(ctx, []byte("v"), provider.PushRef{RemoteKey: "one-place", Metadata: envelope(`{"replicationLocation": "us-east1"}`)}); err != nil {
		t.Fatal(err)
	}
	if r := stored(t, f, "projects/"+testProject, "one-place").GetReplication().GetUserManaged().GetReplicas(); len(r) != 1 || r[0].GetLocation() != "us-east1" {
		t.Errorf("replicationLocation us-east1 gave replicas %v", r)
	}
	if err := c.PushSecret(ctx, []byte("v"), provider.PushRef{RemoteKey: "auto-cmek", Metadata: envelope(`{"cmekKeyName": "projects/p/locations/global/keyRings/r/cryptoKeys/g"}`)}); err != nil {
		t.Fatal(err)
	}
	if k := stored(t, f, "projects/"+testProject, "auto-cmek").GetReplication().GetAutomatic().GetCustomerManagedEncryption().GetKmsKeyName(); !strings.HasSuffix(k, "/g") {
		t.Errorf("automatic replication key = %q", k)
	}
}

func TestPushMetadataOnUpdate(t *testing.T) {
	f, c := newTestClient(t)
	ctx := context.Background()
	parent := "projects/" + testProject
	push := func(value, spec string) {
		t.Helper()
		ref := provider.PushRef{RemoteKey: "app"}
		if spec != "" {
			ref.Metadata = envelope(spec)
		}
		if err := c.PushSecret(ctx, []byte(value), ref); err != nil {
			t.Fatal(err)
		}
	}
	labels := func() map[string]string { return stored(t, f, parent, "app").GetLabels() }
	// Someone else labels the secret after Ferry created it.
	addLabel := func(k, v string) {
		t.Helper()
		s := stored(t, f, parent, "app")
		l := maps.Clone(s.GetLabels())
		l[k] = v
		if _, err := f.UpdateSecret(ctx, &secretmanagerpb.UpdateSecretRequest{Secret: &secretmanagerpb.Secret{Name: s.GetName(), Labels: l},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"labels"}}}); err != nil {
			t.Fatal(err)
		}
	}

	push("v1", `{"labels": {"team": "payments"}, "annotations": {"owner": "alice"}}`)
	addLabel("cost-centre", "42")
	// Replace (the default): the labels become the metadata's, and the value is unchanged
	// so no version is added.
	push("v1", `{"labels": {"team": "platform"}, "annotations": {"owner": "bob"}}`)
	if want := map[string]string{"team": "platform", provider.ManagedByTag: provider.ManagedByValue}; !maps.Equal(labels(), want) {
		t.Errorf("labels after Replace = %v, want %v", labels(), want)
	}
	if a := stored(t, f, parent, "app").GetAnnotations(); !maps.Equal(a, map[string]string{"owner": "bob"}) {
		t.Errorf("annotations after update = %v", a)
	}
	if n := f.Calls("AddSecretVersion"); n != 1 {
		t.Errorf("versions added = %d, want 1 (metadata changes add none)", n)
	}
	updates := f.Calls("UpdateSecret")
	push("v1", `{"labels": {"team": "platform"}, "annotations": {"owner": "bob"}}`)
	if n := f.Calls("UpdateSecret"); n != updates {
		t.Errorf("pushing unchanged metadata updated the secret %d more times", n-updates)
	}
	// Merge keeps labels set elsewhere; the metadata's value wins for its own keys.
	addLabel("cost-centre", "42")
	addLabel("team", "someone-else")
	push("v2", `{"mergePolicy": "Merge", "labels": {"team": "platform", "tier": "gold"}}`)
	if want := map[string]string{"team": "platform", "tier": "gold", "cost-centre": "42", provider.ManagedByTag: provider.ManagedByValue}; !maps.Equal(labels(), want) {
		t.Errorf("labels after Merge = %v, want %v", labels(), want)
	}
	if a := stored(t, f, parent, "app").GetAnnotations(); len(a) != 0 {
		t.Errorf("annotations after metadata without any = %v, want none", a)
	}
	// An entry without metadata leaves labels and annotations as they are.
	addLabel("extra", "yes")
	before := labels()
	push("v3", "")
	if !maps.Equal(labels(), before) {
		t.Errorf("a push without metadata changed labels %v to %v", before, labels())
	}
	if got, _ := c.access(ctx, "app", ""); string(got) != "v3" {
		t.Errorf("value = %q, want v3", got)
	}
}

func TestPushMetadataRefused(t *testing.T) {
	f, c := newTestClient(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, spec, property, want string
	}{
		{"unknown key", `{"colour": "blue"}`, "", "metadata.spec.colour: the gcpsm provider does not read this key (it reads: annotations, cmekKeyName, labels, mergePolicy, replicationLocation, replicationLocations, topics)"},
		{"managed-by label", `{"labels": {"managed-by": "me"}}`, "", "metadata.spec.labels.managed-by: set by Ferry itself"},
		{"merge policy", `{"mergePolicy": "Union"}`, "", `metadata.spec.mergePolicy: "Union": use Replace or Merge`},
		{"with a property", `{"labels": {"a": "b"}}`, "user", "metadata and remoteRef.property cannot be used together"},
		{"labels not a map", `{"labels": ["a"]}`, "", "metadata.spec.labels: must be a map[string]string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.PushSecret(ctx, []byte("v"), provider.PushRef{RemoteKey: "refused", Property: tc.property, Metadata: envelope(tc.spec)})
			if !errors.Is(err, provider.ErrInvalidMetadata) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalidMetadata saying %q", err, tc.want)
			}
		})
	}
	if n := f.Calls("CreateSecret") + f.Calls("AddSecretVersion") + f.Calls("UpdateSecret"); n != 0 {
		t.Errorf("refused metadata still wrote %d times", n)
	}
}

func TestPushMetadataRegional(t *testing.T) {
	f, opts := startFake(t)
	cl, err := New(WithClientOptions(opts...)).NewClient(context.Background(),
		gcpStore(esv1.GCPSMProvider{ProjectID: testProject, Location: "europe-west1"}), fake.NewClientBuilder().Build(), "apps")
	if err != nil {
		t.Fatal(err)
	}
	c := cl.(*Client)
	ctx := context.Background()
	ref := provider.PushRef{RemoteKey: "regional", Metadata: envelope(`{"cmekKeyName": "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k", "labels": {"team": "a"}}`)}
	if err := c.PushSecret(ctx, []byte("v"), ref); err != nil {
		t.Fatal(err)
	}
	s := stored(t, f, "projects/"+testProject+"/locations/europe-west1", "regional")
	if s.GetReplication() != nil || !strings.HasSuffix(s.GetCustomerManagedEncryption().GetKmsKeyName(), "/cryptoKeys/k") || s.GetLabels()["team"] != "a" {
		t.Errorf("regional secret = replication %v, key %v, labels %v; want no replication, the key on the secret, label team", s.GetReplication(), s.GetCustomerManagedEncryption(), s.GetLabels())
	}
	err = c.PushSecret(ctx, []byte("v"), provider.PushRef{RemoteKey: "regional-2", Metadata: envelope(`{"replicationLocations": ["us-east1"]}`)})
	if !errors.Is(err, provider.ErrInvalidMetadata) || !strings.Contains(err.Error(), "the store is regional") {
		t.Errorf("replication for a regional store = %v, want ErrInvalidMetadata", err)
	}
}
