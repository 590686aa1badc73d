package security

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// refPath is one way a store's provider spec can name a Kubernetes object in a namespace:
// the path to a struct with a Namespace field (a Secret key, a ServiceAccount, a CA
// ConfigMap or Secret).
type refPath struct {
	path  string
	build func() *esv1.SecretStoreProvider
}

// namespaceRefs walks the provider union by reflection and returns every path to a struct
// with a `Namespace *string` field, each with a builder that fills that path only and points
// the reference at namespace other. New provider fields are covered as they are added.
func namespaceRefs(other string) []refPath {
	var out []refPath
	root := reflect.TypeFor[esv1.SecretStoreProvider]()
	var walk func(t reflect.Type, steps []reflect.StructField, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, steps []reflect.StructField, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		defer delete(seen, t)
		// A Kubernetes reference has a name and an optional namespace; a Vault namespace
		// (VaultProvider.Namespace) has no name and is not one.
		f, hasNamespace := t.FieldByName("Namespace")
		name, hasName := t.FieldByName("Name")
		if hasNamespace && f.Type == reflect.TypeFor[*string]() && hasName && name.Type.Kind() == reflect.String {
			path := append([]reflect.StructField(nil), steps...)
			out = append(out, refPath{path: jsonPath(path), build: func() *esv1.SecretStoreProvider {
				p := fill(root, path, other).Interface().(*esv1.SecretStoreProvider)
				withRequired(p)
				return p
			}})
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.PkgPath() == root.PkgPath() {
				walk(ft, append(steps, f), seen)
			}
		}
	}
	walk(root, nil, map[reflect.Type]bool{})
	return out
}

// fill allocates root and every step of path, and sets the reference at its end.
func fill(root reflect.Type, path []reflect.StructField, namespace string) reflect.Value {
	top := reflect.New(root)
	cur := top.Elem()
	for _, step := range path {
		field := cur.FieldByIndex(step.Index)
		switch field.Kind() {
		case reflect.Pointer:
			field.Set(reflect.New(field.Type().Elem()))
			cur = field.Elem()
		case reflect.Slice:
			field.Set(reflect.MakeSlice(field.Type(), 1, 1))
			cur = field.Index(0)
		default:
			cur = field
		}
	}
	for name, value := range map[string]string{"Name": "creds", "Key": "key", "Type": string(esv1.CAProviderTypeSecret)} {
		if f := cur.FieldByName(name); f.IsValid() && f.Kind() == reflect.String && f.CanSet() {
			f.SetString(value)
		}
	}
	cur.FieldByName("Namespace").Set(reflect.ValueOf(&namespace))
	return top
}

// withRequired fills the fields a provider requires before it looks at references, so
// that the reference is what the provider judges.
func withRequired(p *esv1.SecretStoreProvider) {
	switch {
	case p.AWS != nil:
		p.AWS.Region = "eu-west-1"
	case p.Vault != nil:
		p.Vault.Server = "https://vault.example.com:8200"
	case p.Webhook != nil:
		p.Webhook.URL = "https://hooks.example.com/{{ .remoteRef.key }}"
	case p.AzureKV != nil:
		url := "https://tenant.vault.azure.net"
		p.AzureKV.VaultURL = &url
		if p.AzureKV.ServiceAccountRef != nil {
			authType := esv1.AzureAuthType("WorkloadIdentity")
			p.AzureKV.AuthType = &authType
		}
	case p.GCPSM != nil:
		p.GCPSM.ProjectID = "project"
	case p.Infisical != nil:
		p.Infisical.SecretsScope.ProjectSlug, p.Infisical.SecretsScope.EnvironmentSlug = "project", "prod"
	case p.SecretServer != nil:
		p.SecretServer.ServerURL = "https://secretserver.example.com"
		// Username and password go together; the one not under test is inline.
		if p.SecretServer.Username == nil {
			p.SecretServer.Username = &esv1.SecretServerCredential{Value: "ferry"}
		}
		if p.SecretServer.Password == nil {
			p.SecretServer.Password = &esv1.SecretServerCredential{Value: "inline"}
		}
	case p.Akeyless != nil && p.Akeyless.AuthSecretRef.SecretRef != nil && p.Akeyless.AuthSecretRef.SecretRef.AccessID == nil:
		// An access ID in the store's own namespace: the reference under test is judged.
		p.Akeyless.AuthSecretRef.SecretRef.AccessID = &esv1.SecretKeySelector{Name: "creds", Key: "access-id"}
	}
}

func jsonPath(path []reflect.StructField) string {
	parts := make([]string, len(path))
	for i, f := range path {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		parts[i] = name
	}
	return "spec.provider." + strings.Join(parts, ".")
}

// TestNamespacedStoreRefsStayInNamespace: through every field of every provider the ferry
// binary serves (internal/builtin) that can name a Secret, a ServiceAccount or a ConfigMap, a namespaced SecretStore may not point
// into another namespace. The provider refuses the store as written (webhook and store
// controller alike), naming the field. ClusterSecretStores may, by design: their authors
// administer the cluster.
func TestNamespacedStoreRefsStayInNamespace(t *testing.T) {
	refs := namespaceRefs("other-tenant")
	if len(refs) < 20 {
		t.Fatalf("found only %d reference fields: the walk is broken", len(refs))
	}
	for _, ref := range refs {
		t.Run(ref.path, func(t *testing.T) {
			store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "tenant", Name: "s"},
				Spec: esv1.SecretStoreSpec{Provider: ref.build()}}
			p, err := served.ForStore(store)
			var notImplemented *provider.NotImplementedError
			switch {
			case errors.As(err, &notImplemented):
				// A provider Ferry does not implement gets no client: nothing is read through
				// any of its references (the store is reported ProviderNotImplemented).
				return
			case err != nil:
				t.Fatal(err)
			}
			err = p.ValidateStore(store)
			want := `.namespace: a SecretStore may only reference its own namespace "tenant", not "other-tenant"`
			switch {
			case err == nil:
				t.Errorf("%s pointing into another namespace: the store is accepted", ref.path)
			case strings.Contains(err.Error(), want):
			case strings.Contains(err.Error(), "not supported by Ferry yet") || strings.Contains(err.Error(), "not served by Ferry yet") ||
				strings.Contains(err.Error(), "Ferry does not implement"):
				// An auth method Ferry does not serve: the whole store is refused, nothing is read.
				t.Logf("%s: refused as not supported: %v", ref.path, err)
			default:
				t.Errorf("%s pointing into another namespace: ValidateStore = %v, want %q", ref.path, err, want)
			}
		})
	}
}
