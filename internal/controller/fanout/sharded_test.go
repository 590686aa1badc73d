package fanout_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/controller/fanout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// shardCache is the client of a sharded leader: its cache does not hold the ExternalSecrets
// of the namespace another replica owns. Writes go to the API server, and creates are
// counted.
type shardCache struct {
	client.Client
	othersNamespace string
	creates         atomic.Int32
}

func (c *shardCache) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*esv1.ExternalSecret); ok && key.Namespace == c.othersNamespace {
		return apierrors.NewNotFound(schema.GroupResource{Group: esv1.Group, Resource: "externalsecrets"}, key.Name)
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

func (c *shardCache) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if _, ok := obj.(*esv1.ExternalSecret); ok {
		c.creates.Add(1)
	}
	return c.Client.Create(ctx, obj, opts...)
}

// TestChildrenOfOtherShards: a leader whose cache holds only its own shards' ExternalSecrets
// reads the children from the API server (Children), so a child in another replica's
// namespace is neither created again nor reported failed. Without Children, the same
// reconcile tries to create it (the case the field exists for).
func TestChildrenOfOtherShards(t *testing.T) {
	ctx := context.Background()
	team := "shard-" + fmt.Sprint(time.Now().UnixNano())
	mine := testenv.Namespace(t, k8s, map[string]string{"team": team})
	others := testenv.Namespace(t, k8s, map[string]string{"team": team})
	ces := &esv1.ClusterExternalSecret{ObjectMeta: metav1.ObjectMeta{Name: "ces-" + team},
		Spec: esv1.ClusterExternalSecretSpec{
			ExternalSecretName: "child",
			NamespaceSelectors: []*metav1.LabelSelector{{MatchLabels: map[string]string{"team": team}}},
			ExternalSecretSpec: esv1.ExternalSecretSpec{
				SecretStoreRef: esv1.SecretStoreRef{Name: "none", Kind: esv1.ClusterSecretStoreKind},
				Data:           []esv1.ExternalSecretData{{SecretKey: "value", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "k"}}},
			},
		}}
	if err := k8s.Create(ctx, ces); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, ces) })
	// The suite's operator fans it out first.
	waitStatus(t, ces, []string{mine, others}, nil)
	var before esv1.ExternalSecret
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: others, Name: "child"}, &before); err != nil {
		t.Fatal(err)
	}

	reconcile := func(children client.Reader) (*shardCache, error) {
		c := &shardCache{Client: k8s, othersNamespace: others}
		r := &fanout.Reconciler[*esv1.ClusterExternalSecret, *esv1.ExternalSecret]{Kind: fanout.ExternalSecrets(),
			Client: c, Children: children, Recorder: events.NewFakeRecorder(10)}
		_, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(ces)})
		return c, err
	}

	// Without Children the cache's "not found" is taken for absent: a create is tried.
	blind, err := reconcile(nil)
	if err != nil {
		t.Fatal(err)
	}
	if blind.creates.Load() != 1 {
		t.Fatalf("reading children from the sharded cache tried %d creates, want 1: the test no longer shows the case", blind.creates.Load())
	}

	// With the API reader as Children: no create, the child stays the same object, and the
	// status names both namespaces.
	sharded, err := reconcile(k8s)
	if err != nil {
		t.Fatal(err)
	}
	if n := sharded.creates.Load(); n != 0 {
		t.Errorf("the sharded leader tried %d creates of a child that exists in another replica's namespace, want 0", n)
	}
	var after esv1.ExternalSecret
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: others, Name: "child"}, &after); err != nil {
		t.Fatal(err)
	}
	if after.UID != before.UID {
		t.Errorf("the child in %s was replaced (uid %s → %s)", others, before.UID, after.UID)
	}
	waitStatus(t, ces, []string{mine, others}, nil)
}
