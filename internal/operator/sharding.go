package operator

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ferryhq/ferry/internal/changefeed"
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

// newGate builds the shard gate and adds it to the manager. The identity adds a random
// suffix to the replica name: a replica restarted under the same pod name must not pass for
// its predecessor, whose shards it may take only once their Leases are released or expired.
func newGate(mgr manager.Manager, direct client.Client, opts *Options) (*shard.Gate, error) {
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
	gate, err := shard.New(gateOpts)
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(gate); err != nil {
		return nil, err
	}
	return gate, nil
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
