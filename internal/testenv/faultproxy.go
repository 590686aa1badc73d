package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// FaultProxy is a reverse proxy in front of a provider (moto) that injects the faults a
// real provider shows: latency, server errors, throttling and dropped connections. Tests
// point Ferry at URL and switch faults at runtime with Set; every request is recorded, so a
// test can measure the call rate Ferry produced during an outage.
type FaultProxy struct {
	// URL is the proxy's address: point every AWS client at it.
	URL    string
	server *http.Server
	proxy  *httputil.ReverseProxy

	mu       sync.Mutex
	fault    Fault
	bucket   tokenBucket
	records  []Record
	inFlight map[string]int
	held     int
	released int // held requests whose delay ended and which went on
}

// Fault is what the proxy does to the requests it matches. The zero value forwards every
// request untouched.
type Fault struct {
	// Match limits the fault to some requests: op is the AWS operation (GetSecretValue),
	// body the request body. nil matches every request.
	Match func(op string, body []byte) bool
	// Latency delays matched requests before anything else happens to them.
	Latency time.Duration
	// Error answers matched requests with this error instead of forwarding them.
	Error *AWSError
	// Drop closes the connection of matched requests without an answer.
	Drop bool
	// RatePerSecond, when above zero, admits this many matched requests per second (burst
	// of one) and answers the others with ErrThrottling, as AWS does when a quota is hit.
	RatePerSecond float64
}

// AWSError is an error answer in AWS's wire format: the JSON protocols' {"__type","message"}
// body (Secrets Manager, Parameter Store), or the query protocol's XML (STS).
type AWSError struct {
	Status  int
	Code    string
	Message string
}

// Errors AWS answers with when it is down or throttles.
var (
	ErrInternal    = &AWSError{Status: http.StatusInternalServerError, Code: "InternalServiceError", Message: "An internal error occurred"}
	ErrUnavailable = &AWSError{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "Service is unavailable"}
	ErrThrottling  = &AWSError{Status: http.StatusBadRequest, Code: "ThrottlingException", Message: "Rate exceeded"}
)

// Outcome is what the proxy did with one request.
type Outcome string

// Outcomes of a request.
const (
	Forwarded Outcome = "forwarded"
	Failed    Outcome = "failed"
	Throttled Outcome = "throttled"
	Dropped   Outcome = "dropped"
)

// Record is one request the proxy saw.
type Record struct {
	At      time.Time
	Op      string
	Outcome Outcome
}

// StartFaultProxy starts a proxy in front of upstream (e.g. Moto's endpoint) on a free
// loopback port. Call Stop when done.
func StartFaultProxy(upstream string) (*FaultProxy, error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{URL: "http://" + ln.Addr().String(), proxy: httputil.NewSingleHostReverseProxy(target),
		inFlight: map[string]int{}}
	p.server = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(ln) }()
	return p, nil
}

// MustStartFaultProxy starts a proxy for one test and stops it when the test ends.
func MustStartFaultProxy(t testing.TB, upstream string) *FaultProxy {
	t.Helper()
	p, err := StartFaultProxy(upstream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// Stop closes the proxy and every connection through it.
func (p *FaultProxy) Stop() { _ = p.server.Close() }

// Set replaces the current fault; Set(Fault{}) restores normal service.
func (p *FaultProxy) Set(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
	p.bucket = tokenBucket{rate: f.RatePerSecond}
}

// Count returns how many requests of op ("" for all) had outcome ("" for any) in [from, to).
func (p *FaultProxy) Count(op string, outcome Outcome, from, to time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.records {
		if (op == "" || r.Op == op) && (outcome == "" || r.Outcome == outcome) && !r.At.Before(from) && r.At.Before(to) {
			n++
		}
	}
	return n
}

// Records returns a copy of every request seen so far.
func (p *FaultProxy) Records() []Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Record(nil), p.records...)
}

// InFlight returns how many requests of op are being delayed or forwarded right now.
func (p *FaultProxy) InFlight(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inFlight[op]
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := operation(r)
	r.Body = io.NopCloser(bytes.NewReader(body))

	p.mu.Lock()
	f := p.fault
	matched := f.Match == nil || f.Match(op, body)
	if !matched {
		f = Fault{}
	}
	p.inFlight[op]++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight[op]--
		p.mu.Unlock()
	}()

	if f.Latency > 0 {
		p.hold(1)
		select {
		case <-time.After(f.Latency):
			p.mu.Lock()
			p.held--
			p.released++
			p.mu.Unlock()
		case <-r.Context().Done():
			p.hold(-1)
			return
		}
	}
	outcome := Forwarded
	switch {
	case f.Drop:
		outcome = Dropped
	case f.Error != nil:
		outcome = Failed
	case f.RatePerSecond > 0:
		p.mu.Lock()
		admitted := p.bucket.take(time.Now())
		p.mu.Unlock()
		if !admitted {
			outcome = Throttled
		}
	}
	p.mu.Lock()
	p.records = append(p.records, Record{At: time.Now(), Op: op, Outcome: outcome})
	p.mu.Unlock()

	switch outcome {
	case Dropped:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // closes the connection where hijacking is impossible
	case Failed:
		writeAWSError(w, r, f.Error)
	case Throttled:
		writeAWSError(w, r, ErrThrottling)
	default:
		p.proxy.ServeHTTP(w, r)
	}
}

// writeAWSError answers in the protocol of the request: JSON for X-Amz-Target requests,
// XML for the query protocol.
func writeAWSError(w http.ResponseWriter, r *http.Request, e *AWSError) {
	w.Header().Set("X-Amzn-Requestid", "00000000-0000-0000-0000-000000000000")
	if r.Header.Get("X-Amz-Target") != "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", e.Code)
		w.WriteHeader(e.Status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	var msg bytes.Buffer
	_ = xml.EscapeText(&msg, []byte(e.Message))
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>`+
		`<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`, kind, e.Code, msg.String())
}

// tokenBucket admits rate requests per second with a burst of one.
type tokenBucket struct {
	rate   float64
	tokens float64
	last   time.Time
}

func (b *tokenBucket) take(now time.Time) bool {
	if b.last.IsZero() {
		b.tokens, b.last = 1, now
	}
	b.tokens += now.Sub(b.last).Seconds() * b.rate
	if b.tokens > 1 {
		b.tokens = 1
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// MatchSecretID matches Secrets Manager requests about the secret id: those that name it
// (GetSecretValue, DescribeSecret, PutSecretValue, CreateSecret...) and batch reads that
// include it (BatchGetSecretValue).
func MatchSecretID(id string) func(op string, body []byte) bool {
	return func(_ string, body []byte) bool {
		var in struct {
			SecretID     string   `json:"SecretId"`
			Name         string   `json:"Name"`
			SecretIDList []string `json:"SecretIdList"`
		}
		if json.Unmarshal(body, &in) != nil {
			return false
		}
		return in.SecretID == id || in.Name == id || slices.Contains(in.SecretIDList, id)
	}
}

// SecretsManagerReads are the operations Ferry reads Secrets Manager with: single and batch
// reads, and the listing and describes of its version checks.
var SecretsManagerReads = []string{"GetSecretValue", "BatchGetSecretValue", "ListSecrets", "DescribeSecret"}

// CountOps sums Count over several operations.
func (p *FaultProxy) CountOps(ops []string, outcome Outcome, from, to time.Time) int {
	n := 0
	for _, op := range ops {
		n += p.Count(op, outcome, from, to)
	}
	return n
}

func (p *FaultProxy) hold(delta int) {
	p.mu.Lock()
	p.held += delta
	p.mu.Unlock()
}

// Held returns how many requests the proxy is delaying right now (Fault.Latency).
func (p *FaultProxy) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

// Released returns how many held requests have come to the end of their delay and gone on
// to their outcome. A caller that retries at once is held again, so Held may never be seen
// at zero; Released moving past a value read while a request was held says that one returned.
func (p *FaultProxy) Released() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.released
}

// WaitHeld waits until the proxy delays a request: the caller is then in the middle of
// that call.
func (p *FaultProxy) WaitHeld(ctx context.Context) error {
	for p.Held() == 0 {
		select {
		case <-ctx.Done():
			return errors.New("no request was held at the proxy")
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
