package cli

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strconv"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/shard"
)

// shardOwners says which replica of a sharded Ferry works on an object, from the Leases the
// replicas keep: the member Leases give the shard count and key, the shard Leases their
// holders.
type shardOwners struct {
	keyBy   shard.KeyBy
	count   int
	holders map[int]string // shard → replica
}

// identitySuffix is the random part Ferry adds to a replica's name in its Leases.
var identitySuffix = regexp.MustCompile(`-[0-9a-f]{6}$`)

// shardOwners returns the owners of a sharded Ferry, or nil when no live replica runs
// sharded (or the Leases cannot be read: the status table then has no REPLICA column). With
// several sharded installations (leader election ids), the first by name is shown.
func (e *env) shardOwners(ctx context.Context) *shardOwners {
	var members coordinationv1.LeaseList
	if err := e.client.List(ctx, &members, client.MatchingLabels{shard.LabelRole: "member"}); err != nil {
		return nil
	}
	now := e.now()
	var live []coordinationv1.Lease
	for _, l := range members.Items {
		if l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
			continue
		}
		// Clocks of this machine and the replica's may differ; twice the duration is lenient.
		if now.Sub(l.Spec.RenewTime.Time) < 2*time.Duration(*l.Spec.LeaseDurationSeconds)*time.Second {
			live = append(live, l)
		}
	}
	if len(live) == 0 {
		return nil
	}
	slices.SortFunc(live, func(a, b coordinationv1.Lease) int {
		return cmp.Compare(a.Labels[shard.LabelGroup], b.Labels[shard.LabelGroup])
	})
	first := live[0]
	count, err := strconv.Atoi(first.Annotations[shard.AnnotationCount])
	if err != nil || count < 1 {
		return nil
	}
	keyBy, err := shard.ParseKeyBy(first.Annotations[shard.AnnotationKeyBy])
	if err != nil {
		return nil
	}
	var shards coordinationv1.LeaseList
	if err := e.client.List(ctx, &shards, client.InNamespace(first.Namespace),
		client.MatchingLabels{shard.LabelGroup: first.Labels[shard.LabelGroup], shard.LabelRole: "shard"}); err != nil {
		return nil
	}
	o := &shardOwners{keyBy: keyBy, count: count, holders: map[int]string{}}
	for _, l := range shards.Items {
		s, err := strconv.Atoi(l.Annotations[shard.AnnotationShard])
		if err != nil || l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
			continue
		}
		o.holders[s] = identitySuffix.ReplaceAllString(*l.Spec.HolderIdentity, "")
	}
	return o
}

// owner names the replica that works on namespace/name, or "-" while its shard has no
// holder (being handed over).
func (o *shardOwners) owner(namespace, name string) string {
	if h, ok := o.holders[shard.Of(o.keyBy, o.count, namespace, name)]; ok {
		return h
	}
	return "-"
}
