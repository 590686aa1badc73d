package pushsecret_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

func withMetadata(d esv1alpha1.PushSecretData, raw string) esv1alpha1.PushSecretData {
	d.Metadata = &apiextensionsv1.JSON{Raw: []byte(raw)}
	return d
}

// TestPushMetadataToSecretsManager creates a secret with the metadata ESO documents for
// Secrets Manager (ESO's envelope): binary format, description, KMS key and tags.
func TestPushMetadataToSecretsManager(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("text-token")}})
	binary, text := ns+"/binary", ns+"/text"
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("token", binary, ""), `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
			"spec": {"secretPushFormat": "binary", "description": "pushed by ferry", "kmsKeyID": "alias/ferry-test", "tags": {"team": "payments"}}}`),
		// The bare form older ESO releases read.
		withMetadata(entry("token", text, ""), `{"secretPushFormat": "string"}`))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)

	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(binary)})
	if err != nil {
		t.Fatal(err)
	}
	if out.SecretString != nil || string(out.SecretBinary) != "text-token" {
		t.Errorf("secretPushFormat binary: SecretString %v, SecretBinary %q", out.SecretString != nil, out.SecretBinary)
	}
	desc, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(binary)})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tag := range desc.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if aws.ToString(desc.Description) != "pushed by ferry" || aws.ToString(desc.KmsKeyId) != "alias/ferry-test" ||
		tags["team"] != "payments" || tags["managed-by"] != "external-secrets" {
		t.Errorf("created secret: description %q, KMS key %q, tags %v", aws.ToString(desc.Description), aws.ToString(desc.KmsKeyId), tags)
	}
	if v, _ := remoteValue(t, sm, text); v != "text-token" {
		t.Errorf("secretPushFormat string: SecretString %q", v)
	}
}

// TestUnknownPushMetadataIsInvalidSpec refuses metadata a provider does not read, naming
// the key and what the provider reads, and pushes nothing.
func TestUnknownPushMetadataIsInvalidSpec(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("v")}})
	remote := ns + "/not-pushed"
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("token", remote, ""), `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
			"spec": {"secretPushFormat": "string", "colour": "blue"}}`))
	create(t, ps)
	msg := waitPushReady(t, ps, metav1.ConditionFalse)
	if c := ps.Status.Conditions[0]; c.Reason != "InvalidSpec" || !strings.Contains(msg, "metadata.spec.colour") || !strings.Contains(msg, "secretPushFormat") {
		t.Errorf("condition %s: %q; want InvalidSpec naming metadata.spec.colour and the keys read", c.Reason, msg)
	}
	if _, ok := remoteValue(t, sm, remote); ok {
		t.Errorf("the entry was pushed despite its metadata")
	}

	// A provider that reads no metadata says so rather than ignoring it.
	endpoint := newPushEndpoint(t, "tok")
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "endpoint-token",
		Labels: map[string]string{"external-secrets.io/type": "webhook"}}, Data: map[string][]byte{"token": []byte("tok")}})
	webhookStore(t, ns, "hook", endpoint.URL+"/v1/secrets/{{ .remoteRef.remoteKey }}", "", "")
	hook := pushSecret(ns, "hook", "hook", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("token", "k", ""), `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata", "spec": {"labels": {"a": "b"}}}`))
	create(t, hook)
	msg = waitPushReady(t, hook, metav1.ConditionFalse)
	if !strings.Contains(msg, "metadata.spec.labels") || !strings.Contains(msg, "reads: none") {
		t.Errorf("webhook store: condition %q does not name the key and say it reads none", msg)
	}
	if len(endpoint.log()) != 0 {
		t.Errorf("the endpoint was called")
	}
}

// parameterStoreOf makes the namespace's aws store a Parameter Store one and returns a
// client of moto's Parameter Store, to read back what was pushed.
func parameterStoreOf(t *testing.T, ns string) *ssm.Client {
	t.Helper()
	store := awsStore(t, ns)
	update(t, store, func(s *esv1.SecretStore) {
		s.Spec.Provider.AWS.Service = esv1.AWSServiceParameterStore
		s.Spec.Provider.AWS.SecretsManager = nil
	})
	waitStoreReady(t, store)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("eu-west-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		t.Fatal(err)
	}
	return ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(moto.Endpoint) })
}

// TestPushMetadataToParameterStore creates a parameter of the type, key and tags the
// metadata names.
func TestPushMetadataToParameterStore(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	api := parameterStoreOf(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"hosts": []byte("a,b,c")}})
	plain, secure := "/"+ns+"/hosts", "/"+ns+"/secure"
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("hosts", plain, ""), `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
			"spec": {"parameterStoreType": "StringList", "tags": {"team": "payments"}}}`),
		withMetadata(entry("hosts", secure, ""), `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
			"spec": {"parameterStoreType": "SecureString", "parameterStoreKeyID": "alias/ferry-test"}}`))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)

	out, err := api.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Path"), Values: []string{"/" + ns}}}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ssmtypes.ParameterMetadata{}
	for _, p := range out.Parameters {
		got[aws.ToString(p.Name)] = p
	}
	if p := got[plain]; p.Type != ssmtypes.ParameterTypeStringList {
		t.Errorf("%s: type %q, want StringList", plain, p.Type)
	}
	if p := got[secure]; p.Type != ssmtypes.ParameterTypeSecureString || !strings.HasSuffix(aws.ToString(p.KeyId), "alias/ferry-test") {
		t.Errorf("%s: type %q, key %q", secure, p.Type, aws.ToString(p.KeyId))
	}
	tags, err := api.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String(plain)})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]string{}
	for _, tag := range tags.TagList {
		byKey[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if byKey["team"] != "payments" || byKey["managed-by"] != "external-secrets" {
		t.Errorf("%s tags = %v", plain, byKey)
	}
}

// TestPushESOv2MetadataToParameterStore: ESO v2's names of the same settings (secretType,
// kmsKeyID) are read as the older ones, description is written, and a whole Secret is
// written as ESO writes it: its values base64 in the JSON object, or as text with
// encodeAsDecoded.
func TestPushESOv2MetadataToParameterStore(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	api := parameterStoreOf(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"user": []byte("admin"), "pass": []byte("s3cr3t")}})
	typed, encoded, decoded := "/"+ns+"/typed", "/"+ns+"/encoded", "/"+ns+"/decoded"
	const envelope = `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata", "spec": %s}`
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("user", typed, ""), fmt.Sprintf(envelope, `{"secretType": "SecureString", "kmsKeyID": "alias/ferry-v2", "description": "the app's user"}`)),
		withMetadata(entry("", encoded, ""), fmt.Sprintf(envelope, `{"secretType": "String"}`)),
		withMetadata(entry("", decoded, ""), fmt.Sprintf(envelope, `{"secretType": "String", "encodeAsDecoded": true}`)))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)

	out, err := api.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Values: []string{typed}}}})
	if err != nil || len(out.Parameters) != 1 {
		t.Fatalf("DescribeParameters %s: %v, %v", typed, out, err)
	}
	if p := out.Parameters[0]; p.Type != ssmtypes.ParameterTypeSecureString || !strings.HasSuffix(aws.ToString(p.KeyId), "alias/ferry-v2") ||
		aws.ToString(p.Description) != "the app's user" {
		t.Errorf("%s: type %q, key %q, description %q; want SecureString, alias/ferry-v2, the metadata's description",
			typed, p.Type, aws.ToString(p.KeyId), aws.ToString(p.Description))
	}
	for name, want := range map[string]string{
		encoded: `{"pass":"czNjcjN0","user":"YWRtaW4="}`,
		decoded: `{"pass":"s3cr3t","user":"admin"}`,
	} {
		got, err := api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if v := aws.ToString(got.Parameter.Value); v != want {
			t.Errorf("%s = %s, want %s", name, v, want)
		}
	}

	both := pushSecret(ns, "both", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("user", "/"+ns+"/both", ""), fmt.Sprintf(envelope, `{"secretType": "String", "parameterStoreType": "SecureString"}`)))
	create(t, both)
	if msg := waitPushReady(t, both, metav1.ConditionFalse); !strings.Contains(msg, "secretType and parameterStoreType") {
		t.Errorf("two names for the type that disagree: %q", msg)
	}
}
