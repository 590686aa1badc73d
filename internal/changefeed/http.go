package changefeed

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
)

// The HTTP endpoint's request format.
const (
	// HeaderTimestamp carries the request's time, Unix seconds; required.
	HeaderTimestamp = "X-Ferry-Timestamp"
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256, under the shared key, of
	// the timestamp, a dot and the body.
	HeaderSignature = "X-Ferry-Signature"
	// SourceHTTP is the source label of reports received over HTTP.
	SourceHTTP = "http"
)

// Endpoint defaults.
const (
	DefaultReplayWindow = 5 * time.Minute
	DefaultMaxBody      = 64 << 10
	DefaultRate         = 50
	DefaultBurst        = 100
	maxKeysPerReport    = 100
	maxKeyLength        = 2048
)

// Reasons a report is refused (the reason label of ferry_change_events_refused_total).
const (
	RefusedMethod          = "method"
	RefusedTooLarge        = "too_large"
	RefusedRateLimited     = "rate_limited"
	RefusedUnauthenticated = "unauthenticated"
	RefusedStale           = "stale_timestamp"
	RefusedReplayed        = "replayed"
	RefusedMalformed       = "malformed"
	RefusedNotLeader       = "not_leader"
	RefusedNoCredentials   = "no_credentials"
)

// Credentials authenticate reports: an HMAC key, a bearer token, or both. Either one
// accepts a request.
type Credentials struct {
	HMACKey []byte
	Token   []byte
}

// Report is the body of a change report: keys of one store changed.
type Report struct {
	Store StoreRef `json:"store"`
	Keys  []string `json:"keys"`
}

// StoreRef names the store of a report. Kind defaults to SecretStore; a
// ClusterSecretStore has no namespace.
type StoreRef struct {
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// Endpoint serves POST requests that report changed keys, for systems with webhooks of
// their own. A request is refused — counted, never acted on — when it is not a POST, is
// larger than MaxBody, exceeds the rate, is not authenticated, carries a timestamp outside
// the replay window or a signature already seen within it, or is malformed.
type Endpoint struct {
	Hub *Hub
	// Credentials returns the current credentials (read from a Secret, cached by the caller).
	Credentials func(ctx context.Context) (Credentials, error)
	// Ready says whether this replica routes reports (the leader); others answer 503 so that
	// the sender retries.
	Ready func() bool
	// ReplayWindow, MaxBody and Limiter bound what is accepted; zero values pick defaults.
	ReplayWindow time.Duration
	MaxBody      int64
	Limiter      *rate.Limiter
	Metrics      *Metrics
	Now          func() time.Time

	once sync.Once
	mu   sync.Mutex
	seen map[string]time.Time // digests of accepted requests → when they leave the window
}

func (e *Endpoint) defaults() {
	e.once.Do(func() {
		if e.ReplayWindow <= 0 {
			e.ReplayWindow = DefaultReplayWindow
		}
		if e.MaxBody <= 0 {
			e.MaxBody = DefaultMaxBody
		}
		if e.Limiter == nil {
			e.Limiter = rate.NewLimiter(DefaultRate, DefaultBurst)
		}
		if e.Now == nil {
			e.Now = time.Now
		}
		e.seen = map[string]time.Time{}
	})
}

// refusal is a refused request: the status answered and the metric's reason.
type refusal struct {
	status int
	reason string
}

func (r refusal) Error() string { return r.reason }

// ServeHTTP implements http.Handler.
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	e.defaults()
	objects, err := e.serve(req)
	var ref refusal
	if errors.As(err, &ref) {
		e.Metrics.Refused(SourceHTTP, ref.reason)
		http.Error(w, ref.reason, ref.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"objects":` + strconv.Itoa(objects) + "}\n"))
}

func (e *Endpoint) serve(req *http.Request) (int, error) {
	if req.Method != http.MethodPost {
		return 0, refusal{http.StatusMethodNotAllowed, RefusedMethod}
	}
	if e.Ready != nil && !e.Ready() {
		return 0, refusal{http.StatusServiceUnavailable, RefusedNotLeader}
	}
	if !e.Limiter.Allow() {
		return 0, refusal{http.StatusTooManyRequests, RefusedRateLimited}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, req.Body, e.MaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return 0, refusal{http.StatusRequestEntityTooLarge, RefusedTooLarge}
		}
		return 0, refusal{http.StatusBadRequest, RefusedMalformed}
	}
	digest, sent, err := e.authenticate(req, body)
	if err != nil {
		return 0, err
	}
	report, err := parseReport(body)
	if err != nil {
		return 0, refusal{http.StatusBadRequest, RefusedMalformed}
	}
	if !e.firstSeen(digest) {
		return 0, refusal{http.StatusConflict, RefusedReplayed}
	}
	// The sender's timestamp is the report's own time, to the second.
	e.Metrics.Lag(SourceHTTP, e.Now().Sub(sent))
	return e.Hub.Changed(report.storeID(), report.Keys, SourceHTTP), nil
}

// authenticate checks the timestamp and the signature or token, and returns the digest
// that identifies the request within the replay window and the time it was sent.
func (e *Endpoint) authenticate(req *http.Request, body []byte) (string, time.Time, error) {
	creds, err := e.Credentials(req.Context())
	if err != nil || (len(creds.HMACKey) == 0 && len(creds.Token) == 0) {
		return "", time.Time{}, refusal{http.StatusServiceUnavailable, RefusedNoCredentials}
	}
	ts := req.Header.Get(HeaderTimestamp)
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", time.Time{}, refusal{http.StatusUnauthorized, RefusedUnauthenticated}
	}
	sent := time.Unix(unix, 0)
	signed := append([]byte(ts+"."), body...)
	ok := false
	if sig, found := strings.CutPrefix(req.Header.Get(HeaderSignature), "sha256="); found && len(creds.HMACKey) > 0 {
		mac := hmac.New(sha256.New, creds.HMACKey)
		mac.Write(signed)
		got, err := hex.DecodeString(sig)
		ok = err == nil && hmac.Equal(got, mac.Sum(nil))
	}
	if token, found := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); !ok && found && len(creds.Token) > 0 {
		ok = subtle.ConstantTimeCompare([]byte(token), creds.Token) == 1
	}
	if !ok {
		return "", time.Time{}, refusal{http.StatusUnauthorized, RefusedUnauthenticated}
	}
	if d := e.Now().Sub(sent); d > e.ReplayWindow || d < -e.ReplayWindow {
		return "", time.Time{}, refusal{http.StatusUnauthorized, RefusedStale}
	}
	sum := sha256.Sum256(signed)
	return hex.EncodeToString(sum[:]), sent, nil
}

// firstSeen remembers digest for twice the replay window (a timestamp may be that far from
// another within the window) and says whether it is new.
func (e *Endpoint) firstSeen(digest string) bool {
	now := e.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for d, until := range e.seen {
		if now.After(until) {
			delete(e.seen, d)
		}
	}
	if _, ok := e.seen[digest]; ok {
		return false
	}
	e.seen[digest] = now.Add(2 * e.ReplayWindow)
	return true
}

func parseReport(body []byte) (Report, error) {
	var r Report
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, err
	}
	if dec.More() {
		return r, errors.New("trailing data")
	}
	switch r.Store.Kind {
	case "":
		r.Store.Kind = esv1.SecretStoreKind
	case esv1.SecretStoreKind, esv1.ClusterSecretStoreKind:
	default:
		return r, errors.New("store.kind")
	}
	if r.Store.Name == "" || (r.Store.Kind == esv1.SecretStoreKind && r.Store.Namespace == "") {
		return r, errors.New("store")
	}
	if len(r.Keys) == 0 || len(r.Keys) > maxKeysPerReport {
		return r, errors.New("keys")
	}
	for _, k := range r.Keys {
		if k == "" || len(k) > maxKeyLength {
			return r, errors.New("key")
		}
	}
	return r, nil
}

func (r Report) storeID() fetch.StoreID {
	id := fetch.StoreID{Kind: r.Store.Kind, Namespace: r.Store.Namespace, Name: r.Store.Name}
	if id.Kind == esv1.ClusterSecretStoreKind {
		id.Namespace = ""
	}
	return id
}
