package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/aws/iamactions"
)

// derived is the list of actions Ferry's code needs, derived once for the package.
var derived = sync.OnceValues(func() (iamactions.Actions, error) { return iamactions.Derive(root()) })

func derivedActions(t *testing.T) iamactions.Actions {
	t.Helper()
	actions, err := derived()
	if err != nil {
		t.Fatalf("deriving the IAM actions from Ferry's code: %v", err)
	}
	return actions
}

func modulePolicy(t *testing.T) []statement {
	t.Helper()
	sts, err := statements(tfFiles(t, filepath.Join(root(), moduleDir)), policyDocument, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sts
}

// policyProblems compares the actions the statements grant with those Ferry's code needs:
// reading's with the statements not gated on var.enable_push_secret, PushSecret's with the
// others (less what reading already grants).
func policyProblems(sts []statement, want iamactions.Actions) []string {
	var read, push []string
	for _, st := range sts {
		if st.push {
			push = union(push, st.actions)
		} else {
			read = union(read, st.actions)
		}
	}
	var pushOnly []string
	for _, a := range push {
		if !slices.Contains(read, a) {
			pushOnly = append(pushOnly, a)
		}
	}
	var problems []string
	report := func(kind string, got []string, needed []iamactions.Action) {
		names := make([]string, 0, len(needed))
		why := map[string]string{}
		for _, a := range needed {
			names = append(names, a.Name)
			why[a.Name] = strings.Join(a.Why, ", ")
		}
		missing, extra := diffLists(got, names)
		for _, m := range missing {
			problems = append(problems, fmt.Sprintf("%s action %s is not granted; Ferry needs it: %s", kind, m, why[m]))
		}
		for _, e := range extra {
			problems = append(problems, fmt.Sprintf("%s statements grant %s, which no code of Ferry needs", kind, e))
		}
	}
	report("read", read, want.Read)
	report("push", pushOnly, want.Push)
	return problems
}

// TestPolicyGrantsExactlyTheActionsFerryCalls compares the module's policy with the actions
// derived from Ferry's AWS SDK calls. Removing one action from policy.tf, e.g.
// "secretsmanager:ListSecrets", fails it with
//
//	read action secretsmanager:ListSecrets is not granted; Ferry needs it:
//	internal/provider/aws/secretsmanager_batch.go:187, internal/provider/aws/secretsmanager_find.go:52
//
// and TestPolicyTestCatchesDrift makes that change (and others) to prove it.
func TestPolicyGrantsExactlyTheActionsFerryCalls(t *testing.T) {
	for _, p := range policyProblems(modulePolicy(t), derivedActions(t)) {
		t.Error(p)
	}
}

// TestPolicyTestCatchesDrift edits the policy, and the derived list, the ways a change of
// code or module would, and checks that the comparison reports each edit.
func TestPolicyTestCatchesDrift(t *testing.T) {
	actions := derivedActions(t)
	dir := filepath.Join(root(), moduleDir)
	cases := []struct {
		name       string
		old, new   string // an edit of policy.tf
		extraRead  string // an action a new SDK call would need
		wantReport string
	}{
		{name: "an action removed from the HCL", old: `, "secretsmanager:ListSecrets"]`, new: `]`,
			wantReport: "read action secretsmanager:ListSecrets is not granted"},
		{name: "an action no code calls", old: `"sts:GetServiceBearerToken"]`, new: `"sts:GetServiceBearerToken", "ecr:BatchGetImage"]`,
			wantReport: "read statements grant ecr:BatchGetImage, which no code of Ferry needs"},
		{name: "a push action granted without var.enable_push_secret", old: `for_each = var.enable_push_secret && length(local.parameter_arns) > 0 ? [1] : []
    content {
      sid       = "PushParameterStoreTag"`, new: `for_each = length(local.parameter_arns) > 0 ? [1] : []
    content {
      sid       = "PushParameterStoreTag"`,
			wantReport: "read statements grant ssm:AddTagsToResource"},
		{name: "a new SDK call without its permission", extraRead: "ssm:GetParameterHistory",
			wantReport: "read action ssm:GetParameterHistory is not granted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sources := map[string][]byte{}
			names, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
			for _, name := range names {
				src, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				sources[filepath.Base(name)] = src
			}
			if c.old != "" {
				policy := string(sources["policy.tf"])
				if strings.Count(policy, c.old) != 1 {
					t.Fatalf("policy.tf does not hold %q exactly once: update the test's edit", c.old)
				}
				sources["policy.tf"] = []byte(strings.Replace(policy, c.old, c.new, 1))
			}
			want := actions
			if c.extraRead != "" {
				want.Read = append(slices.Clone(want.Read), iamactions.Action{Name: c.extraRead, Why: []string{"new.go:1"}})
			}
			bodies, err := parseSources(sources)
			if err != nil {
				t.Fatal(err)
			}
			sts, err := statements(bodies, policyDocument, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			problems := policyProblems(sts, want)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.wantReport) }) {
				t.Errorf("problems = %q, want one containing %q", problems, c.wantReport)
			}
		})
	}
}

// TestPushStatementsRequireTheManagedByTag checks that PushSecret may create only what it
// tags with the tag Ferry writes (provider.ManagedByTag), and overwrite or delete only what
// carries it.
func TestPushStatementsRequireTheManagedByTag(t *testing.T) {
	var pushed int
	for _, st := range modulePolicy(t) {
		if !st.push {
			continue
		}
		pushed++
		if err := checkPushConditions(st); err != nil {
			t.Errorf("%s (%s): %v", st.sid, st.pos, err)
		}
	}
	if pushed == 0 {
		t.Fatal("no statement is gated on var." + pushVariable)
	}
}

func checkPushConditions(st statement) error {
	find := func(variable string) *condition {
		for i, c := range st.conditions {
			if c.variable == variable {
				return &st.conditions[i]
			}
		}
		return nil
	}
	tagged := func(variable string) bool {
		c := find(variable)
		return c != nil && c.test == "StringEquals" && slices.Equal(c.values, []string{provider.ManagedByValue})
	}
	allKMS := !slices.ContainsFunc(st.actions, func(a string) bool { return !strings.HasPrefix(a, "kms:") })
	allCertificateManager := !slices.ContainsFunc(st.actions, func(a string) bool { return !strings.HasPrefix(a, "acm:") })
	switch {
	case slices.Equal(st.actions, []string{"tag:GetResources"}):
		// Finding a pushed certificate by its tags: a read of tags, with no resource or
		// condition AWS would check.
	case allKMS:
		if find("kms:ViaService") == nil {
			return fmt.Errorf("KMS actions %v without a kms:ViaService condition", st.actions)
		}
	case tagged("aws:RequestTag/"+provider.ManagedByTag) && allCertificateManager:
		// ACM imports carry the remote key tag and the metadata's tags beside managed-by:
		// the keys are the user's, only the managed-by value is pinned.
	case tagged("aws:RequestTag/" + provider.ManagedByTag):
		keys := find("aws:TagKeys")
		if keys == nil || keys.test != "ForAllValues:StringEquals" || !slices.Equal(keys.values, []string{provider.ManagedByTag}) {
			return fmt.Errorf("a tagging statement must allow the tag key %q and no other (aws:TagKeys)", provider.ManagedByTag)
		}
	case tagged("secretsmanager:ResourceTag/"+provider.ManagedByTag) || tagged("aws:ResourceTag/"+provider.ManagedByTag):
	case slices.Equal(st.actions, []string{"ssm:PutParameter"}):
		if c := find("ssm:Overwrite"); c == nil || !slices.Equal(c.values, []string{"false"}) {
			return fmt.Errorf("ssm:PutParameter without the managed-by tag must be limited to ssm:Overwrite false")
		}
	default:
		return fmt.Errorf("actions %v are not conditioned on the tag %s=%s", st.actions, provider.ManagedByTag, provider.ManagedByValue)
	}
	return nil
}

// TestResourceStarOnlyWhereAWSDefinesNoResource keeps actions that take a resource ARN out
// of statements on "*", and the others in them.
func TestResourceStarOnlyWhereAWSDefinesNoResource(t *testing.T) {
	for _, st := range modulePolicy(t) {
		for _, a := range st.actions {
			if iamactions.AnyResource(a) != st.anyResouce {
				t.Errorf("%s (%s): %s with resources \"*\" = %v; want %v", st.sid, st.pos, a, st.anyResouce, iamactions.AnyResource(a))
			}
		}
	}
}

// TestTrustPolicyNamesTheServiceAccount checks the IRSA statement: the cluster's OIDC
// provider, for the one ServiceAccount, with the audience Ferry requests tokens for.
func TestTrustPolicyNamesTheServiceAccount(t *testing.T) {
	bodies := tfFiles(t, filepath.Join(root(), moduleDir))
	locals := map[string]cty.Value{"oidc_issuer": cty.StringVal("oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE")}
	vars := map[string]cty.Value{
		"namespace":       cty.StringVal("example"),
		"service_account": cty.StringVal("example"),
		"oidc_audience":   variableDefault(t, bodies, "oidc_audience"),
	}
	sts, err := statements(bodies, "trust", locals, vars)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub": "system:serviceaccount:example:example",
		// Ferry's default audience (auth.jwt), and that of EKS' webhook.
		"oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:aud": "sts.amazonaws.com",
	}
	var irsa *statement
	for i, st := range sts {
		if slices.Equal(st.actions, []string{"sts:AssumeRoleWithWebIdentity"}) {
			irsa = &sts[i]
		}
	}
	if irsa == nil {
		t.Fatal("no sts:AssumeRoleWithWebIdentity statement in the trust policy")
	}
	for variable, value := range want {
		found := false
		for _, c := range irsa.conditions {
			found = found || c.test == "StringEquals" && c.variable == variable && slices.Equal(c.values, []string{value})
		}
		if !found {
			t.Errorf("trust policy has no StringEquals %s = %s; conditions: %+v", variable, value, irsa.conditions)
		}
	}
}

// TestModuleManagedByTagIsFerrys checks the module's tag against the one Ferry writes.
func TestModuleManagedByTagIsFerrys(t *testing.T) {
	ctx := literalLocals(tfFiles(t, filepath.Join(root(), moduleDir)), nil, nil)
	locals := ctx.Variables["local"].AsValueMap()
	for name, want := range map[string]string{"managed_by_key": provider.ManagedByTag, "managed_by_value": provider.ManagedByValue} {
		if v, ok := locals[name]; !ok || v.AsString() != want {
			t.Errorf("local.%s = %v, want %q (internal/provider/writer.go)", name, v, want)
		}
	}
}
