package testenv

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// upstream answers every GetSecretValue with the same secret, like moto would.
func upstream(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write([]byte(`{"Name":"s","SecretString":"v","VersionId":"1"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// sdk is a Secrets Manager client through the proxy that never retries, so each call is
// one request.
func sdk(endpoint string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:     aws.NopRetryer{},
	})
}

func get(c *secretsmanager.Client, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	return err
}

func TestFaultProxy(t *testing.T) {
	p := MustStartFaultProxy(t, upstream(t))
	c := sdk(p.URL)
	start := time.Now()

	if err := get(c, "s"); err != nil {
		t.Fatalf("forwarded request failed: %v", err)
	}

	// Server errors and throttling arrive as the AWS errors the SDK classifies.
	p.Set(Fault{Error: ErrInternal})
	var apiErr smithy.APIError
	if err := get(c, "s"); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalServiceError" {
		t.Errorf("server error = %v, want InternalServiceError", err)
	}
	p.Set(Fault{RatePerSecond: 0.001})
	_ = get(c, "s") // the burst of one
	err := get(c, "s")
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
		t.Errorf("throttled request = %v, want ThrottlingException", err)
	}
	if !(retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}).IsErrorThrottle(err).Bool() {
		t.Errorf("the SDK does not see %v as throttling", err)
	}

	// A dropped connection is an error without an answer.
	p.Set(Fault{Drop: true})
	if err := get(c, "s"); err == nil || errors.As(err, &apiErr) {
		t.Errorf("dropped request = %v, want a connection error", err)
	}

	// Match limits a fault to one secret; Latency holds the request in flight.
	p.Set(Fault{Match: MatchSecretID("slow"), Latency: 300 * time.Millisecond})
	done := make(chan error)
	go func() { done <- get(c, "slow") }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.WaitHeld(ctx); err != nil {
		t.Fatal(err)
	}
	if err := get(c, "fast"); err != nil || p.InFlight("GetSecretValue") != 1 || p.Held() != 1 {
		t.Errorf("an unmatched request was delayed or failed (%v)", err)
	}
	if err := <-done; err != nil {
		t.Errorf("delayed request failed: %v", err)
	}
	if p.Held() != 0 || p.Released() != 1 {
		t.Errorf("after the delayed request returned: held %d, released %d; want 0 and 1", p.Held(), p.Released())
	}

	counts := map[Outcome]int{}
	for _, o := range []Outcome{Forwarded, Failed, Throttled, Dropped} {
		counts[o] = p.Count("GetSecretValue", o, start, time.Now().Add(time.Second))
	}
	want := map[Outcome]int{Forwarded: 4, Failed: 1, Throttled: 1, Dropped: 1}
	for o, n := range want {
		if counts[o] != n {
			t.Errorf("%s requests = %d, want %d (all: %v)", o, counts[o], n, counts)
		}
	}
}
