package kubernetes

import (
	"errors"
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

func asStrings(m map[string][]byte) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func TestReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := newClient(t, New(), e.store(serviceAccountAuth()), controlPlane.Client, e.local)
	ctx := testContext(t)
	create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.remote, Name: "db",
			Labels: map[string]string{"team": "payments"}, Annotations: map[string]string{"owner": "a&b"}},
		StringData: map[string]string{"user": "admin", "config": `{"host":"db.local","ports":[5432]}`, "tls.crt": "CERT"},
	})

	tests := []struct {
		name string
		ref  esv1.ExternalSecretDataRemoteRef
		want string
	}{
		{"all keys", esv1.ExternalSecretDataRemoteRef{Key: "db"}, `{"config":"{\"host\":\"db.local\",\"ports\":[5432]}","tls.crt":"CERT","user":"admin"}`},
		{"one key", esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "user"}, "admin"},
		{"key with a dot", esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "tls.crt"}, "CERT"},
		{"inside a JSON key", esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "config.host"}, "db.local"},
		{"labels and annotations", esv1.ExternalSecretDataRemoteRef{Key: "db", MetadataPolicy: esv1.MetadataPolicyFetch},
			`{"annotations":{"owner":"a&b"},"labels":{"team":"payments"}}`},
		{"one label", esv1.ExternalSecretDataRemoteRef{Key: "db", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "labels.team"}, "payments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.GetSecret(ctx, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("GetSecret = %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("extract a JSON key", func(t *testing.T) {
		got, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "config"})
		if want := map[string]string{"host": "db.local", "ports": "[5432]"}; err != nil || !maps.Equal(asStrings(got), want) {
			t.Errorf("GetSecretMap = %v, %v; want %v", asStrings(got), err, want)
		}
	})
	t.Run("extract labels", func(t *testing.T) {
		got, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "labels"})
		if want := map[string]string{"team": "payments"}; err != nil || !maps.Equal(asStrings(got), want) {
			t.Errorf("GetSecretMap = %v, %v; want %v", asStrings(got), err, want)
		}
	})
	t.Run("a version", func(t *testing.T) {
		if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db", Version: "1"}); err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecret with a version = %v, want a clear error", err)
		}
	})
	t.Run("find by name and labels", func(t *testing.T) {
		e.remoteSecret(t, "tls-a", map[string]string{"k": "a"}, map[string]string{"app": "nginx"})
		e.remoteSecret(t, "tls-b", map[string]string{"k": "b"}, nil)
		e.remoteSecret(t, "cache", map[string]string{"k": "c"}, map[string]string{"app": "nginx"})
		got, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^tls-"}})
		if want := map[string]string{"tls-a": `{"k":"a"}`, "tls-b": `{"k":"b"}`}; err != nil || !maps.Equal(asStrings(got), want) {
			t.Errorf("find by name = %v, %v; want %v", asStrings(got), err, want)
		}
		got, err = c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Tags: map[string]string{"app": "nginx"}})
		if want := map[string]string{"tls-a": `{"k":"a"}`, "cache": `{"k":"c"}`}; err != nil || !maps.Equal(asStrings(got), want) {
			t.Errorf("find by labels = %v, %v; want %v", asStrings(got), err, want)
		}
		if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: new("x")}); err == nil {
			t.Error("find by path gave no error")
		}
	})
}

// TestCredentialsBoundTheStore checks that a store reads only what its credentials may:
// another namespace of the same cluster is forbidden, which is an error, not "not found".
func TestCredentialsBoundTheStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := newEnv(t)
	other.remoteSecret(t, "theirs", map[string]string{"k": "v"}, nil)
	store := e.store(serviceAccountAuth())
	store.Spec.Provider.Kubernetes.RemoteNamespace = other.remote
	c := newClient(t, New(), store, controlPlane.Client, e.local)
	_, err := c.GetSecret(testContext(t), esv1.ExternalSecretDataRemoteRef{Key: "theirs"})
	if err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("reading a namespace the ServiceAccount may not read = %v, want a forbidden error", err)
	}
	if result, err := c.Validate(testContext(t)); err == nil || result != esv1.ValidationResultError {
		t.Errorf("Validate = %v, %v; want an error", result, err)
	}
	if result, err := newClient(t, New(), e.store(serviceAccountAuth()), controlPlane.Client, e.local).Validate(testContext(t)); err != nil ||
		result != esv1.ValidationResultReady {
		t.Errorf("Validate of the allowed namespace = %v, %v", result, err)
	}

	// A SecretStore cannot borrow a ServiceAccount of another namespace.
	sa := serviceAccountAuth()
	sa.ServiceAccount.Namespace = &other.local
	if _, err := New().NewClient(testContext(t), e.store(sa), controlPlane.Client, e.local); err == nil {
		t.Error("a SecretStore used a ServiceAccount of another namespace")
	}
}

func TestAuthMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.remoteSecret(t, "db", map[string]string{"user": "admin"}, nil)
	ctx := testContext(t)

	// A bearer token of the reader ServiceAccount, kept in a Secret.
	sa := &corev1.ServiceAccount{}
	if err := controlPlane.Client.Get(ctx, client.ObjectKey{Namespace: e.local, Name: "reader"}, sa); err != nil {
		t.Fatal(err)
	}
	token, _, err := provider.ServiceAccountToken(ctx, controlPlane.Client, sa, nil, 3600)
	if err != nil {
		t.Fatal(err)
	}
	// A user of the API server's client-certificate authority, allowed the same.
	user, err := controlPlane.Env.AddUser(envtest.User{Name: "cert-reader-" + e.local}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.allow(t, rbacv1.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "cert-reader-" + e.local})
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.local, Name: "creds"}, Data: map[string][]byte{
		"token": []byte(token), "tls.crt": user.Config().CertData, "tls.key": user.Config().KeyData, "kubeconfig": kubeconfig,
	}})
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: e.local, Name: "kube-root-ca.crt-copy"},
		Data: map[string]string{"ca.crt": string(controlPlane.Config.CAData)}})

	tokenStore := e.store(&esv1.KubernetesAuth{Token: &esv1.KubernetesTokenAuth{BearerToken: esv1.SecretKeySelector{Name: "creds", Key: "token"}}})
	certStore := e.store(&esv1.KubernetesAuth{Cert: &esv1.KubernetesCertAuth{
		ClientCert: esv1.SecretKeySelector{Name: "creds", Key: "tls.crt"}, ClientKey: esv1.SecretKeySelector{Name: "creds", Key: "tls.key"},
	}})
	caProviderStore := e.store(serviceAccountAuth())
	caProviderStore.Spec.Provider.Kubernetes.Server.CABundle = nil
	caProviderStore.Spec.Provider.Kubernetes.Server.CAProvider = &esv1.CAProvider{
		Type: esv1.CAProviderTypeConfigMap, Name: "kube-root-ca.crt-copy", Key: "ca.crt",
	}
	kubeconfigStore := e.store(nil)
	kubeconfigStore.Spec.Provider.Kubernetes.Server = esv1.KubernetesServer{}
	kubeconfigStore.Spec.Provider.Kubernetes.AuthRef = &esv1.SecretKeySelector{Name: "creds", Key: "kubeconfig"}
	localStore := e.store(serviceAccountAuth())
	localStore.Spec.Provider.Kubernetes.Server = esv1.KubernetesServer{URL: "kubernetes.default"}
	noCAStore := e.store(serviceAccountAuth())
	noCAStore.Spec.Provider.Kubernetes.Server.CABundle = nil

	local := New(WithLocalCluster(controlPlane.Config))
	for name, tt := range map[string]struct {
		p     provider.Provider
		store *esv1.SecretStore
	}{
		"bearer token":              {New(), tokenStore},
		"client certificate":        {New(), certStore},
		"CA from a ConfigMap":       {New(), caProviderStore},
		"kubeconfig":                {New(), kubeconfigStore},
		"the cluster Ferry runs in": {local, localStore},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := newClient(t, tt.p, tt.store, controlPlane.Client, e.local).GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "user"})
			if err != nil || string(got) != "admin" {
				t.Errorf("GetSecret = %q, %v; want admin", got, err)
			}
		})
	}
	t.Run("a kubeconfig that reads Ferry's files or runs a command", func(t *testing.T) {
		for name, kubeconfig := range map[string]string{
			"token file": `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x`,
			"exec": `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x`,
		} {
			secret := "bad-kubeconfig-" + strings.ReplaceAll(name, " ", "-")
			create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.local, Name: secret},
				StringData: map[string]string{"config": kubeconfig}})
			store := e.store(nil)
			store.Spec.Provider.Kubernetes.AuthRef = &esv1.SecretKeySelector{Name: secret, Key: "config"}
			if _, err := New().NewClient(ctx, store, controlPlane.Client, e.local); err == nil {
				t.Errorf("%s: NewClient accepted the kubeconfig", name)
			}
		}
	})
	t.Run("an unknown CA", func(t *testing.T) {
		c := newClient(t, New(), noCAStore, controlPlane.Client, e.local)
		if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db"}); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("GetSecret from a server whose CA is not trusted = %v, want a certificate error", err)
		}
	})
}

func TestValidateStore(t *testing.T) {
	other := "other"
	sa := &esv1.KubernetesAuth{ServiceAccount: &esv1.ServiceAccountSelector{Name: "reader"}}
	tests := []struct {
		name string
		spec esv1.KubernetesProvider
		want string
	}{
		{name: "service account", spec: esv1.KubernetesProvider{Auth: sa}},
		{name: "no auth", spec: esv1.KubernetesProvider{}, want: "spec.provider.kubernetes.auth: required"},
		{name: "empty auth", spec: esv1.KubernetesProvider{Auth: &esv1.KubernetesAuth{}}, want: "spec.provider.kubernetes.auth: set one of"},
		{name: "auth and authRef", spec: esv1.KubernetesProvider{Auth: sa, AuthRef: &esv1.SecretKeySelector{Name: "k", Key: "c"}},
			want: "mutually exclusive"},
		{name: "http server", spec: esv1.KubernetesProvider{Auth: sa, Server: esv1.KubernetesServer{URL: "http://api:6443"}},
			want: "spec.provider.kubernetes.server.url:"},
		{name: "token without key", spec: esv1.KubernetesProvider{Auth: &esv1.KubernetesAuth{Token: &esv1.KubernetesTokenAuth{
			BearerToken: esv1.SecretKeySelector{Name: "t"}}}}, want: "spec.provider.kubernetes.auth.token.bearerToken.key: required"},
		{name: "another namespace's ServiceAccount", spec: esv1.KubernetesProvider{Auth: &esv1.KubernetesAuth{
			ServiceAccount: &esv1.ServiceAccountSelector{Name: "reader", Namespace: &other}}},
			want: "spec.provider.kubernetes.auth.serviceAccount.namespace: a SecretStore may only reference its own namespace"},
		{name: "caProvider without type", spec: esv1.KubernetesProvider{Auth: sa, Server: esv1.KubernetesServer{
			CAProvider: &esv1.CAProvider{Name: "ca", Key: "ca.crt"}}}, want: "spec.provider.kubernetes.server.caProvider.type:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "s"},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Kubernetes: &spec}}}
			err := New().ValidateStore(store)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateStore = %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateStore = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
