package akeyless

import (
	"net/http"
	"testing"

	"github.com/ferryhq/ferry/internal/provider/akeyless/akeylessfake"
	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// startAkeyless starts the Akeyless stand-in for one test.
func startAkeyless(t *testing.T) *akeylessfake.Server {
	t.Helper()
	f, err := akeylessfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// startAzureIMDS serves f's Azure instance metadata service for one test and returns its
// token endpoint.
func startAzureIMDS(t *testing.T, f *akeylessfake.Server, objectIDs ...string) string {
	return serveFor(t, f.AzureIMDS(objectIDs...)) + "/metadata/identity/oauth2/token"
}

// startGCPMetadata serves f's GCP metadata server for one test and returns its URL.
func startGCPMetadata(t *testing.T, f *akeylessfake.Server, email string) string {
	return serveFor(t, f.GCPMetadata(email))
}

func serveFor(t *testing.T, h http.Handler) string {
	t.Helper()
	srv, err := fakehttp.Start(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv.URL
}
