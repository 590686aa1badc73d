package aws

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

func ssmType(kind string) ssmtypes.ParameterType { return ssmtypes.ParameterType(kind) }

func tagParameter(t *testing.T, ps *ssm.Client, name string, tags map[string]string) {
	t.Helper()
	in := &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String(name)}
	for k, v := range tags {
		in.Tags = append(in.Tags, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := ps.AddTagsToResource(testContext(t), in); err != nil {
		t.Fatalf("tagging parameter %s: %v", name, err)
	}
}

const secureJSON = `{"password":"s3cr3t","nested":{"k":"v","list":["x","y"]}}`

func TestParameterStoreGetSecret(t *testing.T) {
	t.Parallel()
	c, ns := staticClient(t, esv1.AWSServiceParameterStore)
	ps := seedParameterStore(sharedMoto)
	ctx := testContext(t)
	base := "/" + ns

	putParameter(t, ps, base+"/str", "plain string", "String", nil)
	putParameter(t, ps, base+"/list", "a,b,c", "StringList", nil)
	putParameter(t, ps, base+"/secure", secureJSON, "SecureString", nil)
	v1 := putParameter(t, ps, base+"/ver", "one", "String", nil)
	putParameter(t, ps, base+"/ver", "two", "String", nil)
	if _, err := ps.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String(base + "/ver"), ParameterVersion: aws.Int64(v1), Labels: []string{"stable"},
	}); err != nil {
		t.Fatal(err)
	}
	putParameter(t, ps, base+"/tagged", "tagged-value", "String", map[string]string{"team": "ops", "a.b": "c&d"})

	tests := []struct {
		name string
		ref  esv1.ExternalSecretDataRemoteRef
		want string
	}{
		{"String", esv1.ExternalSecretDataRemoteRef{Key: base + "/str"}, "plain string"},
		{"StringList", esv1.ExternalSecretDataRemoteRef{Key: base + "/list"}, "a,b,c"},
		{"SecureString decrypted", esv1.ExternalSecretDataRemoteRef{Key: base + "/secure"}, secureJSON},
		{"property", esv1.ExternalSecretDataRemoteRef{Key: base + "/secure", Property: "password"}, "s3cr3t"},
		{"nested property", esv1.ExternalSecretDataRemoteRef{Key: base + "/secure", Property: "nested.list.1"}, "y"},
		{"latest version", esv1.ExternalSecretDataRemoteRef{Key: base + "/ver"}, "two"},
		{"version number", esv1.ExternalSecretDataRemoteRef{Key: base + "/ver", Version: strconv.FormatInt(v1, 10)}, "one"},
		{"version label", esv1.ExternalSecretDataRemoteRef{Key: base + "/ver", Version: "stable"}, "one"},
		{"tags as JSON", esv1.ExternalSecretDataRemoteRef{Key: base + "/tagged", MetadataPolicy: esv1.MetadataPolicyFetch},
			`{"a.b":"c&d","team":"ops"}`},
		{"one tag", esv1.ExternalSecretDataRemoteRef{Key: base + "/tagged", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "a.b"}, "c&d"},
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
		store := secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceParameterStore, Auth: staticAuth(), Prefix: base})
		prefixed := newClient(t, sharedMoto, store, controlPlane.Client, ns)
		got, err := prefixed.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "/str"})
		if err != nil || string(got) != "plain string" {
			t.Errorf("GetSecret with prefix = %q, %v", got, err)
		}
	})

	t.Run("map", func(t *testing.T) {
		got, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: base + "/secure"})
		if err != nil {
			t.Fatal(err)
		}
		assertMap(t, got, map[string]string{"password": "s3cr3t", "nested": `{"k":"v","list":["x","y"]}`})
		got, err = c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: base + "/secure", Property: "nested"})
		if err != nil {
			t.Fatal(err)
		}
		assertMap(t, got, map[string]string{"k": "v", "list": `["x","y"]`})
		got, err = c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: base + "/tagged", MetadataPolicy: esv1.MetadataPolicyFetch})
		if err != nil {
			t.Fatal(err)
		}
		assertMap(t, got, map[string]string{"team": "ops", "a.b": "c&d"})
	})

	for _, ref := range []esv1.ExternalSecretDataRemoteRef{
		{Key: base + "/missing"},
		{Key: base + "/ver", Version: "99"},
		{Key: base + "/ver", Version: "nolabel"},
		{Key: base + "/missing", MetadataPolicy: esv1.MetadataPolicyFetch},
	} {
		t.Run(fmt.Sprintf("not found %s %s %s", ref.Key, ref.Version, ref.MetadataPolicy), func(t *testing.T) {
			_, err := c.GetSecret(ctx, ref)
			if !errors.Is(err, provider.ErrNotFound) {
				t.Fatalf("GetSecret error = %v, want ErrNotFound", err)
			}
		})
	}
	t.Run("missing property leaks no value", func(t *testing.T) {
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: base + "/secure", Property: "user"})
		if err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("error = %v, want a property error", err)
		}
		assertNoValue(t, err, "s3cr3t")
	})
}

func TestParameterStoreFind(t *testing.T) {
	t.Parallel()
	moto := testenv.MustStartMoto(t)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	c := newClient(t, moto, secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceParameterStore, Auth: staticAuth()}), controlPlane.Client, ns)
	ps := seedParameterStore(moto)
	ctx := testContext(t)

	app := map[string]string{}
	prod := map[string]string{}
	for i := range 12 {
		name := fmt.Sprintf("/app/p%02d", i)
		kind, env := "String", "dev"
		if i%3 == 0 {
			kind = "SecureString"
		}
		if i < 11 {
			env = "prod"
		}
		app[name] = fmt.Sprintf("value-%d", i)
		putParameter(t, ps, name, app[name], kind, map[string]string{"env": env})
		if env == "prod" {
			prod[name] = app[name]
		}
	}
	putParameter(t, ps, "/app/deep/er/leaf", "leaf", "StringList", map[string]string{"env": "prod"})
	app["/app/deep/er/leaf"], prod["/app/deep/er/leaf"] = "leaf", "leaf"
	putParameter(t, ps, "/application", "lookalike", "String", map[string]string{"env": "prod"})
	prod["/application"] = "lookalike"
	putParameter(t, ps, "/other/x", "other", "SecureString", map[string]string{"env": "prod", "team": "a"})
	prod["/other/x"] = "other"

	// moto answers DescribeParameters 10 at a time whatever MaxResults asks (AWS honours
	// up to 50), so a list of 11 to 20 parameters costs two calls here.
	tests := []struct {
		name  string
		find  esv1.ExternalSecretFind
		want  map[string]string
		calls map[string]int
	}{
		{"path, recursive", esv1.ExternalSecretFind{Path: aws.String("/app")}, app,
			map[string]int{"GetParametersByPath": 2, "DescribeParameters": 0, "GetParameters": 0}},
		{"tags, read 10 at a time", esv1.ExternalSecretFind{Tags: map[string]string{"env": "prod"}}, prod,
			map[string]int{"GetParametersByPath": 0, "DescribeParameters": 2, "GetParameters": 2}},
		{"two tags", esv1.ExternalSecretFind{Tags: map[string]string{"env": "prod", "team": "a"}}, map[string]string{"/other/x": "other"},
			map[string]int{"DescribeParameters": 1, "GetParameters": 1}},
		{"regexp", esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: `^/app/p0[0-2]$`}},
			map[string]string{"/app/p00": "value-0", "/app/p01": "value-1", "/app/p02": "value-2"},
			map[string]int{"DescribeParameters": 2, "GetParameters": 1}},
		{"path and regexp", esv1.ExternalSecretFind{Path: aws.String("/app"), Name: &esv1.FindName{RegExp: `leaf$`}},
			map[string]string{"/app/deep/er/leaf": "leaf"}, map[string]int{"GetParametersByPath": 2}},
		{"path and tags", esv1.ExternalSecretFind{Path: aws.String("/app/"), Tags: map[string]string{"env": "dev"}},
			map[string]string{"/app/p11": "value-11"}, map[string]int{"DescribeParameters": 1, "GetParameters": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moto.ResetCalls()
			got, err := c.GetAllSecrets(ctx, tt.find)
			if err != nil {
				t.Fatalf("GetAllSecrets: %v", err)
			}
			assertMap(t, got, tt.want)
			for op, want := range tt.calls {
				if n := moto.Calls(op); n != want {
					t.Errorf("%s calls = %d, want %d (%s)", op, n, want, moto)
				}
			}
		})
	}
}
