package operator_test

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestStandbySweepsItsFetcher: a replica that does not hold the Lease still fetches (with
// sharding it serves its shards), so it must also drop what its fetcher cached past the
// TTLs. Another holder keeps the Lease for an hour; the replica's sweep still runs, which
// ferry_fetch_cached_entries shows (only a sweep sets it).
func TestStandbySweepsItsFetcher(t *testing.T) {
	defer operator.SetSweepEvery(50 * time.Millisecond)()
	ns := testenv.Namespace(t, cp.Client, nil)
	const leaseName = "ferry-standby-sweep"
	now := metav1.NewMicroTime(time.Now())
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: leaseName},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("another-replica"), LeaseDurationSeconds: ptr.To[int32](3600),
			AcquireTime: &now, RenewTime: &now}}
	if err := cp.Client.Create(cp.Ctx, lease); err != nil {
		t.Fatal(err)
	}
	_, mgr := startOperator(t, operator.Options{LeaderElection: true, LeaderElectionID: leaseName, OperatorNamespace: ns})
	testenv.Eventually(t, 30*time.Second, "a sweep on the standby", func() (bool, error) {
		families, err := ctrlmetrics.Registry.Gather()
		if err != nil {
			return false, err
		}
		for _, f := range families {
			if f.GetName() == "ferry_fetch_cached_entries" && len(f.GetMetric()) == 2 {
				return true, nil
			}
		}
		return false, nil
	})
	select {
	case <-mgr.Elected():
		t.Fatal("the replica took a Lease another holder renewed for an hour: the test shows nothing")
	default:
	}
}
