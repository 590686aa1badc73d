package keepersecurity

import (
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// keeperStore is a store reading the configuration from Secret "keeper", key "config".
func keeperStore(fallback bool) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "keeper", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{KeeperSecurity: &esv1.KeeperSecurityProvider{
			AuthRef:            esv1.SecretKeySelector{Name: "keeper", Key: "config"},
			FolderID:           "folder-uid",
			GetByTitleFallback: fallback,
		}}},
	}
}

func configKube(config []byte) client.Client {
	return fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "keeper", Namespace: "apps"},
		Data: map[string][]byte{"config": config}}).Build()
}

// testProvider trusts f's certificate and encrypts to f's server keys.
func testProvider(f *fakeKeeper) *Provider {
	p := New(restclient.WithHTTPClient(f.srv.Client()))
	p.serverKeys = f.publicKeys()
	return p
}

// seededRecord is what the suite's Seed wrote: a record titled with the suite's key whose
// pairs are custom text fields, as a vault user adds them.
type seededRecord struct {
	uid, title string
	data       map[string]string
}

type seededRecords struct {
	mu   sync.Mutex
	list []seededRecord
}

func (s *seededRecords) add(r seededRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, r)
}

func (s *seededRecords) find(match func(seededRecord) bool) (seededRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.list) - 1; i >= 0; i-- {
		if match(s.list[i]) {
			return s.list[i], true
		}
	}
	return seededRecord{}, false
}

func customRecord(title string, data map[string]string) map[string]any {
	custom := []map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(data)) {
		custom = append(custom, map[string]any{"type": "text", "label": k, "value": []string{data[k]}})
	}
	return map[string]any{"title": title, "type": "login", "fields": []any{}, "custom": custom, "notes": ""}
}

// esoJSON is the JSON ESO gives for such a record without a property: title, type, fields,
// custom (type, label, value) and files, null when the record has no attachment.
func esoJSON(title string, data map[string]string) string {
	var b []byte
	b = append(b, `{"title":`...)
	b = appendJSON(b, title)
	b = append(b, `,"type":"login","fields":[],"custom":[`...)
	for i, k := range slices.Sorted(maps.Keys(data)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"text","label":`...)
		b = appendJSON(b, k)
		b = append(b, `,"value":[`...)
		b = appendJSON(b, data[k])
		b = append(b, "]}"...)
	}
	return string(append(b, `],"files":null}`...))
}

func appendJSON(b []byte, s string) []byte {
	out, _ := json.Marshal(s)
	return append(b, out...)
}

// TestConformance runs the provider suite against the in-process server: records shared
// directly and in a shared folder (every other record), read by the UID the server gave.
func TestConformance(t *testing.T) {
	f := startKeeper(t)
	a := f.register(t)
	seeded := &seededRecords{}
	n := 0
	var mu sync.Mutex
	conformance.Run(t, conformance.Backend{
		Provider:  testProvider(f),
		Kube:      configKube(f.config(t, a, "10")),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return keeperStore(false) },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			mu.Lock()
			folder := ""
			if n%2 == 1 {
				folder = "shared-folder"
			}
			n++
			mu.Unlock()
			uid := f.add(t, folder, customRecord(key, s.Data))
			seeded.add(seededRecord{uid: uid, title: key, data: s.Data})
			return ""
		},
		Delete: func(_ *testing.T, key string) {
			if r, ok := seeded.find(func(r seededRecord) bool { return r.title == key }); ok {
				f.remove(r.uid)
			}
		},
		Find: conformance.FindOwn,
		Whole: func(s conformance.Secret) string {
			r, _ := seeded.find(func(r seededRecord) bool { return maps.Equal(r.data, s.Data) })
			return esoJSON(r.title, r.data)
		},
		RemoteKey: func(key string) string {
			if r, ok := seeded.find(func(r seededRecord) bool { return r.title == key }); ok {
				return r.uid
			}
			return "NoSuchRecordUid0000000"
		},
	})
}
