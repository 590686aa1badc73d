package kubernetes

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

func TestConformance(t *testing.T) {
	e := newEnv(t)
	kube, tokenRequests := countingKube(t)
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      kube,
		Namespace: e.local,
		Store:     func(*testing.T) esv1.GenericStore { return e.store(serviceAccountAuth()) },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			e.remoteSecret(t, key, s.Data, s.Tags)
			return ""
		},
		Delete: func(t *testing.T, key string) {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.remote, Name: key}}
			if err := controlPlane.Client.Delete(testContext(t), s); err != nil {
				t.Fatal(err)
			}
		},
		Find:   conformance.FindByNameAndTags,
		Logins: func() int { return int(tokenRequests.Load()) },
	})
}
