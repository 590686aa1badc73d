package pushsecret_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

const readOnlyPolicy = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
	"Principal": {"AWS": "arn:aws:iam::123456789012:role/reader"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}`

// policyOf returns the secret's resource policy as JSON, nil when it has none.
func policyOf(t *testing.T, sm *secretsmanager.Client, name string) map[string]any {
	t.Helper()
	out, err := sm.GetResourcePolicy(context.Background(), &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if out.ResourcePolicy == nil {
		return nil
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(*out.ResourcePolicy), &doc); err != nil {
		t.Fatalf("policy of %s: %v", name, err)
	}
	return doc
}

func jsonObject(t *testing.T, text string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func withResourcePolicy(d esv1alpha1.PushSecretData, kind, name, key string) esv1alpha1.PushSecretData {
	return withMetadata(d, `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
		"spec": {"resourcePolicy": {"blockPublicPolicy": true, "policySourceRef": {"kind": "`+kind+`", "name": "`+name+`", "key": "`+key+`"}}}}`)
}

// TestPushResourcePolicyToSecretsManager attaches the policy a ConfigMap of the
// PushSecret's namespace holds, attaches nothing again while it is the same, and removes
// it when the metadata drops it.
func TestPushResourcePolicyToSecretsManager(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	source := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("v1")}}
	create(t, source)
	// Reformatted, so that only a comparison as JSON finds it equal to what AWS returns.
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "policies"},
		Data: map[string]string{"reader.json": readOnlyPolicy}})
	remote := ns + "/with-policy"
	puts := moto.Calls("PutResourcePolicy")
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withResourcePolicy(entry("token", remote, ""), "ConfigMap", "policies", "reader.json"))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)
	if got, want := policyOf(t, sm, remote), jsonObject(t, readOnlyPolicy); !reflect.DeepEqual(got, want) {
		t.Fatalf("policy = %v, want the ConfigMap's %v", got, want)
	}
	if got := moto.Calls("PutResourcePolicy") - puts; got != 1 {
		t.Errorf("PutResourcePolicy calls = %d, want 1", got)
	}

	// A new value: the policy, unchanged, is not attached again.
	update(t, source, func(s *corev1.Secret) { s.Data["token"] = []byte("v2") })
	testenv.Eventually(t, 20*time.Second, "the new value pushed", func() (bool, error) {
		v, _ := remoteValue(t, sm, remote)
		return v == "v2", nil
	})
	waitPushReady(t, ps, metav1.ConditionTrue)
	if got := moto.Calls("PutResourcePolicy") - puts; got != 1 {
		t.Errorf("PutResourcePolicy calls after an unchanged policy = %d, want still 1", got)
	}

	// The metadata drops the policy: Ferry attached it, so it goes.
	update(t, ps, func(p *esv1alpha1.PushSecret) { p.Spec.Data[0].Metadata = nil })
	testenv.Eventually(t, 20*time.Second, "the policy removed", func() (bool, error) {
		return policyOf(t, sm, remote) == nil, nil
	})
}

// TestPushResourcePolicyLeavesForeignPolicy keeps a policy attached outside Ferry when the
// metadata names none.
func TestPushResourcePolicyLeavesForeignPolicy(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	source := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("v1")}}
	create(t, source)
	remote := ns + "/foreign-policy"
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyNone, entry("token", remote, ""))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)
	if _, err := sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String(remote),
		ResourcePolicy: aws.String(readOnlyPolicy)}); err != nil {
		t.Fatal(err)
	}
	deletes := moto.Calls("DeleteResourcePolicy")
	update(t, source, func(s *corev1.Secret) { s.Data["token"] = []byte("v2") })
	testenv.Eventually(t, 20*time.Second, "the new value pushed", func() (bool, error) {
		v, _ := remoteValue(t, sm, remote)
		return v == "v2", nil
	})
	if policyOf(t, sm, remote) == nil || moto.Calls("DeleteResourcePolicy") != deletes {
		t.Errorf("a policy attached outside Ferry was removed")
	}
}

// TestPushResourcePolicyMissingKey names the ConfigMap and key that hold no policy, and
// reads from the PushSecret's namespace only: the reference has no namespace.
func TestPushResourcePolicyMissingKey(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	other := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("v")}})
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "policies"},
		Data: map[string]string{"other.json": readOnlyPolicy}})
	// The same name in another namespace holds the key; it is never read.
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: other, Name: "policies"},
		Data: map[string]string{"reader.json": readOnlyPolicy}})
	remote := ns + "/missing-policy"
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withResourcePolicy(entry("token", remote, ""), "ConfigMap", "policies", "reader.json"))
	create(t, ps)
	msg := waitPushReady(t, ps, metav1.ConditionFalse)
	if !strings.Contains(msg, "ConfigMap "+ns+"/policies has no key \"reader.json\"") {
		t.Errorf("condition %q does not name the ConfigMap and key", msg)
	}
	if strings.Contains(msg, "secretsmanager:GetSecretValue") {
		t.Errorf("condition %q quotes the policy", msg)
	}
	if policyOf(t, sm, remote) != nil {
		t.Errorf("a policy was attached")
	}

	// A namespace in the reference is not a key ESO or Ferry reads.
	bad := pushSecret(ns, "cross", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("token", ns+"/cross", ""), `{"resourcePolicy": {"policySourceRef":
			{"kind": "ConfigMap", "name": "policies", "key": "reader.json", "namespace": "`+other+`"}}}`))
	create(t, bad)
	msg = waitPushReady(t, bad, metav1.ConditionFalse)
	if c := bad.Status.Conditions[0]; c.Reason != "InvalidSpec" || !strings.Contains(msg, `metadata.spec.resourcePolicy: unknown key "namespace"`) {
		t.Errorf("condition %s: %q; want InvalidSpec naming the namespace key", c.Reason, msg)
	}
}

// TestPushTierToParameterStore writes the tier the metadata names and refuses one AWS
// does not have, naming the values it has.
func TestPushTierToParameterStore(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	api := parameterStoreOf(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("v")}})
	advanced, intelligent := "/"+ns+"/advanced", "/"+ns+"/intelligent"
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("token", advanced, ""), `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
			"spec": {"tier": {"type": "Advanced"}}}`),
		withMetadata(entry("token", intelligent, ""), `{"tier": {"type": "Intelligent-Tiering"}}`))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)

	out, err := api.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Path"), Values: []string{"/" + ns}}}})
	if err != nil {
		t.Fatal(err)
	}
	tiers := map[string]ssmtypes.ParameterTier{}
	for _, p := range out.Parameters {
		tiers[aws.ToString(p.Name)] = p.Tier
	}
	if tiers[advanced] != ssmtypes.ParameterTierAdvanced || tiers[intelligent] != ssmtypes.ParameterTierIntelligentTiering {
		t.Errorf("tiers = %v, want %s Advanced and %s Intelligent-Tiering", tiers, advanced, intelligent)
	}

	// Policies: read back raw, as moto's DescribeParameters answers PolicyText as an object
	// where AWS documents a string, which the SDK cannot decode.
	expiring := "/" + ns + "-policies/expiring"
	withPolicies := pushSecret(ns, "policies", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("token", expiring, ""), `{"tier": {"type": "Advanced", "policies":
			[{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2030-12-02T21:34:33.000Z"}}]}}`))
	create(t, withPolicies)
	waitPushReady(t, withPolicies, metav1.ConditionTrue)
	if raw := describeParameterRaw(t, expiring); !strings.Contains(raw, `"Tier": "Advanced"`) || !strings.Contains(raw, `"2030-12-02T21:34:33.000Z"`) {
		t.Errorf("%s: DescribeParameters = %s; want tier Advanced with the expiration policy", expiring, raw)
	}

	bad := pushSecret(ns, "bad", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("token", "/"+ns+"/bad", ""), `{"tier": {"type": "Premium"}}`))
	create(t, bad)
	msg := waitPushReady(t, bad, metav1.ConditionFalse)
	if c := bad.Status.Conditions[0]; c.Reason != "InvalidSpec" || !strings.Contains(msg, "metadata.spec.tier.type") ||
		!strings.Contains(msg, "Standard, Advanced or Intelligent-Tiering") {
		t.Errorf("condition %s: %q; want InvalidSpec naming the field and the tiers", c.Reason, msg)
	}
}

// replicaRegionsOf lists the regions the secret is replicated to.
func replicaRegionsOf(t *testing.T, sm *secretsmanager.Client, name string) []string {
	t.Helper()
	desc, err := sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	var regions []string
	for _, r := range desc.ReplicationStatus {
		regions = append(regions, aws.ToString(r.Region))
	}
	return regions
}

// TestPushReplicationToSecretsManager creates the secret with the replicas the metadata
// names, follows a change of the list, calls nothing while it is the same, and removes the
// replicas before deleting the secret.
func TestPushReplicationToSecretsManager(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	source := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("v1")}}
	create(t, source)
	remote := ns + "/replicated"
	replicated := func(regions string) esv1alpha1.PushSecretData {
		return withMetadata(entry("token", remote, ""), `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
			"spec": {"secretPushFormat": "string", "replicationLocations": `+regions+`}}`)
	}
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyDelete, replicated(`["eu-central-1"]`))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)
	if got := replicaRegionsOf(t, sm, remote); !reflect.DeepEqual(got, []string{"eu-central-1"}) {
		t.Fatalf("replicas = %v, want [eu-central-1]", got)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("eu-central-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		t.Fatal(err)
	}
	replica := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(moto.Endpoint) })
	if v, _ := remoteValue(t, replica, remote); v != "v1" {
		t.Errorf("replica in eu-central-1 holds %q, want v1", v)
	}

	// A new value with the same list: no replication call.
	calls := moto.Calls("ReplicateSecretToRegions") + moto.Calls("RemoveRegionsFromReplication")
	update(t, source, func(s *corev1.Secret) { s.Data["token"] = []byte("v2") })
	testenv.Eventually(t, 20*time.Second, "the new value pushed", func() (bool, error) {
		v, _ := remoteValue(t, sm, remote)
		return v == "v2", nil
	})
	if got := moto.Calls("ReplicateSecretToRegions") + moto.Calls("RemoveRegionsFromReplication") - calls; got != 0 {
		t.Errorf("replication calls with an unchanged list = %d, want 0", got)
	}

	update(t, ps, func(p *esv1alpha1.PushSecret) { p.Spec.Data[0] = replicated(`["us-east-1"]`) })
	testenv.Eventually(t, 20*time.Second, "replicas moved to us-east-1", func() (bool, error) {
		return reflect.DeepEqual(replicaRegionsOf(t, sm, remote), []string{"us-east-1"}), nil
	})

	// deletionPolicy Delete: AWS deletes no secret with replicas, so they go first.
	removals := moto.Calls("RemoveRegionsFromReplication")
	if err := k8s.Delete(ctx, ps); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "the secret deleted", func() (bool, error) {
		_, ok := remoteValue(t, sm, remote)
		return !ok, nil
	})
	if moto.Calls("RemoveRegionsFromReplication") == removals {
		t.Errorf("the secret was deleted without removing its replica first")
	}
}

// describeParameterRaw returns moto's DescribeParameters answer for one parameter of
// eu-west-1, as JSON text.
func describeParameterRaw(t *testing.T, name string) string {
	t.Helper()
	body := `{"ParameterFilters": [{"Key": "Name", "Values": ["` + name + `"]}]}`
	req, err := http.NewRequest(http.MethodPost, moto.Endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.DescribeParameters")
	// moto takes the region from the credential scope; the signature is not checked.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/ssm/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("DescribeParameters: %d %s %v", resp.StatusCode, out, err)
	}
	return string(out)
}
