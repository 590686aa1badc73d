package terraform

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// awsDoc is the provider's documentation, whose IAM policies follow a marker line each.
const awsDoc = "docs/providers/aws.md"

// documentedPolicies returns the statements of the JSON block after each
// "<!-- iam-policy: KIND -->" line of the document, by KIND.
func documentedPolicies(doc string) (map[string][]statement, error) {
	out := map[string][]statement{}
	const marker = "<!-- iam-policy: "
	for rest := doc; ; {
		i := strings.Index(rest, marker)
		if i < 0 {
			break
		}
		rest = rest[i+len(marker):]
		kind, after, ok := strings.Cut(rest, " -->\n```json\n")
		if !ok {
			return nil, fmt.Errorf("marker %q is not followed by a ```json block", marker+kind)
		}
		block, _, ok := strings.Cut(after, "\n```")
		if !ok {
			return nil, fmt.Errorf("the %s policy block is not closed", kind)
		}
		var policy struct {
			Statement []struct {
				Sid    string
				Action json.RawMessage
			}
		}
		if err := json.Unmarshal([]byte(block), &policy); err != nil {
			return nil, fmt.Errorf("the %s policy is not JSON: %w", kind, err)
		}
		for _, st := range policy.Statement {
			var actions []string
			if err := json.Unmarshal(st.Action, &actions); err != nil {
				var one string
				if err := json.Unmarshal(st.Action, &one); err != nil {
					return nil, fmt.Errorf("%s: Action is neither a string nor a list", st.Sid)
				}
				actions = []string{one}
			}
			out[kind] = append(out[kind], statement{sid: st.Sid, actions: actions, push: kind == "push"})
		}
		rest = after
	}
	return out, nil
}

// TestDocumentedPolicyIsWhatFerryCalls compares the policies printed in the AWS provider's
// documentation with the actions derived from Ferry's code, as the module's policy is.
func TestDocumentedPolicyIsWhatFerryCalls(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root(), awsDoc))
	if err != nil {
		t.Fatal(err)
	}
	policies, err := documentedPolicies(string(raw))
	if err != nil {
		t.Fatalf("%s: %v", awsDoc, err)
	}
	if len(policies["read"]) == 0 || len(policies["push"]) == 0 {
		t.Fatalf("%s: want a read and a push policy, found %d and %d statements", awsDoc, len(policies["read"]), len(policies["push"]))
	}
	actions := derivedActions(t)
	for _, p := range policyProblems(append(policies["read"], policies["push"]...), actions) {
		t.Errorf("%s: %s", awsDoc, p)
	}
	// The operations that need no permission are named, so a reader does not add them.
	for _, a := range actions.Unneeded {
		if !strings.Contains(string(raw), "`"+a.Name+"`") {
			t.Errorf("%s does not say that %s needs no permission", awsDoc, a.Name)
		}
	}
}
