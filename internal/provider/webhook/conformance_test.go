package webhook

import (
	"strconv"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/testenv"
)

func TestConformance(t *testing.T) {
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	server := newSecretServer(t, "token-"+ns, false)
	tokenSecret(t, ns, "token-"+ns)
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      controlPlane.Client,
		Namespace: ns,
		Store:     func(*testing.T) esv1.GenericStore { return storeFor(ns, server) },
		Seed: func(_ *testing.T, key string, s conformance.Secret) string {
			return strconv.Itoa(server.put(key, s.Data))
		},
		Delete:   func(_ *testing.T, key string) { server.remove(key) },
		Versions: true,
		Find:     conformance.FindNone,
	})
}
