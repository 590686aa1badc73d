package gcpsm

import (
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator/operatortest"
)

// The package's control plane, where a Ferry operator serving only this provider runs
// against an in-process Secret Manager and Pub/Sub (operator_test.go). The other tests
// start fakes of their own.
var (
	k8s          client.Client
	operatorSM   *fakeSecretManager
	operatorPS   *fakePubSub
	subscription = "projects/p/subscriptions/ferry-operator"
)

func TestMain(m *testing.M) {
	sm, opts, stopSM, err := serveFake()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ps, err := servePubSub(subscription)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	operatorSM, operatorPS = sm, ps
	code := operatortest.RunProviders(m, &k8s, New(WithClientOptions(opts...), WithEndpoints(Endpoints{PubSub: ps.srv.URL})))
	stopSM()
	ps.srv.Close()
	os.Exit(code)
}
