package rollout_test

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/ferryhq/ferry/internal/testenv"
)

// TestUnhealthyRolloutStopsTheTrain needs the real Deployment controller: a Deployment whose
// pods can never run (no kubelet here) misses its progress deadline after Ferry restarts
// it, and every other restart waits until it goes healthy.
func TestUnhealthyRolloutStopsTheTrain(t *testing.T) {
	if !kcm {
		t.Skip("needs kube-controller-manager beside the control plane: run hack/tools.sh kube-controller-manager")
	}
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.StopOnUnhealthy = true
	f := startFerry(t, ns, opts)
	create(t, secret(ns, "a", nil, "k", "1"))
	create(t, secret(ns, "b", nil, "k", "1"))
	zero, deadline := int32(0), int32(1)
	healthy := deployment(ns, "healthy", auto(), pod(container(nil, envFromSecret("a"))))
	healthy.Spec.Replicas = &zero // nothing to run: its rollouts finish at once
	broken := deployment(ns, "broken", auto(), pod(container(nil, envFromSecret("b"))))
	broken.Spec.ProgressDeadlineSeconds = &deadline
	create(t, healthy)
	create(t, broken)
	healthyBefore := waitRecorded(t, healthy, "secret/a")
	brokenBefore := waitRecorded(t, broken, "secret/b")

	setSecret(t, ns, "b", "k", "2")
	waitRolled(t, broken, brokenBefore)
	waitEvents(t, ns, "broken", "RolloutTriggered: Restarting pods: changed Secret b",
		"RolloutUnhealthy: The restart did not go healthy; other restarts wait until it does")
	if n := f.metric(t, "ferry_rollout_train_halted"); n != 1 {
		t.Errorf("ferry_rollout_train_halted = %v, want 1", n)
	}

	setSecret(t, ns, "a", "k", "2")
	assertUnchanged(t, healthy, healthyBefore)
	if n := f.metric(t, "ferry_rollouts_skipped_total", "kind", "Deployment", "reason", "halted"); n != 1 {
		t.Errorf("ferry_rollouts_skipped_total{reason=halted} = %v, want 1", n)
	}

	// The broken one is fixed (here: scaled to zero): its rollout completes, the train goes on.
	update(t, broken, func(d *appsv1.Deployment) { d.Spec.Replicas = &zero })
	waitRolled(t, healthy, healthyBefore)
	testenv.Eventually(t, 10*time.Second, "train no longer halted", func() (bool, error) {
		return f.metric(t, "ferry_rollout_train_halted") == 0, nil
	})
}
