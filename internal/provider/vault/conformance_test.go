package vault

import (
	"strconv"
	"sync"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/testenv"
)

var setupOnce sync.Map

// once runs setup the first time name is asked for in this test binary: the dev server is
// shared, and auth methods and mounts can be enabled only once.
func once(t *testing.T, name string, setup func()) {
	t.Helper()
	m, _ := setupOnce.LoadOrStore(name, &sync.Once{})
	m.(*sync.Once).Do(setup)
}

// readerPolicy reads and lists every mount the tests use.
const readerPolicy = `
path "secret/*" { capabilities = ["read", "list"] }
path "kv1/*" { capabilities = ["read", "list"] }
`

func enableAuth(t *testing.T, path, kind string) {
	t.Helper()
	once(t, "auth "+path, func() {
		server.MustDo(t, "POST", "sys/auth/"+path, map[string]any{"type": kind}, nil)
		server.MustDo(t, "PUT", "sys/policies/acl/reader", map[string]any{"policy": readerPolicy}, nil)
	})
}

// appRole creates an AppRole role with the reader policy and the given token settings and
// returns its role id and a secret id.
func appRole(t *testing.T, role string, settings map[string]any) (roleID, secretID string) {
	t.Helper()
	enableAuth(t, "approle", "approle")
	body := map[string]any{"token_policies": []string{"reader"}}
	for k, v := range settings {
		body[k] = v
	}
	server.MustDo(t, "POST", "auth/approle/role/"+role, body, nil)
	var id struct {
		Data struct {
			RoleID string `json:"role_id"`
		} `json:"data"`
	}
	server.MustDo(t, "GET", "auth/approle/role/"+role+"/role-id", nil, &id)
	var secret struct {
		Data struct {
			SecretID string `json:"secret_id"`
		} `json:"data"`
	}
	server.MustDo(t, "POST", "auth/approle/role/"+role+"/secret-id", map[string]any{}, &secret)
	return id.Data.RoleID, secret.Data.SecretID
}

func TestConformance(t *testing.T) {
	runKV2Conformance(t, New(), "conformance", func(ns, roleID string) esv1.GenericStore {
		return secretStore(ns, esv1.VaultProvider{
			Path: ptr("secret"), Version: esv1.VaultKVStoreV2,
			Auth: &esv1.VaultAuth{AppRole: &esv1.VaultAppRole{
				Path: "approle", RoleID: roleID,
				SecretRef: esv1.SecretKeySelector{Name: "approle", Key: "secret-id"},
			}},
		})
	})
}

// runKV2Conformance runs the shared suite against the dev server's secret/ mount through
// p, with an AppRole role of its own; store builds the store for the role's id, reading
// the secret id from the Secret approle/secret-id.
func runKV2Conformance(t *testing.T, p provider.Provider, role string, store func(ns, roleID string) esv1.GenericStore) {
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	roleID, secretID := appRole(t, role, nil)
	kubeSecret(t, ns, "approle", map[string]string{"secret-id": secretID})
	conformance.Run(t, conformance.Backend{
		Provider:  p,
		Kube:      controlPlane.Client,
		Namespace: ns,
		Store:     func(*testing.T) esv1.GenericStore { return store(ns, roleID) },
		Seed:      seedKV2,
		Delete:    deleteKV2,
		KeyPrefix: ns + "-",
		Versions:  true,
		Find:      conformance.FindByNameAndTags,
		Logins:    func() int { return server.Calls("POST /v1/auth/approle/login") },
	})
}

// seedKV2 writes a conformance secret to secret/<key>, its tags as custom_metadata.
func seedKV2(t *testing.T, key string, s conformance.Secret) string {
	data := map[string]any{}
	for k, v := range s.Data {
		data[k] = v
	}
	version := writeKV2(t, key, data)
	if len(s.Tags) > 0 {
		server.MustDo(t, "POST", "secret/metadata/"+key, map[string]any{"custom_metadata": s.Tags}, nil)
	}
	return strconv.Itoa(version)
}

// deleteKV2 soft-deletes the latest version of secret/<key>.
func deleteKV2(t *testing.T, key string) {
	server.MustDo(t, "DELETE", "secret/data/"+key, nil, nil)
}
