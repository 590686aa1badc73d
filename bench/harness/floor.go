package harness

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// floorClient is a bare client with the operator's client QPS and burst.
func floorClient(base *rest.Config, cfg *Config) (client.Client, error) {
	rc := rest.CopyConfig(base)
	rc.QPS, rc.Burst = float32(cfg.QPS), cfg.Burst
	return client.New(rc, client.Options{Scheme: scheme()})
}

// floorSecret is the Secret of object i, shaped like the one an operator writes: a managed
// label, a hash annotation, one small key and, given the ExternalSecret it is synced for,
// that ExternalSecret as its controlling owner (creationPolicy Owner, the default: ESO and
// Ferry both write the reference).
func floorSecret(i int, cfg *Config, owner *esv1.ExternalSecret) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: floorNamespace, Name: esName(i),
			Labels:      map[string]string{esv1.LabelManaged: esv1.LabelManagedValue},
			Annotations: map[string]string{esv1.AnnotationDataHash: strings.Repeat("0", 64)}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{secretKey: []byte(remoteValue(keyOf(i, cfg.K), 1))},
	}
	if owner != nil {
		s.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, esv1.GroupVersion.WithKind("ExternalSecret"))}
	}
	return s
}

// floor measures how long a bare client takes to create n Secrets shaped like the ones an
// operator writes, with the operator's client QPS and burst and as many workers as its
// concurrency: the physical limit of the API server on this machine for the writes a cold
// start cannot avoid. Call cleanup, after reading whatever the floor should be measured by,
// to delete the Secrets.
func floor(ctx context.Context, base *rest.Config, cfg *Config, started func()) (took time.Duration, cleanup func() error, err error) {
	c, err := floorClient(base, cfg)
	if err != nil {
		return 0, nil, err
	}
	started()
	start := time.Now()
	err = parallel(ctx, cfg.N, cfg.Concurrency, func(ctx context.Context, i int) error {
		if err := c.Create(ctx, floorSecret(i, cfg, nil)); err != nil {
			return fmt.Errorf("floor: creating Secret %s: %w", esName(i), err)
		}
		return nil
	})
	took = time.Since(start)
	if err != nil {
		return 0, nil, err
	}
	return took, func() error { return cleanFloor(ctx, c) }, nil
}

// firstSyncFloor measures what a first sync must do, done by a bare client: for each of n
// ExternalSecrets (created beforehand, before started is called and the clock starts, in
// the floor's namespace), create its Secret (owned by the ExternalSecret), then
// merge-patch its status to Ready (with the optimistic lock an operator uses), and record
// one events.k8s.io/v1 Event about it. The workers do not wait for the events, as
// operators' event recorders do not: each is written by a goroutine of its own, and the
// time ends when the last request of all three kinds is done. Same QPS, burst and workers
// as the operator; one client for all requests, as an operator has. No operator runs
// meanwhile; cleanup deletes the ExternalSecrets, Secrets and Events.
func firstSyncFloor(ctx context.Context, base *rest.Config, cfg *Config, started func()) (took time.Duration, cleanup func() error, err error) {
	c, err := floorClient(base, cfg)
	if err != nil {
		return 0, nil, err
	}
	objects := make([]*esv1.ExternalSecret, cfg.N)
	err = parallel(ctx, cfg.N, 16, func(ctx context.Context, i int) error {
		es := cfg.externalSecret(i)
		es.Namespace, es.Labels = floorNamespace, nil // not a benchmark object: readiness ignores it
		objects[i] = es
		// Created here, not found: the Secret's owner reference and the status patch's lock
		// need the uid and resourceVersion the create returns.
		if err := c.Create(ctx, es); err != nil {
			return fmt.Errorf("creating ExternalSecret %s: %w", es.Name, err)
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("first-sync floor: %w", err)
	}
	started()
	start := time.Now()
	var events sync.WaitGroup
	var eventErr error
	var eventErrOnce sync.Once
	err = parallel(ctx, cfg.N, cfg.Concurrency, func(workerCtx context.Context, i int) error {
		event, err := floorFirstSync(workerCtx, c, cfg, i, objects[i])
		if err != nil {
			return err
		}
		// The run's context: parallel's ends when the last worker does, before the events.
		events.Go(func() {
			if err := c.Create(ctx, event); err != nil {
				eventErrOnce.Do(func() { eventErr = fmt.Errorf("first-sync floor: recording an event: %w", err) })
			}
		})
		return nil
	})
	events.Wait()
	took = time.Since(start)
	if err == nil {
		err = eventErr
	}
	if err != nil {
		return 0, nil, err
	}
	return took, func() error { return cleanFloor(ctx, c) }, nil
}

// floorFirstSync creates the Secret of object i and patches its status, and returns the
// event that records it.
func floorFirstSync(ctx context.Context, c client.Client, cfg *Config, i int, es *esv1.ExternalSecret) (*eventsv1.Event, error) {
	if err := c.Create(ctx, floorSecret(i, cfg, es)); err != nil {
		return nil, fmt.Errorf("first-sync floor: creating Secret %s: %w", esName(i), err)
	}
	now := metav1.Now()
	before := es.DeepCopy()
	es.Status = esv1.ExternalSecretStatus{
		RefreshTime:           now,
		SyncedResourceVersion: fmt.Sprintf("%d-%016x", es.Generation, i),
		Binding:               corev1.LocalObjectReference{Name: esName(i)},
		Conditions: []esv1.ExternalSecretStatusCondition{{Type: esv1.ExternalSecretReady, Status: corev1.ConditionTrue,
			Reason: esv1.ReasonSecretSynced, Message: "secret synced", LastTransitionTime: now}},
	}
	if err := c.Status().Patch(ctx, es, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return nil, fmt.Errorf("first-sync floor: patching the status of %s: %w", es.Name, err)
	}
	return &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: floorNamespace, Name: fmt.Sprintf("%s.%x", esName(i), now.UnixNano())},
		EventTime:  metav1.NewMicroTime(now.Time), Type: corev1.EventTypeNormal, Reason: "Created", Action: "Sync",
		Note:                "created Secret",
		ReportingController: "ferrybench/floor", ReportingInstance: "ferrybench-floor",
		Regarding: corev1.ObjectReference{APIVersion: esv1.GroupVersion.String(), Kind: "ExternalSecret",
			Namespace: floorNamespace, Name: es.Name, UID: es.UID, ResourceVersion: es.ResourceVersion},
	}, nil
}

// cleanFloor deletes what the floors created, so that the operator never sees it.
func cleanFloor(ctx context.Context, c client.Client) error {
	for _, obj := range []client.Object{&esv1.ExternalSecret{}, &corev1.Secret{}, &eventsv1.Event{}} {
		if err := c.DeleteAllOf(ctx, obj, client.InNamespace(floorNamespace)); err != nil {
			return fmt.Errorf("floor: deleting its %T objects: %w", obj, err)
		}
	}
	return nil
}
