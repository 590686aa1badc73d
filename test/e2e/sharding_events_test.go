package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/shard"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestShardedChangeReports: three sharded replicas, hourly ExternalSecrets in twelve
// namespaces that the shards spread over the replicas. A change report reaches the elected
// replica only (the others refuse it), yet every Secret follows at once: the elected replica
// relays the report to the others, which route it to the objects of their own shards.
func TestShardedChangeReports(t *testing.T) {
	const (
		namespaces = 12
		prefix     = "relay-"
		key        = "relay-db"
	)
	ctx := context.Background()
	moto := testenv.MustStartMoto(t)
	sm := secretsManager(t, moto.Endpoint)
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(key), SecretString: aws.String(`{"password":"one"}`)}); err != nil {
		t.Fatal(err)
	}
	ensureNamespace(t, "ferry-system")
	authSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ferry-system", Name: "ferry-events-relay"},
		Data: map[string][]byte{"hmac-key": []byte(eventsHMACKey)}}
	mustCreate(t, authSecret)
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, authSecret) })

	ports := map[string]string{}
	for _, name := range []string{"e1", "e2", "e3"} {
		ports[name] = freePort(t)
		startReplica(t, name, motoEnv(moto), "--leader-elect=true", "--leader-election-id="+shardTestGroup,
			"--leader-election-lease-duration="+shardLease.String(), "--leader-election-renew-deadline="+shardRenew.String(),
			"--leader-election-retry-period="+shardRetry.String(),
			"--sharding=on", fmt.Sprintf("--shard-count=%d", shardTestCount), "--replica-name="+name,
			"--events-bind-address=127.0.0.1:"+ports[name], "--events-secret=ferry-events-relay", "-v=1")
	}
	holders := waitSpread(t, 2*time.Minute, "e1", "e2", "e3")

	store := &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "aws-relay"}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1"}}}}
	mustCreate(t, store)
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, store) })
	owners := map[string]bool{}
	for i := range namespaces {
		ns := fmt.Sprintf("%s%02d", prefix, i)
		ensureNamespace(t, ns)
		owners[replicaOf(holders[shard.Of(shard.ByNamespace, shardTestCount, ns, "")])] = true
		mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"}, Spec: esv1.ExternalSecretSpec{
			SecretStoreRef: esv1.SecretStoreRef{Kind: esv1.ClusterSecretStoreKind, Name: store.Name}, RefreshInterval: esv1.NewDuration(time.Hour),
			Data: []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: key, Property: "password"}}},
		}})
	}
	if len(owners) < 2 {
		t.Fatalf("the %d namespaces fell in the shards of %v only; the test needs objects on more than one replica", namespaces, owners)
	}
	for i := range namespaces {
		waitSecretPassword(t, fmt.Sprintf("%s%02d", prefix, i), "app", "one")
	}

	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(key),
		SecretString: aws.String(`{"password":"two"}`)}); err != nil {
		t.Fatal(err)
	}
	report := []byte(fmt.Sprintf(`{"store":{"kind":"ClusterSecretStore","name":%q},"keys":[%q]}`, store.Name, key))
	// Every replica answers; only the elected one accepts (the others say 503).
	now := strconv.FormatInt(time.Now().Unix(), 10)
	accepted := ""
	testenv.Eventually(t, 30*time.Second, "a replica accepts the report", func() (bool, error) {
		for _, name := range []string{"e1", "e2", "e3"} {
			req := signedReport(ports[name], report, now, eventsHMACKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				continue
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusAccepted:
				accepted = name
				return true, nil
			case http.StatusServiceUnavailable:
			default:
				return false, fmt.Errorf("report to %s: status %d", name, resp.StatusCode)
			}
		}
		return false, nil
	})
	t.Logf("%s accepted the report", accepted)
	for i := range namespaces {
		waitSecretPassword(t, fmt.Sprintf("%s%02d", prefix, i), "app", "two")
	}
}
