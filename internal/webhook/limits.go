package webhook

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
)

// Limits bound what one request to a webhook may cost the server.
type Limits struct {
	// MaxBody is the largest request body read, in bytes; a larger one is refused with 413.
	MaxBody int64
	// Timeout bounds reading the request and answering it; a client that sends its body
	// slower than that has its connection cut.
	Timeout time.Duration
}

// The limits of Ferry's webhooks. The API server sends an admission request with the object
// and, on update, the old one, each at most 3 MiB (its request limit): 7 MiB holds both. A
// conversion request carries a whole list when a client lists an older version, so it may be
// larger. The API server gives up on a webhook after at most 30 seconds.
var (
	AdmissionLimits  = Limits{MaxBody: 7 << 20, Timeout: 30 * time.Second}
	ConversionLimits = Limits{MaxBody: 64 << 20, Timeout: 30 * time.Second}
)

// writeGrace is the time left, after a request's deadline, to write the error that says so.
const writeGrace = 5 * time.Second

// ConversionPath is where controller-runtime serves the conversion webhook.
const ConversionPath = "/convert"

// HardenTLS sets what Ferry's webhook server accepts of TLS: version 1.2 at least, and
// HTTP/1.1 only (the API server speaks it; HTTP/2 would add stream-level attacks, such as
// rapid reset, that the limits below do not bound).
func HardenTLS(c *tls.Config) {
	c.MinVersion = tls.VersionTLS12
	c.NextProtos = []string{"http/1.1"}
}

// Limit wraps a webhook handler so that a request is a POST, its body at most l.MaxBody bytes,
// and reading and answering it takes at most l.Timeout. The wrapped handler sees a body that
// fails to read past the limit, and answers that failure as the bad request it is.
func Limit(h http.Handler, l Limits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline := time.Now().Add(l.Timeout)
		rc := http.NewResponseController(w)
		// Deadlines on the connection cut a client that trickles its body; errors mean the
		// connection cannot take one (not the case for Ferry's TLS listener).
		_ = rc.SetReadDeadline(deadline)
		_ = rc.SetWriteDeadline(deadline.Add(writeGrace))
		if r.Method != http.MethodPost {
			http.Error(w, "webhooks are called with POST", http.StatusMethodNotAllowed)
			return
		}
		if r.ContentLength > l.MaxBody {
			http.Error(w, fmt.Sprintf("request body of %d bytes is over the limit of %d", r.ContentLength, l.MaxBody),
				http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, l.MaxBody)
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// LimitedServer is a webhook server whose every registered handler is wrapped by Limit:
// ConversionLimits for the conversion webhook, AdmissionLimits for the others.
type LimitedServer struct {
	ctrlwebhook.Server
}

// Register registers hook at path, limited.
func (s LimitedServer) Register(path string, hook http.Handler) {
	limits := AdmissionLimits
	if path == ConversionPath {
		limits = ConversionLimits
		hook = KeepExplicitZeros(hook)
	}
	s.Server.Register(path, Limit(hook, limits))
}
