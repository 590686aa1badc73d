package secretserver

import (
	"encoding/json"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/secretserver/secretserverfake"
)

func ssStore(spec esv1.SecretServerProvider) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "ss", Namespace: "apps"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{SecretServer: &spec}},
	}
}

// passwordStore is a store with its username inline and its password in a Secret.
func passwordStore(f *secretserverfake.Server, password string) (esv1.GenericStore, client.Client) {
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ss-creds", Namespace: "apps"},
		Data: map[string][]byte{"password": []byte(password)}}
	store := ssStore(esv1.SecretServerProvider{
		ServerURL: f.BaseURL() + "/",
		Domain:    f.Domain(),
		Username:  &esv1.SecretServerCredential{Value: f.Username},
		Password:  &esv1.SecretServerCredential{SecretRef: &esv1.SecretKeySelector{Name: "ss-creds", Key: "password"}},
	})
	return store, fake.NewClientBuilder().WithObjects(creds).Build()
}

// dataItem is the one field the suite's secrets have: the JSON object of their pairs,
// the layout ESO's documentation uses for Secret Server.
func dataItem(pairs map[string]string) fakeItem {
	raw, _ := json.Marshal(pairs)
	return fakeItem{Name: "Data", Slug: "data", Value: string(raw)}
}

// TestConformance runs the provider suite against the in-process Secret Server, reading
// secrets by name (a search, then a read by id). Secret Server keeps no versions Ferry or
// ESO read, and has no find. Without a property ESO returns the whole secret model, which
// wholeModel spells out field by field.
func TestConformance(t *testing.T) {
	f := startSS(t)
	store, kube := passwordStore(f, f.Password)
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      kube,
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(_ *testing.T, key string, s conformance.Secret) string {
			f.Put("/Ferry", key, dataItem(s.Data))
			return ""
		},
		Delete: func(_ *testing.T, key string) { f.RemoveNamed(key) },
		Find:   conformance.FindNone,
		Whole:  func(s conformance.Secret) string { return wholeModel(f, dataItem(s.Data).Value) },
		Logins: f.Logins,
	})
}

// wholeModel is the JSON ESO returns for the seeded secret whose data field holds value:
// the SDK's secret model with Go names, in its order.
func wholeModel(f *secretserverfake.Server, value string) string {
	for _, s := range f.Secrets() {
		if len(s.Items) != 1 || s.Items[0].Value != value {
			continue
		}
		quoted, _ := json.Marshal(value)
		return fmt.Sprintf(`{"Name":%q,"FolderID":%d,"ID":%d,"SiteID":1,"SecretTemplateID":6003,"LauncherConnectAsSecretID":0,`+
			`"CheckOutIntervalMinutes":0,"Active":true,"CheckedOut":false,"CheckOutEnabled":false,"AutoChangeEnabled":false,`+
			`"CheckOutChangePasswordEnabled":false,"DelayIndexing":false,"EnableInheritPermissions":true,"EnableInheritSecretPolicy":true,`+
			`"ProxyEnabled":false,"RequiresComment":false,"SessionRecordingEnabled":false,"WebLauncherRequiresIncognitoMode":false,`+
			`"Items":[{"ItemID":%d,"FieldID":300,"FileAttachmentID":0,"FieldName":"Data","Slug":"data","FieldDescription":"The Data.",`+
			`"Filename":"","ItemValue":%s,"IsFile":false,"IsNotes":false,"IsPassword":false}]}`,
			s.Name, len(s.Folder), s.ID, s.ID*100, quoted)
	}
	return "no such secret"
}
