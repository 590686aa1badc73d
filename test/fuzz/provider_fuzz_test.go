package fuzz

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/aws"
)

// answer is what the fake Secrets Manager answers to every call, set per fuzz input.
var answer struct {
	sync.Mutex
	status int
	body   []byte
}

func secretsManagerClient(f *testing.F) provider.Client {
	f.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		answer.Lock()
		status, body := answer.status, answer.body
		answer.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	f.Cleanup(srv.Close)
	f.Setenv("AWS_ACCESS_KEY_ID", "test")
	f.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	f.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	f.Setenv("AWS_MAX_ATTEMPTS", "1")
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{
			Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1"}}}}
	c, err := aws.New(aws.WithEndpoint(srv.URL)).NewClient(context.Background(), store, nil, "ns")
	if err != nil {
		f.Fatal(err)
	}
	return c
}

func getSecretValueBody(value string) []byte {
	b, _ := json.Marshal(map[string]any{"Name": "k", "VersionId": "v1", "SecretString": value})
	return b
}

// FuzzSecretsManagerResponse answers Ferry's Secrets Manager calls with fuzzed responses:
// malformed JSON, huge values (over the 1 MiB a Secret holds), NUL bytes, invalid UTF-8,
// odd status codes, batch answers. Whatever comes back, reading through the provider
// (single reads with a property, extracts, batch reads) returns a value or an error that
// quotes no secret value, and never panics.
func FuzzSecretsManagerResponse(f *testing.F) {
	c := secretsManagerClient(f)
	seeds := [][]byte{
		getSecretValueBody(`{"user":"admin","password":"hunter2-seed"}`),
		getSecretValueBody(`{"a":{"b":[1,"x",null,{"c":"d"}]}}`),
		getSecretValueBody("plain value\x00with NUL"),
		getSecretValueBody(strings.Repeat("x", 1<<20+1)),
		[]byte(`{"Name":"k","SecretBinary":"//79AAE="}`),
		[]byte(`{"Name":"k","SecretString":"{\"password\":\"hunter2-cut`),
		[]byte(`{"SecretValues":[{"Name":"k","VersionId":"v1","SecretString":"{\"p\":\"hunter2-batch\"}"}],"Errors":[]}`),
		[]byte(`{"SecretValues":[],"Errors":[{"SecretId":"k","ErrorCode":"ResourceNotFoundException","Message":"gone"}]}`),
		[]byte(`{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`),
		[]byte("\xff\xfe\x00not json"),
		[]byte(`null`),
		[]byte(`[]`),
	}
	for _, body := range seeds {
		f.Add(body, "password", 200)
	}
	f.Add([]byte(`{"__type":"ValidationException","message":"bad"}`), "", 400)
	f.Add(getSecretValueBody(`{"a.b":{"c":1}}`), `a\.b.c`, 200)

	f.Fuzz(func(t *testing.T, body []byte, property string, status int) {
		if status < 200 || status > 599 || (status >= 500 && status != 500) {
			status = 200 + status%100 // 5xx other than 500 would be retried with waits
		}
		answer.Lock()
		answer.status, answer.body = status, body
		answer.Unlock()
		// The value the body holds, if it is a well-formed GetSecretValue answer.
		var parsed struct{ SecretString string }
		_ = json.Unmarshal(body, &parsed)
		secret := parsed.SecretString

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ref := esv1.ExternalSecretDataRemoteRef{Key: "k", Property: property}
		var errs []error
		_, err := c.GetSecret(ctx, ref)
		errs = append(errs, err)
		_, err = c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "k"})
		errs = append(errs, err)
		if br, ok := c.(provider.BatchReader); ok {
			docs, err := br.ReadDocuments(ctx, []string{"k"})
			errs = append(errs, err)
			if err == nil {
				_, err = br.SecretFromDocument(docs["k"], ref)
				errs = append(errs, err)
				_, err = br.SecretMapFromDocument(docs["k"], ref)
				errs = append(errs, err)
			}
		}
		for _, err := range errs {
			// Only values that carry the seeds' marker are checked, so that a value which
			// happens to spell part of an SDK message ("deserialization") does not count.
			if err == nil || !strings.Contains(secret, "hunter2") || strings.Contains(property, secret) {
				continue
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error quotes the secret value: %v", err)
			}
		}
	})
}
