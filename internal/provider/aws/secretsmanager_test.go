package aws

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
	"github.com/ferryhq/ferry/internal/testenv"
)

func smTag(k, v string) smtypes.Tag { return smtypes.Tag{Key: aws.String(k), Value: aws.String(v)} }

const jsonSecret = `{"user":"admin","db":{"host":"db.local","ports":[5432,5433]},"dotted.key":"dv","nested":{"a":"1","b":{"c":true}}}`

func TestSecretsManagerGetSecret(t *testing.T) {
	t.Parallel()
	c, ns := staticClient(t, esv1.AWSServiceSecretsManager)
	sm := seedSecretsManager(sharedMoto)
	ctx := testContext(t)

	createSecret(t, sm, ns+"/plain", "hello world", nil)
	jsonARN, _ := createSecret(t, sm, ns+"/json", jsonSecret, nil)
	binary := []byte{0x00, 0xff, 0x10, 'x', '\n'}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(ns + "/binary"), SecretBinary: binary}); err != nil {
		t.Fatal(err)
	}
	_, v1 := createSecret(t, sm, ns+"/versioned", "v1", nil)
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(ns + "/versioned"), SecretString: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(ns + "/versioned"), SecretString: aws.String("v3"), VersionStages: []string{"STAGING"},
	}); err != nil {
		t.Fatal(err)
	}
	createSecret(t, sm, ns+"/tagged", "tagged-value", map[string]string{
		"team": "payments", "owner": "a&b <x>", "cost.center": "42", "conf": `{"tier":"gold"}`,
	})
	createSecret(t, sm, ns+"/deleted", "gone", map[string]string{"team": "x"})
	if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(ns + "/deleted")}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		ref  esv1.ExternalSecretDataRemoteRef
		want string
	}{
		{"string value", esv1.ExternalSecretDataRemoteRef{Key: ns + "/plain"}, "hello world"},
		{"whole JSON value", esv1.ExternalSecretDataRemoteRef{Key: ns + "/json"}, jsonSecret},
		{"top-level property", esv1.ExternalSecretDataRemoteRef{Key: ns + "/json", Property: "user"}, "admin"},
		{"nested property", esv1.ExternalSecretDataRemoteRef{Key: ns + "/json", Property: "db.host"}, "db.local"},
		{"array index", esv1.ExternalSecretDataRemoteRef{Key: ns + "/json", Property: "db.ports.1"}, "5433"},
		{"object property", esv1.ExternalSecretDataRemoteRef{Key: ns + "/json", Property: "nested.b"}, `{"c":true}`},
		{"key with a dot", esv1.ExternalSecretDataRemoteRef{Key: ns + "/json", Property: "dotted.key"}, "dv"},
		{"by ARN", esv1.ExternalSecretDataRemoteRef{Key: jsonARN, Property: "user"}, "admin"},
		{"binary value", esv1.ExternalSecretDataRemoteRef{Key: ns + "/binary"}, string(binary)},
		{"current version by default", esv1.ExternalSecretDataRemoteRef{Key: ns + "/versioned"}, "v2"},
		{"AWSCURRENT stage", esv1.ExternalSecretDataRemoteRef{Key: ns + "/versioned", Version: "AWSCURRENT"}, "v2"},
		{"AWSPREVIOUS stage", esv1.ExternalSecretDataRemoteRef{Key: ns + "/versioned", Version: "AWSPREVIOUS"}, "v1"},
		{"custom stage", esv1.ExternalSecretDataRemoteRef{Key: ns + "/versioned", Version: "STAGING"}, "v3"},
		{"version id", esv1.ExternalSecretDataRemoteRef{Key: ns + "/versioned", Version: "uuid/" + v1}, "v1"},
		{"tags as JSON", esv1.ExternalSecretDataRemoteRef{Key: ns + "/tagged", MetadataPolicy: esv1.MetadataPolicyFetch},
			`{"conf":"{\"tier\":\"gold\"}","cost.center":"42","owner":"a&b <x>","team":"payments"}`},
		{"one tag", esv1.ExternalSecretDataRemoteRef{Key: ns + "/tagged", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "team"}, "payments"},
		{"tag with a dot", esv1.ExternalSecretDataRemoteRef{Key: ns + "/tagged", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "cost.center"}, "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.GetSecret(ctx, tt.ref)
			if err != nil {
				t.Fatalf("GetSecret: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("GetSecret = %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("prefix", func(t *testing.T) {
		store := secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: staticAuth(), Prefix: ns + "/"})
		prefixed := newClient(t, sharedMoto, store, controlPlane.Client, ns)
		got, err := prefixed.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "json", Property: "db.ports.0"})
		if err != nil || string(got) != "5432" {
			t.Errorf("GetSecret with prefix = %q, %v; want 5432", got, err)
		}
		got, err = prefixed.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: jsonARN, Property: "user"})
		if err != nil || string(got) != "admin" {
			t.Errorf("GetSecret by ARN with prefix = %q, %v; want admin", got, err)
		}
	})

	notFound := []esv1.ExternalSecretDataRemoteRef{
		{Key: ns + "/missing"},
		{Key: ns + "/missing", MetadataPolicy: esv1.MetadataPolicyFetch},
		{Key: ns + "/deleted"},
		{Key: ns + "/deleted", MetadataPolicy: esv1.MetadataPolicyFetch},
		{Key: ns + "/versioned", Version: "uuid/00000000-0000-0000-0000-000000000000"},
	}
	for _, ref := range notFound {
		t.Run(fmt.Sprintf("not found %s %s %s", ref.Key, ref.MetadataPolicy, ref.Version), func(t *testing.T) {
			_, err := c.GetSecret(ctx, ref)
			if !errors.Is(err, provider.ErrNotFound) {
				t.Fatalf("GetSecret error = %v, want ErrNotFound", err)
			}
			if !strings.Contains(err.Error(), ref.Key) {
				t.Errorf("error %q does not name the key", err)
			}
		})
	}

	t.Run("missing property is an error, not a deletion", func(t *testing.T) {
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/json", Property: "db.password"})
		if !errors.Is(err, property.ErrNoSuchProperty) || errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("error = %v, want ErrNoSuchProperty and not ErrNotFound", err)
		}
		assertNoValue(t, err, "admin", "db.local")
	})
	t.Run("missing tag", func(t *testing.T) {
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/tagged", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "nope"})
		if !errors.Is(err, property.ErrNoSuchProperty) {
			t.Fatalf("error = %v, want ErrNoSuchProperty", err)
		}
		assertNoValue(t, err, "payments")
	})
}

func TestSecretsManagerGetSecretMap(t *testing.T) {
	t.Parallel()
	c, ns := staticClient(t, esv1.AWSServiceSecretsManager)
	sm := seedSecretsManager(sharedMoto)
	ctx := testContext(t)
	createSecret(t, sm, ns+"/json", jsonSecret, map[string]string{"team": "payments", "conf": `{"tier":"gold","n":1}`})
	createSecret(t, sm, ns+"/plain", "not json at all", nil)

	tests := []struct {
		name string
		ref  esv1.ExternalSecretDataRemoteRef
		want map[string]string
	}{
		{"whole value", esv1.ExternalSecretDataRemoteRef{Key: ns + "/json"}, map[string]string{
			"user": "admin", "db": `{"host":"db.local","ports":[5432,5433]}`, "dotted.key": "dv", "nested": `{"a":"1","b":{"c":true}}`,
		}},
		{"property", esv1.ExternalSecretDataRemoteRef{Key: ns + "/json", Property: "nested"}, map[string]string{"a": "1", "b": `{"c":true}`}},
		{"tags", esv1.ExternalSecretDataRemoteRef{Key: ns + "/json", MetadataPolicy: esv1.MetadataPolicyFetch},
			map[string]string{"team": "payments", "conf": `{"tier":"gold","n":1}`}},
		{"JSON held by a tag", esv1.ExternalSecretDataRemoteRef{Key: ns + "/json", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "conf"},
			map[string]string{"tier": "gold", "n": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.GetSecretMap(ctx, tt.ref)
			if err != nil {
				t.Fatalf("GetSecretMap: %v", err)
			}
			assertMap(t, got, tt.want)
		})
	}

	t.Run("value that is not an object", func(t *testing.T) {
		_, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/plain"})
		if !errors.Is(err, property.ErrNotJSON) {
			t.Fatalf("error = %v, want ErrNotJSON", err)
		}
		assertNoValue(t, err, "not json at all")
	})
	t.Run("missing", func(t *testing.T) {
		_, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/missing"})
		if !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("error = %v, want ErrNotFound", err)
		}
	})
}

func TestSecretsManagerFind(t *testing.T) {
	t.Parallel()
	// A moto of its own, so that the list holds only this test's secrets and calls are
	// counted for this test alone.
	moto := testenv.MustStartMoto(t)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	c := newClient(t, moto, secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: staticAuth()}), controlPlane.Client, ns)
	sm := seedSecretsManager(moto)
	ctx := testContext(t)

	all := map[string]string{}
	for i := range 23 {
		env := "dev"
		if i%2 == 0 {
			env = "prod"
		}
		name := fmt.Sprintf("app/svc-%02d", i)
		all[name] = fmt.Sprintf(`{"n":%d}`, i)
		createSecret(t, sm, name, all[name], map[string]string{"env": env})
	}
	createSecret(t, sm, "application-x", "lookalike", map[string]string{"env": "prod"})
	// Carries the key env and the value prod, but not the pair env=prod.
	createSecret(t, sm, "other/tricky", "tricky", map[string]string{"env": "dev", "owner": "prod"})
	createSecret(t, sm, "other/prod", "other-prod", map[string]string{"env": "prod", "team": "a"})
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("other/binary"), SecretBinary: []byte{0x01, 0x02}, Tags: []smtypes.Tag{smTag("env", "prod"), smTag("team", "a")},
	}); err != nil {
		t.Fatal(err)
	}
	createSecret(t, sm, "other/deleted", "gone", map[string]string{"env": "prod", "team": "a"})
	if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("other/deleted")}); err != nil {
		t.Fatal(err)
	}

	prod := map[string]string{"application-x": "lookalike", "other/prod": "other-prod", "other/binary": "\x01\x02"}
	for name, v := range all {
		var n int
		_, _ = fmt.Sscanf(name, "app/svc-%d", &n)
		if n%2 == 0 {
			prod[name] = v
		}
	}
	tests := []struct {
		name       string
		find       esv1.ExternalSecretFind
		want       map[string]string
		batchCalls int
	}{
		{"path", esv1.ExternalSecretFind{Path: aws.String("app/")}, all, 2},
		{"tags", esv1.ExternalSecretFind{Tags: map[string]string{"env": "prod"}}, prod, 1},
		{"two tags", esv1.ExternalSecretFind{Tags: map[string]string{"env": "prod", "team": "a"}},
			map[string]string{"other/prod": "other-prod", "other/binary": "\x01\x02"}, 1},
		{"regexp", esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: `^app/svc-0[0-3]$`}},
			map[string]string{"app/svc-00": `{"n":0}`, "app/svc-01": `{"n":1}`, "app/svc-02": `{"n":2}`, "app/svc-03": `{"n":3}`}, 1},
		{"regexp and tags", esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: `^other/`}, Tags: map[string]string{"env": "prod"}},
			map[string]string{"other/prod": "other-prod", "other/binary": "\x01\x02"}, 1},
		{"nothing matches", esv1.ExternalSecretFind{Tags: map[string]string{"env": "staging"}}, map[string]string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moto.ResetCalls()
			got, err := c.GetAllSecrets(ctx, tt.find)
			if err != nil {
				t.Fatalf("GetAllSecrets: %v", err)
			}
			assertMap(t, got, tt.want)
			if n := moto.Calls("BatchGetSecretValue"); n != tt.batchCalls {
				t.Errorf("BatchGetSecretValue calls = %d, want %d (%s)", n, tt.batchCalls, moto)
			}
			if n := moto.Calls("GetSecretValue"); n != 0 {
				t.Errorf("GetSecretValue calls = %d, want 0: find must read in batches", n)
			}
		})
	}

	t.Run("bad regexp", func(t *testing.T) {
		_, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "("}})
		if err == nil || !strings.Contains(err.Error(), "dataFrom.find.name.regexp") {
			t.Fatalf("error = %v, want one naming dataFrom.find.name.regexp", err)
		}
	})
	t.Run("no condition", func(t *testing.T) {
		if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{}); !errors.Is(err, provider.ErrNoFindCondition) {
			t.Fatalf("error = %v, want provider.ErrNoFindCondition", err)
		}
	})
}

func assertMap(t *testing.T, got map[string][]byte, want map[string]string) {
	t.Helper()
	gotStr := make(map[string]string, len(got))
	for k, v := range got {
		gotStr[k] = string(v)
	}
	if !maps.Equal(gotStr, want) {
		t.Errorf("got keys %v, want %v", slices.Sorted(maps.Keys(gotStr)), slices.Sorted(maps.Keys(want)))
		for k, w := range want {
			if g, ok := gotStr[k]; ok && g != w {
				t.Errorf("key %q = %q, want %q", k, g, w)
			}
		}
	}
}

// assertNoValue fails when an error message carries any of the secret values.
func assertNoValue(t *testing.T, err error, values ...string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(err.Error(), v) {
			t.Errorf("error %q leaks a secret value", err)
		}
	}
}
