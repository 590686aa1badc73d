package keepersecurity

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestThroughTheOperator runs Keeper SecretStores and an ExternalSecret through a Ferry
// operator on a real kube-apiserver, against the in-process Secrets Manager API: the store
// becomes Ready (one signed call accepted); the ExternalSecret writes the bytes it reads by
// property, by extract and by find; a store whose configuration signs with a key Keeper
// does not hold is not Ready, carries Keeper's refusal and quotes no part of the
// configuration, and its ExternalSecret writes nothing. A PushSecret creates an
// externalSecrets record and deletes it with itself; one aimed at a login record is refused
// and leaves it as it was.
func TestThroughTheOperator(t *testing.T) {
	f := operatorKeeper
	db := f.add(t, "", databaseRecord)
	cache := f.add(t, "team-folder", customRecord("orders-cache", map[string]string{"host": "cache.internal", "token": "tk-77aa"}))
	f.add(t, "", customRecord("billing-db", map[string]string{"password": "pw-other"}))

	good := f.register(t)
	wrong := good
	wrong.key = unregistered(t).key
	wrongConfig := f.config(t, wrong, "10")

	ns := testenv.Namespace(t, k8s, nil)
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "keeper"},
		Data: map[string][]byte{"config": f.config(t, good, "10"), "wrong": wrongConfig}})
	store := func(name, key string) *esv1.SecretStore {
		spec := keeperStore(false).GetSpec().DeepCopy()
		spec.Provider.KeeperSecurity.AuthRef.Key = key
		return &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: *spec}
	}
	ok := store("keeper", "config")
	operatortest.Create(t, k8s, ok)
	operatortest.WaitReady(t, k8s, ok, metav1.ConditionTrue)

	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: ok.Name, Kind: esv1.SecretStoreKind}, RefreshInterval: esv1.NewDuration(time.Hour),
		Data: []esv1.ExternalSecretData{
			{SecretKey: "db-password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: db, Property: "password"}},
			{SecretKey: "db-port", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: db, Property: "port"}},
		},
		DataFrom: []esv1.ExternalSecretDataFromRemoteRef{
			{Extract: &esv1.ExternalSecretDataRemoteRef{Key: cache}},
			{Find: &esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^billing-"}}},
		}}}
	operatortest.Create(t, k8s, es)
	operatortest.WaitSecretData(t, k8s, ns, "orders", map[string]string{
		"db-password": "pa55-w0rd", "db-port": "5432",
		"host": "cache.internal", "token": "tk-77aa",
		"billing-db": esoJSON("billing-db", map[string]string{"password": "pw-other"}),
	})

	bad := store("keeper-wrong-key", "wrong")
	operatortest.Create(t, k8s, bad)
	c := operatortest.WaitReady(t, k8s, bad, metav1.ConditionFalse)
	if !strings.Contains(c.Message, "Signature is invalid") || strings.Contains(c.Message, string(wrongConfig)) || strings.Contains(c.Message, good.clientID) {
		t.Errorf("the store signing with the wrong key is %s: %q", c.Reason, c.Message)
	}
	badES := es.DeepCopy()
	badES.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "on-wrong-key"}
	badES.Spec.SecretStoreRef.Name = bad.Name
	operatortest.WaitNotSynced(t, k8s, badES)

	// PushSecret: a new externalSecrets record in the store's folder, deleted with the
	// PushSecret; a login record of the pushed title is refused and survives.
	f.add(t, pushFolder, customRecord("in the push folder", map[string]string{"note": "n"}))
	theirsUID := f.add(t, pushFolder, customRecord("orders-api", map[string]string{"api-token": "the-users-own"}))
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("pushed-value")}})
	ours := operatortest.PushSecret(ns, "ours", ok.Name, "source", "token", "orders-pushed/api-token")
	operatortest.Create(t, k8s, ours)
	operatortest.WaitReady(t, k8s, ours, metav1.ConditionTrue)
	_, pushed := onlyRecord(t, f, "orders-pushed")
	if got := jsonOf(t, pushed["custom"]); pushed["type"] != managedType || got != `[{"label":"api-token","type":"secret","value":["pushed-value"]}]` {
		t.Errorf("the pushed record is of type %v with custom fields %s", pushed["type"], got)
	}
	theirs := operatortest.PushSecret(ns, "theirs", ok.Name, "source", "token", "orders-api/api-token")
	operatortest.Create(t, k8s, theirs)
	if msg := operatortest.WaitReady(t, k8s, theirs, metav1.ConditionFalse).Message; !strings.Contains(msg, "was not created by Ferry") || !strings.Contains(msg, theirsUID) {
		t.Errorf("the refused push says %q, want the reason and the record's UID", msg)
	}
	operatortest.WaitGone(t, k8s, ours)
	if left := f.stored(t, "orders-pushed"); len(left) != 0 {
		t.Error("deleting the PushSecret did not delete the record it pushed")
	}
	operatortest.WaitGone(t, k8s, theirs)
	if _, data := onlyRecord(t, f, "orders-api"); jsonOf(t, data["custom"]) != `[{"label":"api-token","type":"text","value":["the-users-own"]}]` {
		t.Errorf("a record Ferry did not create was changed: %s", jsonOf(t, data["custom"]))
	}
}
