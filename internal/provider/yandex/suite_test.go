package yandex

import (
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator/operatortest"
)

// k8s is the client of the package's control plane, where a Ferry operator serving only
// the two Yandex providers runs (operator_test.go); the other tests use a fake client.
var k8s client.Client

func TestMain(m *testing.M) {
	os.Exit(operatortest.RunProviders(m, &k8s, NewLockbox(), NewCertificateManager()))
}
