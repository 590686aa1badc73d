package operator

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/changefeed"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/shard"
)

// validateSharding fills the sharding defaults and reports combinations that cannot work,
// in the words of the flags.
func (o *Options) validateSharding() error {
	s := &o.Sharding
	if !s.Enabled {
		return nil
	}
	if s.Count == 0 {
		s.Count = DefaultShardCount
	}
	if s.KeyBy == "" {
		s.KeyBy = shard.ByNamespace
	}
	var errs []error
	if !o.LeaderElection {
		errs = append(errs, errors.New("--sharding=on needs --leader-elect=true: cluster-scoped work (ClusterSecretStores, "+
			"ClusterExternalSecrets, webhook certificates) must stay with one elected replica"))
	}
	if msgs := validation.IsDNS1123Label(s.ReplicaName); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("--replica-name %q: %s (it defaults to $POD_NAME, then the host name)", s.ReplicaName, strings.Join(msgs, "; ")))
	}
	if o.LeaseDuration <= 0 {
		o.LeaseDuration = defaultLeaseDuration
	}
	if o.RenewDeadline <= 0 {
		o.RenewDeadline = defaultRenewDeadline
	}
	if o.RetryPeriod <= 0 {
		o.RetryPeriod = defaultRetryPeriod
	}
	gate := o.gateOptions(nil, "x")
	errs = append(errs, gate.Validate())
	return errors.Join(errs...)
}

func (o *Options) gateOptions(c client.Client, identity string) shard.Options {
	return shard.Options{Client: c, Namespace: o.OperatorNamespace, Group: o.LeaderElectionID, Identity: identity,
		Count: o.Sharding.Count, KeyBy: o.Sharding.KeyBy,
		LeaseDuration: o.LeaseDuration, RenewDeadline: o.RenewDeadline, RetryPeriod: o.RetryPeriod}
}

// newGate builds the shard gate; the caller adds it to the manager. The identity adds a
// random suffix to the replica name: a replica restarted under the same pod name must not
// pass for its predecessor, whose shards it may take only once their Leases are released or
// expired.
func newGate(direct client.Client, opts *Options) (*shard.Gate, error) {
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		return nil, err
	}
	gateOpts := opts.gateOptions(direct, opts.Sharding.ReplicaName+"-"+hex.EncodeToString(suffix))
	m, err := shard.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return nil, fmt.Errorf("registering sharding metrics: %w", err)
	}
	gateOpts.Metrics = m
	gateOpts.Cached = opts.cachedByShard
	return shard.New(gateOpts)
}

// gateRunnable has the manager start the gate with its caches instead of after them (a
// runnable with a cache joins the caches' group; its readiness is that cache's sync, here
// the manager's own). The replica then takes its shards while the sharded caches make their
// first list, which lists the shards taken by then instead of nothing: otherwise every
// replica would stream every object once for nothing before its first look at the Leases.
// It also stops with the caches, after the controllers, so their work has ended when it
// releases the shards.
type gateRunnable struct {
	*shard.Gate
	cache cache.Cache
}

// GetCache returns the cache whose sync marks the gate as started.
func (g gateRunnable) GetCache() cache.Cache { return g.cache }

// cachedByShard says which kinds each replica caches for its own shards only: the
// namespaced kinds that only the replica owning their namespace reads, and that grow with
// the objects served. SecretStores, GeneratorStates and generators stay whole: the leader
// writes the stores' conditions and collects the states of every namespace, and they are
// few. Namespaces and cluster-scoped kinds are never split.
func (o *Options) cachedByShard(gk schema.GroupKind) bool {
	switch gk {
	case esv1.SchemeGroupVersion.WithKind(esv1.ExtSecretKind).GroupKind(),
		esv1alpha1.SchemeGroupVersion.WithKind(esv1alpha1.PushSecretKind).GroupKind(),
		corev1.SchemeGroupVersion.WithKind("Secret").GroupKind(),
		corev1.SchemeGroupVersion.WithKind("ConfigMap").GroupKind(),
		rollout.PodStatusGVK.GroupKind():
		return true
	}
	// The workloads the rollout restarts, and the kinds ExternalSecrets may write.
	return slices.Contains(rollout.WorkloadGroupKinds(), gk) || slices.Contains(o.GenericTargets.Kinds, gk)
}

// addRelay shares the change reports the elected replica receives with the replicas that
// own the objects they concern (changefeed.Relay), through a ConfigMap named after the
// leader election ID.
func addRelay(mgr manager.Manager, cfg *rest.Config, scheme *runtime.Scheme, svc *services, opts *Options) error {
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("creating the change relay's client: %w", err)
	}
	relay := &changefeed.Relay{Client: c, Namespace: opts.OperatorNamespace, Name: opts.LeaderElectionID + "-changes",
		Identity: svc.shards.Identity(), Hub: svc.changes}
	svc.changes.SetRelay(relay.Publish)
	return mgr.Add(relay)
}
