package operator_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/rollout"
)

// TestNamespaceSelectorNeedsNamespaceReads: a Ferry limited to --namespaces runs with Roles
// only, so it cannot read the Namespace labels --namespace-selector matches; it is refused
// at start with what to do instead. (The older single --namespace keeps accepting it: the
// rollout suite's TestNamespaceSelector runs Ferry so. A second operator.New in this process
// would register controllers of names already taken.)
func TestNamespaceSelectorNeedsNamespaceReads(t *testing.T) {
	refused := operator.Options{
		HashKey: []byte(operatortest.HashKey), Providers: provider.NewRegistry(fake.New()),
		RolloutEnabled: true, Rollout: rollout.Options{NamespaceSelector: "team in (a)"},
		Namespaces: []string{"team-a", "team-b"},
	}
	_, err := operator.New(cp.Ctx, cp.Config, refused)
	if err == nil || !strings.Contains(err.Error(), "list the namespaces instead") {
		t.Errorf("--namespaces with --namespace-selector: err = %v, want a refusal that says what to do", err)
	}
}

// TestShardingRefusesWhatCannotWork: sharding is refused at start, with the flag to change,
// when cluster-scoped work would run on every replica, when a replica could keep working on
// a shard after another may take it, or when the replica's name cannot name a Lease.
func TestShardingRefusesWhatCannotWork(t *testing.T) {
	base := func() operator.Options {
		return operator.Options{HashKey: []byte(operatortest.HashKey), Providers: provider.NewRegistry(fake.New()),
			OperatorNamespace: "ferry-system", LeaderElection: true, LeaderElectionID: "ferry",
			Sharding: operator.ShardingOptions{Enabled: true, ReplicaName: "ferry-0"}}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*operator.Options)
		want   string
	}{
		{"no leader election", func(o *operator.Options) { o.LeaderElection = false }, "--leader-elect=true"},
		{"renew deadline not below lease duration", func(o *operator.Options) {
			o.LeaseDuration, o.RenewDeadline = 5*time.Second, 5*time.Second
		}, "renew deadline"},
		{"replica name not a name", func(o *operator.Options) { o.Sharding.ReplicaName = "Ferry_0" }, "--replica-name"},
		{"no shards", func(o *operator.Options) { o.Sharding.Count = -1 }, "--shard-count"},
	} {
		opts := base()
		tc.mutate(&opts)
		_, err := operator.New(cp.Ctx, cp.Config, opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one that names %s", tc.name, err, tc.want)
		}
	}
}
