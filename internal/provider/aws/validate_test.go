package aws

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

func TestValidateStore(t *testing.T) {
	t.Parallel()
	own, other := "team-a", "team-b"
	valid := func() esv1.AWSProvider {
		return esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1"}
	}
	sel := func(name, key string, ns *string) esv1.SecretKeySelector {
		return esv1.SecretKeySelector{Name: name, Key: key, Namespace: ns}
	}
	tests := []struct {
		name    string
		kind    string
		mutate  func(*esv1.AWSProvider)
		retry   *esv1.SecretStoreRetrySettings
		wantErr []string // substrings; none means valid
	}{
		{name: "minimal", mutate: func(*esv1.AWSProvider) {}},
		{name: "parameter store", mutate: func(p *esv1.AWSProvider) { p.Service = esv1.AWSServiceParameterStore }},
		{name: "certificate manager", mutate: func(p *esv1.AWSProvider) { p.Service = esv1.AWSServiceCertificateManager }},
		{name: "no service", mutate: func(p *esv1.AWSProvider) { p.Service = "" },
			wantErr: []string{"spec.provider.aws.service: required"}},
		{name: "unknown service", mutate: func(p *esv1.AWSProvider) { p.Service = "S3" },
			wantErr: []string{`spec.provider.aws.service: "S3"`}},
		{name: "no region", mutate: func(p *esv1.AWSProvider) { p.Region = "" },
			wantErr: []string{"spec.provider.aws.region: required"}},
		{name: "jwt and secretRef", mutate: func(p *esv1.AWSProvider) {
			p.Auth.JWTAuth = &esv1.AWSJWTAuth{ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa"}}
			p.Auth.SecretRef = &esv1.AWSAuthSecretRef{AccessKeyID: sel("s", "id", nil), SecretAccessKey: sel("s", "key", nil)}
		}, wantErr: []string{"spec.provider.aws.auth: jwt and secretRef are mutually exclusive"}},
		{name: "jwt without serviceAccountRef", mutate: func(p *esv1.AWSProvider) { p.Auth.JWTAuth = &esv1.AWSJWTAuth{} },
			wantErr: []string{"spec.provider.aws.auth.jwt.serviceAccountRef: required"}},
		{name: "secretRef complete", mutate: func(p *esv1.AWSProvider) {
			tok := sel("s", "token", &own)
			p.Auth.SecretRef = &esv1.AWSAuthSecretRef{AccessKeyID: sel("s", "id", nil), SecretAccessKey: sel("s", "key", &own), SessionToken: &tok}
		}},
		{name: "secretRef missing keys", mutate: func(p *esv1.AWSProvider) {
			p.Auth.SecretRef = &esv1.AWSAuthSecretRef{AccessKeyID: sel("s", "", nil), SecretAccessKey: sel("", "key", nil)}
		}, wantErr: []string{
			"spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.key: required",
			"spec.provider.aws.auth.secretRef.secretAccessKeySecretRef.name: required",
		}},
		{name: "session token without key", mutate: func(p *esv1.AWSProvider) {
			tok := sel("s", "", nil)
			p.Auth.SecretRef = &esv1.AWSAuthSecretRef{AccessKeyID: sel("s", "id", nil), SecretAccessKey: sel("s", "key", nil), SessionToken: &tok}
		}, wantErr: []string{"spec.provider.aws.auth.secretRef.sessionTokenSecretRef.key: required"}},
		{name: "SecretStore pointing into another namespace", mutate: func(p *esv1.AWSProvider) {
			p.Auth.SecretRef = &esv1.AWSAuthSecretRef{AccessKeyID: sel("s", "id", &other), SecretAccessKey: sel("s", "key", nil)}
		}, wantErr: []string{`spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.namespace: a SecretStore may only reference its own namespace "team-a", not "team-b"`}},
		{name: "SecretStore ServiceAccount in another namespace", mutate: func(p *esv1.AWSProvider) {
			p.Auth.JWTAuth = &esv1.AWSJWTAuth{ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa", Namespace: &other}}
		}, wantErr: []string{"spec.provider.aws.auth.jwt.serviceAccountRef.namespace"}},
		{name: "ClusterSecretStore may point anywhere", kind: esv1.ClusterSecretStoreKind, mutate: func(p *esv1.AWSProvider) {
			p.Auth.SecretRef = &esv1.AWSAuthSecretRef{AccessKeyID: sel("s", "id", &other), SecretAccessKey: sel("s", "key", nil)}
		}},
		{name: "role ARNs", mutate: func(p *esv1.AWSProvider) {
			p.Role = "arn:aws:iam::123456789012:role/path/to/role"
			p.AdditionalRoles = []string{"arn:aws-cn:iam::123456789012:role/a", "arn:aws-us-gov:iam::123456789012:role/b+c=d,e.f@g-h"}
		}},
		{name: "role names are not ARNs", mutate: func(p *esv1.AWSProvider) {
			p.Role = "team-b"
			p.AdditionalRoles = []string{"arn:aws:iam::123456789012:role/ok", "arn:aws:iam::12345:role/short-account"}
		}, wantErr: []string{`spec.provider.aws.role: "team-b" is not an IAM role ARN`, "spec.provider.aws.additionalRoles[1]"}},
		{name: "session tag without key", mutate: func(p *esv1.AWSProvider) {
			p.Role = "arn:aws:iam::123456789012:role/r"
			p.SessionTags = []*esv1.AWSTag{{Key: "a", Value: "b"}, {Value: "x"}}
		}, wantErr: []string{"spec.provider.aws.sessionTags[1].key: required"}},
		{name: "reserved custom session tag", mutate: func(p *esv1.AWSProvider) {
			p.SessionTagsPolicy = "Custom"
			p.CustomSessionTags = map[string]string{"esoNamespace": "x"}
		}, wantErr: []string{`spec.provider.aws.customSessionTags: "esoNamespace"`}},
		{name: "unknown session tags policy", mutate: func(p *esv1.AWSProvider) { p.SessionTagsPolicy = "All" },
			wantErr: []string{"spec.provider.aws.sessionTagsPolicy"}},
		{name: "retry settings", mutate: func(*esv1.AWSProvider) {}, retry: &esv1.SecretStoreRetrySettings{
			MaxRetries: ptr(int32(3)), RetryInterval: ptr("2s"),
		}},
		{name: "bad retry interval", mutate: func(*esv1.AWSProvider) {}, retry: &esv1.SecretStoreRetrySettings{RetryInterval: ptr("often")},
			wantErr: []string{"spec.retrySettings.retryInterval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := valid()
			tt.mutate(&spec)
			var store esv1.GenericStore
			storeSpec := esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AWS: &spec}, RetrySettings: tt.retry}
			if tt.kind == esv1.ClusterSecretStoreKind {
				store = &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "s"}, Spec: storeSpec}
			} else {
				store = &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: own, Name: "s"}, Spec: storeSpec}
			}
			err := (&Provider{}).ValidateStore(store)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("ValidateStore: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateStore accepted the store, want %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}

	t.Run("no aws provider", func(t *testing.T) {
		store := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{}}}
		if err := (&Provider{}).ValidateStore(store); err == nil || !strings.Contains(err.Error(), "spec.provider.aws: required") {
			t.Fatalf("error = %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestRemoteKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ prefix, key, want string }{
		{"", "db", "db"},
		{"team/", "db", "team/db"},
		{"team/", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"},
	} {
		if got := remoteKey(tt.prefix, tt.key); got != tt.want {
			t.Errorf("remoteKey(%q, %q) = %q, want %q", tt.prefix, tt.key, got, tt.want)
		}
	}
}
