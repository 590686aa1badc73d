package generator

import (
	"context"
	"encoding/base64"
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

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
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
