package cli

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

func TestEventsColumn(t *testing.T) {
	reads := func(stores ...esv1.SecretStoreRef) *esv1.ExternalSecret {
		es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app"}}
		es.Spec.SecretStoreRef = stores[0]
		for _, s := range stores[1:] {
			es.Spec.Data = append(es.Spec.Data, esv1.ExternalSecretData{SecretKey: "k",
				SourceRef: &esv1.StoreSourceRef{SecretStoreRef: &s}, RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "k"}})
		}
		es.Spec.Data = append(es.Spec.Data, esv1.ExternalSecretData{SecretKey: "d", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "d"}})
		return es
	}
	aws := esv1.SecretStoreRef{Name: "aws"}
	vault := esv1.SecretStoreRef{Kind: esv1.ClusterSecretStoreKind, Name: "vault"}
	awsID, vaultID := storeID{esv1.SecretStoreKind, "ns", "aws"}, storeID{esv1.ClusterSecretStoreKind, "", "vault"}
	generated := reads(aws)
	generated.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{SourceRef: &esv1.StoreGeneratorSourceRef{
		GeneratorRef: &esv1.GeneratorRef{Kind: genv1alpha1.PasswordKind, Name: "pw"}}}}
	for _, tt := range []struct {
		name  string
		es    *esv1.ExternalSecret
		feeds map[storeID]metav1.ConditionStatus
		want  string
	}{
		{"no feed", reads(aws), nil, "-"},
		{"receiving feed", reads(aws), map[storeID]metav1.ConditionStatus{awsID: metav1.ConditionTrue}, "yes"},
		{"failing feed", reads(aws), map[storeID]metav1.ConditionStatus{awsID: metav1.ConditionFalse}, "down"},
		{"one of two stores fed", reads(aws, vault), map[storeID]metav1.ConditionStatus{awsID: metav1.ConditionTrue}, "-"},
		{"both stores fed", reads(aws, vault), map[storeID]metav1.ConditionStatus{awsID: metav1.ConditionTrue, vaultID: metav1.ConditionTrue}, "yes"},
		{"same-named store in another namespace", reads(aws), map[storeID]metav1.ConditionStatus{{esv1.SecretStoreKind, "other", "aws"}: metav1.ConditionTrue}, "-"},
		{"generated entries poll", generated, map[storeID]metav1.ConditionStatus{awsID: metav1.ConditionTrue}, "-"},
	} {
		if got := eventsColumn(tt.es, tt.feeds); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
