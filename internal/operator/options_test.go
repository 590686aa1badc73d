package operator_test

import (
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/rollout"
)

// TestNamespaceSelectorNeedsNamespaceReads: a Ferry limited to --namespaces runs with Roles
// only, so it cannot read the Namespace labels --namespace-selector matches; it is refused
// at start with what to do instead. (The older single --namespace keeps accepting it: the
// rollout suite's TestNamespaceSelector runs Ferry so. A second operator.New in this process
// would register controllers of names already taken.)
func TestNamespaceSelectorNeedsNamespaceReads(t *testing.T) {
	refused := operator.Options{
		HashKey: []byte(operatortest.HashKey), Providers: provider.NewRegistry(fake.New()),
		RolloutEnabled: true, Rollout: rollout.Options{NamespaceSelector: "team in (a)"},
		Namespaces: []string{"team-a", "team-b"},
	}
	_, err := operator.New(cp.Ctx, cp.Config, refused)
	if err == nil || !strings.Contains(err.Error(), "list the namespaces instead") {
		t.Errorf("--namespaces with --namespace-selector: err = %v, want a refusal that says what to do", err)
	}
}
