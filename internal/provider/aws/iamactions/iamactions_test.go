package iamactions

import (
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// moduleRoot is Ferry's module root, two levels above internal/provider/aws.
func moduleRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
}

func TestSplitsReadPushAndImplied(t *testing.T) {
	found := calls{
		"secretsmanager:GetSecretValue": {read: []string{"a.go:1"}},
		"secretsmanager:DescribeSecret": {read: []string{"a.go:2"}, push: []string{"push_a.go:3"}},
		"secretsmanager:CreateSecret":   {push: []string{"push_a.go:4"}},
		"sts:GetCallerIdentity":         {read: []string{"b.go:5"}},
	}
	got := found.actions()
	if want := []string{"kms:Decrypt", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}; !reflect.DeepEqual(got.ReadNames(), want) {
		t.Errorf("read = %v, want %v", got.ReadNames(), want)
	}
	// kms:Decrypt, implied by CreateSecret too, is already granted for reading.
	if want := []string{"kms:GenerateDataKey", "secretsmanager:CreateSecret", "secretsmanager:ReplicateSecretToRegions",
		"secretsmanager:TagResource"}; !reflect.DeepEqual(got.PushNames(), want) {
		t.Errorf("push = %v, want %v", got.PushNames(), want)
	}
	if len(got.Unneeded) != 1 || got.Unneeded[0].Name != "sts:GetCallerIdentity" {
		t.Errorf("unneeded = %+v, want sts:GetCallerIdentity", got.Unneeded)
	}
	if want := []string{"a.go:2"}; !reflect.DeepEqual(got.Read[1].Why, want) {
		t.Errorf("DescribeSecret why = %v, want %v (its read call only)", got.Read[1].Why, want)
	}
}

func TestUnknownServiceFails(t *testing.T) {
	_, err := iamAction("github.com/aws/aws-sdk-go-v2/service/kms", "Decrypt")
	if err == nil || !strings.Contains(err.Error(), "servicePrefixes") {
		t.Fatalf("err = %v, want one that says where to add the service", err)
	}
}

// TestDeriveFromFerrysCode reads Ferry's own packages and checks calls a reader can find
// with grep, so that a change in how Derive recognises calls cannot go unnoticed.
func TestDeriveFromFerrysCode(t *testing.T) {
	got, err := Derive(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	where := func(actions []Action, name string) []string {
		for _, a := range actions {
			if a.Name == name {
				return a.Why
			}
		}
		return nil
	}
	for _, c := range []struct {
		actions []Action
		name    string
		file    string
	}{
		{got.Read, "secretsmanager:GetSecretValue", "internal/provider/aws/secretsmanager.go:"},
		{got.Read, "ssm:GetParametersByPath", "internal/provider/aws/parameterstore_find.go:"},
		{got.Read, "sts:AssumeRole", "internal/provider/aws/auth_chain.go:"},
		{got.Read, "ecr:GetAuthorizationToken", "internal/generator/ecr.go:"},
		{got.Push, "secretsmanager:CreateSecret", "internal/provider/aws/push_secretsmanager.go:"},
		{got.Push, "ssm:AddTagsToResource", "internal/provider/aws/push_parameterstore.go:"},
		{got.Push, "secretsmanager:PutResourcePolicy", "internal/provider/aws/push_secretsmanager_policy.go:"},
		{got.Push, "secretsmanager:UntagResource", "internal/provider/aws/push_secretsmanager_policy.go:"},
		{got.Read, "acm:ExportCertificate", "internal/provider/aws/certificatemanager.go:"},
		{got.Push, "acm:ImportCertificate", "internal/provider/aws/push_certificatemanager.go:"},
		{got.Push, "tag:GetResources", "internal/provider/aws/push_certificatemanager.go:"},
		{got.Unneeded, "sts:AssumeRoleWithWebIdentity", "internal/provider/aws/auth_jwt.go:"},
		{got.Unneeded, "sts:GetSessionToken", "internal/generator/sts.go:"},
		{got.Events, "sqs:ReceiveMessage", "internal/provider/aws/changefeed_sqs.go:"},
		{got.Events, "sqs:DeleteMessage", "internal/provider/aws/changefeed_sqs.go:"},
	} {
		why := where(c.actions, c.name)
		if len(why) == 0 || !strings.HasPrefix(why[0], c.file) {
			t.Errorf("%s: called at %v, want a call in %s", c.name, why, c.file)
		}
	}
	// Reads made on the way to a push (DescribeSecret before CreateSecret) are read actions.
	if why := where(got.Push, "secretsmanager:DescribeSecret"); why != nil {
		t.Errorf("DescribeSecret is listed as push-only: %v", why)
	}
}
