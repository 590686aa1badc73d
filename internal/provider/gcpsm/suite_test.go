package gcpsm

import (
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

// The package's control plane, where a Ferry operator serving only this provider runs
// against an in-process Secret Manager, Pub/Sub and Google token endpoints (STS and IAM
// Credentials, which verify ServiceAccount tokens with the control plane's issuer keys).
// The other tests start fakes of their own.
var (
	k8s          client.Client
	operatorSM   *fakeSecretManager
	operatorPS   *fakePubSub
	googleAPI    *tokenapi.Google
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
	operatortest.SetLogger(nil, 0)
	code := testenv.Run(m, func(cp *testenv.ControlPlane) {
		k8s = cp.Client
		issuer, err := tokenapi.NewKubeIssuer(cp.Config)
		if err != nil {
			panic(fmt.Sprintf("reading the API server's OIDC issuer: %v", err))
		}
		googleAPI = tokenapi.NewGoogle(issuer, "p", "europe-west1", "test")
		gcp := New(WithClientOptions(opts...), WithEndpoints(Endpoints{PubSub: ps.srv.URL,
			STS: googleAPI.URL + "/v1/token", IAMCredentials: googleAPI.URL, HTTPClient: tokenapi.TLSClient()}))
		operatortest.MustStart(cp, operator.Options{Providers: provider.NewRegistry(gcp)})
	})
	stopSM()
	ps.srv.Close()
	if googleAPI != nil {
		googleAPI.Close()
	}
	os.Exit(code)
}
