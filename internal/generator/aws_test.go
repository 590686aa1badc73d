package generator

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	ecrpublictypes "github.com/aws/aws-sdk-go-v2/service/ecrpublic/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	awsprovider "github.com/ferryhq/ferry/internal/provider/aws"
)

// The calls against a real backend run in the ExternalSecret controller's tests (moto);
// these check the mapping of answers to keys, and of inputs to requests.

type fakeECR struct {
	out *ecr.GetAuthorizationTokenOutput
}

func (f fakeECR) GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	return f.out, nil
}

func TestECRLogin(t *testing.T) {
	expires := time.Unix(1767225600, 0)
	token := base64.StdEncoding.EncodeToString([]byte("AWS:pass:with:colons"))
	got, err := ecrLogin(context.Background(), fakeECR{&ecr.GetAuthorizationTokenOutput{AuthorizationData: []ecrtypes.AuthorizationData{{
		AuthorizationToken: aws.String(token), ProxyEndpoint: aws.String("https://1.dkr.ecr.eu-west-1.amazonaws.com"), ExpiresAt: &expires,
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"username": "AWS", "password": "pass:with:colons",
		"proxy_endpoint": "https://1.dkr.ecr.eu-west-1.amazonaws.com", "expires_at": "1767225600"}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, err := ecrLogin(context.Background(), fakeECR{&ecr.GetAuthorizationTokenOutput{}}); err == nil {
		t.Error("an answer without authorization data was accepted")
	}
}

type fakeSTS struct{ in *sts.GetSessionTokenInput }

func (f *fakeSTS) GetSessionToken(_ context.Context, in *sts.GetSessionTokenInput, _ ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	f.in = in
	expires := time.Unix(1767225600, 0)
	return &sts.GetSessionTokenOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("AKID"),
		SecretAccessKey: aws.String("SECRET"), SessionToken: aws.String("TOKEN"), Expiration: &expires}}, nil
}

func TestSessionToken(t *testing.T) {
	api := &fakeSTS{}
	got, err := sessionToken(context.Background(), api, &genv1alpha1.STSSessionTokenRequestParameters{
		SessionDuration: ptr(int32(3600)), SerialNumber: ptr("arn:aws:iam::123456789012:mfa/user"), TokenCode: ptr("123456")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(api.in.DurationSeconds) != 3600 || aws.ToString(api.in.TokenCode) != "123456" ||
		aws.ToString(api.in.SerialNumber) != "arn:aws:iam::123456789012:mfa/user" {
		t.Errorf("request parameters not passed: %+v", api.in)
	}
	want := map[string]string{"access_key_id": "AKID", "secret_access_key": "SECRET", "session_token": "TOKEN", "expiration": "1767225600"}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

type fakeECRPublic struct {
	out *ecrpublic.GetAuthorizationTokenOutput
}

func (f fakeECRPublic) GetAuthorizationToken(context.Context, *ecrpublic.GetAuthorizationTokenInput, ...func(*ecrpublic.Options)) (*ecrpublic.GetAuthorizationTokenOutput, error) {
	return f.out, nil
}

func TestECRPublicLogin(t *testing.T) {
	expires := time.Unix(1767225600, 0)
	token := base64.StdEncoding.EncodeToString([]byte("AWS:public:pass"))
	got, err := ecrPublicLogin(context.Background(), fakeECRPublic{&ecrpublic.GetAuthorizationTokenOutput{
		AuthorizationData: &ecrpublictypes.AuthorizationData{AuthorizationToken: aws.String(token), ExpiresAt: &expires}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"username": "AWS", "password": "public:pass", "expires_at": "1767225600"}
	if len(got) != len(want) {
		t.Errorf("keys %v, want those of %v", got, want)
	}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, out := range []*ecrpublic.GetAuthorizationTokenOutput{{}, {AuthorizationData: &ecrpublictypes.AuthorizationData{
		AuthorizationToken: aws.String("not base64!")}}} {
		_, err := ecrPublicLogin(context.Background(), fakeECRPublic{out})
		if err == nil || strings.Contains(err.Error(), "not base64!") {
			t.Errorf("answer %+v: error %v, want one that does not quote the token", out.AuthorizationData, err)
		}
	}
}

// TestAWSAccessIsTheGenerators checks that the AWS provider validates a generator's auth
// as the generator's own: errors name spec.region, spec.role and spec.auth (no store's
// spec.provider.aws), and a Secret in another namespace than its user's is refused as a
// generator's reference, before any call.
func TestAWSAccessIsTheGenerators(t *testing.T) {
	sessions := awsprovider.NewSessions(awsprovider.WithEndpoint("http://127.0.0.1:1"))
	other := "other"
	for _, tt := range []struct {
		name string
		spec esv1.AWSProvider
		want []string
	}{
		{"no region", esv1.AWSProvider{}, []string{"spec.region: required"}},
		{"role not an ARN", esv1.AWSProvider{Region: "eu-west-1", Role: "deployer"},
			[]string{`spec.role: "deployer" is not an IAM role ARN`}},
		{"Secret in another namespace", esv1.AWSProvider{Region: "eu-west-1", Auth: esv1.AWSAuth{SecretRef: &esv1.AWSAuthSecretRef{
			AccessKeyID:     esv1.SecretKeySelector{Name: "aws", Key: "id", Namespace: &other},
			SecretAccessKey: esv1.SecretKeySelector{Name: "aws", Key: "secret"},
		}}}, []string{"spec.auth.secretRef.accessKeyIDSecretRef.namespace: a generator reads only in the namespace of the object that uses it (team), not in other"}},
		{"ServiceAccount in another namespace", esv1.AWSProvider{Region: "eu-west-1", Auth: esv1.AWSAuth{JWTAuth: &esv1.AWSJWTAuth{
			ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "irsa", Namespace: &other},
		}}}, []string{"spec.auth.jwt.serviceAccountRef.namespace: a generator reads only in the namespace"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awsConfig(context.Background(), sessions, genv1alpha1.ECRAuthorizationTokenKind, &tt.spec, nil, "team")
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("err = %v, want an invalid spec", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %q, want it to contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "provider.aws") {
				t.Errorf("err = %q names a store's field", err)
			}
		})
	}
}
