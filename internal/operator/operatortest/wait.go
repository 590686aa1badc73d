package operatortest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/changefeed"
	"github.com/ferryhq/ferry/internal/storeref"
	"github.com/ferryhq/ferry/internal/testenv"
)

// waitTimeout bounds each wait: a sync against an in-process backend takes well under it.
const waitTimeout = 30 * time.Second

// Condition is the Ready condition of a store, ExternalSecret or PushSecret, whose
// condition types differ.
type Condition struct {
	Status          metav1.ConditionStatus
	Reason, Message string
}

// WaitReady reads obj until its Ready condition is at status, and returns the condition.
// It knows the Ready condition of SecretStores, ExternalSecrets and PushSecrets, and waits
// past a store not validated yet.
func WaitReady(t *testing.T, k8s client.Client, obj client.Object, status metav1.ConditionStatus) Condition {
	t.Helper()
	var last Condition
	testenv.Eventually(t, waitTimeout, fmt.Sprintf("%T %s Ready=%s", obj, obj.GetName(), status), func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return false, err
		}
		c, ok := ready(obj)
		if !ok {
			return false, nil
		}
		last = c
		return c.Status == status && !StorePending(c.Message), fmt.Errorf("%s: %s", c.Reason, c.Message)
	})
	return last
}

// StorePending says whether a condition reports a store not validated yet: a store created
// just before the object that uses it passes through that state, which is never the
// outcome a test waits for.
func StorePending(message string) bool {
	return strings.Contains(message, storeref.NotValidatedYet)
}

func ready(obj client.Object) (Condition, bool) {
	switch o := obj.(type) {
	case *esv1.SecretStore:
		for _, c := range o.Status.Conditions {
			if c.Type == esv1.SecretStoreReady {
				return Condition{c.Status, c.Reason, c.Message}, true
			}
		}
	case *esv1.ExternalSecret:
		for _, c := range o.Status.Conditions {
			if c.Type == esv1.ExternalSecretReady {
				return Condition{metav1.ConditionStatus(c.Status), c.Reason, c.Message}, true
			}
		}
	case *esv1alpha1.PushSecret:
		for _, c := range o.Status.Conditions {
			if c.Type == "Ready" {
				return Condition{c.Status, c.Reason, c.Message}, true
			}
		}
	}
	return Condition{}, false
}

// WaitSecretData reads the Secret ns/name until its data is exactly want.
func WaitSecretData(t *testing.T, k8s client.Client, ns, name string, want map[string]string) {
	t.Helper()
	testenv.Eventually(t, waitTimeout, "Secret "+name, func() (bool, error) {
		var s corev1.Secret
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
			return false, err
		}
		if len(s.Data) != len(want) {
			return false, fmt.Errorf("%d keys, want %d", len(s.Data), len(want))
		}
		for k, v := range want {
			if string(s.Data[k]) != v {
				return false, fmt.Errorf("key %q differs", k)
			}
		}
		return true, nil
	})
}

// Create creates obj, failing the test when it cannot.
func Create(t *testing.T, k8s client.Client, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// PushSecret returns a PushSecret ns/name that pushes key secretKey of the Secret source to
// remoteKey through the SecretStore store, refreshed hourly, deleting what it pushed when it
// is deleted.
func PushSecret(ns, name, store, source, secretKey, remoteKey string) *esv1alpha1.PushSecret {
	return &esv1alpha1.PushSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: esv1alpha1.PushSecretSpec{
			RefreshInterval: esv1.NewDuration(time.Hour),
			SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{{Name: store, Kind: esv1.SecretStoreKind}},
			DeletionPolicy:  esv1alpha1.PushSecretDeletionPolicyDelete,
			Selector:        esv1alpha1.PushSecretSelector{Secret: &esv1alpha1.PushSecretSecret{Name: source}},
			Data: []esv1alpha1.PushSecretData{{Match: esv1alpha1.PushSecretMatch{SecretKey: secretKey,
				RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: remoteKey}}}},
		}}
}

// WaitGone deletes obj and waits until the API server no longer has it (its finalizers ran).
func WaitGone(t *testing.T, k8s client.Client, obj client.Object) {
	t.Helper()
	if err := k8s.Delete(context.Background(), obj); err != nil {
		t.Fatalf("deleting %T %s: %v", obj, obj.GetName(), err)
	}
	testenv.Eventually(t, waitTimeout, fmt.Sprintf("%T %s gone", obj, obj.GetName()), func() (bool, error) {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
		return apierrors.IsNotFound(err), err
	})
}

// WaitNotSynced creates es, waits until it is Ready=False, and fails the test when it
// reports SecretSynced or wrote its target Secret (named after it); it returns the condition.
func WaitNotSynced(t *testing.T, k8s client.Client, es *esv1.ExternalSecret) Condition {
	t.Helper()
	Create(t, k8s, es)
	c := WaitReady(t, k8s, es, metav1.ConditionFalse)
	if c.Reason == esv1.ReasonSecretSynced {
		t.Errorf("ExternalSecret %s is %s", es.Name, c.Reason)
	}
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: es.Namespace, Name: es.Name}, &corev1.Secret{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("ExternalSecret %s wrote its Secret: %v", es.Name, err)
	}
	return c
}

// WaitFeedReceiving reads store until its EventFeed condition says the change feed
// receives.
func WaitFeedReceiving(t *testing.T, k8s client.Client, store esv1.GenericStore) {
	t.Helper()
	WaitFeed(t, k8s, store, changefeed.ReasonFeedReceiving)
}

// WaitFeed reads store until its EventFeed condition has reason, and returns the condition.
func WaitFeed(t *testing.T, k8s client.Client, store esv1.GenericStore, reason string) Condition {
	t.Helper()
	var found Condition
	testenv.Eventually(t, waitTimeout, "store "+store.GetName()+" EventFeed "+reason, func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(store), store); err != nil {
			return false, err
		}
		for _, c := range store.GetStatus().Conditions {
			if c.Type == changefeed.ConditionEventFeed {
				found = Condition{Status: c.Status, Reason: c.Reason, Message: c.Message}
				return c.Reason == reason, fmt.Errorf("%s: %s", c.Reason, c.Message)
			}
		}
		return false, nil
	})
	return found
}
