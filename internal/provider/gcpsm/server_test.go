package gcpsm

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// fakeSecretManager is an in-process Secret Manager: the generated gRPC service, serving
// the calls the provider makes with the status codes the real service documents. It
// stands in for the real service, of which no emulator exists.
type fakeSecretManager struct {
	secretmanagerpb.UnimplementedSecretManagerServiceServer
	mu      sync.Mutex
	secrets map[string]*fakeSecret // by resource name
	calls   map[string]int
}

type fakeSecret struct {
	meta     *secretmanagerpb.Secret
	versions [][]byte // versions[i] is version i+1; nil is destroyed
}

func (f *fakeSecretManager) count(method string) {
	f.calls[method]++
}

// Calls returns how often method was called.
func (f *fakeSecretManager) Calls(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeSecretManager) CreateSecret(_ context.Context, req *secretmanagerpb.CreateSecretRequest) (*secretmanagerpb.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("CreateSecret")
	if req.GetSecretId() == "" || strings.Contains(req.GetSecretId(), "/") {
		return nil, status.Error(codes.InvalidArgument, "invalid secret id")
	}
	if !strings.Contains(req.GetParent(), "/locations/") && req.GetSecret().GetReplication() == nil {
		return nil, status.Error(codes.InvalidArgument, "replication is required")
	}
	name := req.GetParent() + "/secrets/" + req.GetSecretId()
	if _, ok := f.secrets[name]; ok {
		return nil, status.Error(codes.AlreadyExists, "secret exists")
	}
	meta := proto.Clone(req.GetSecret()).(*secretmanagerpb.Secret)
	meta.Name = name
	meta.Etag = `"1"`
	f.secrets[name] = &fakeSecret{meta: meta}
	return meta, nil
}

// UpdateSecret changes the fields update_mask names (the metadata ones the API lets
// change), refusing a stale etag as the service does.
func (f *fakeSecretManager) UpdateSecret(_ context.Context, req *secretmanagerpb.UpdateSecretRequest) (*secretmanagerpb.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("UpdateSecret")
	s, ok := f.secrets[req.GetSecret().GetName()]
	if !ok {
		return nil, status.Error(codes.NotFound, "secret not found")
	}
	if len(req.GetUpdateMask().GetPaths()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "update_mask is required")
	}
	if etag := req.GetSecret().GetEtag(); etag != "" && etag != s.meta.GetEtag() {
		return nil, status.Error(codes.Aborted, "etag does not match")
	}
	for _, path := range req.GetUpdateMask().GetPaths() {
		switch path {
		case "labels":
			s.meta.Labels = req.GetSecret().GetLabels()
		case "annotations":
			s.meta.Annotations = req.GetSecret().GetAnnotations()
		case "topics":
			s.meta.Topics = req.GetSecret().GetTopics()
		default:
			return nil, status.Errorf(codes.InvalidArgument, "update_mask path %q cannot be updated", path)
		}
	}
	n, _ := strconv.Atoi(strings.Trim(s.meta.GetEtag(), `"`))
	s.meta.Etag = fmt.Sprintf(`"%d"`, n+1)
	return proto.Clone(s.meta).(*secretmanagerpb.Secret), nil
}

func (f *fakeSecretManager) GetSecret(_ context.Context, req *secretmanagerpb.GetSecretRequest) (*secretmanagerpb.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("GetSecret")
	s, ok := f.secrets[req.GetName()]
	if !ok {
		return nil, status.Error(codes.NotFound, "secret not found")
	}
	return proto.Clone(s.meta).(*secretmanagerpb.Secret), nil
}

func (f *fakeSecretManager) ListSecrets(_ context.Context, req *secretmanagerpb.ListSecretsRequest) (*secretmanagerpb.ListSecretsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("ListSecrets")
	want := map[string]string{}
	if req.GetFilter() != "" {
		for _, term := range strings.Split(req.GetFilter(), " AND ") {
			k, v, ok := strings.Cut(strings.TrimPrefix(term, "labels."), "=")
			if !ok || !strings.HasPrefix(term, "labels.") {
				return nil, status.Error(codes.InvalidArgument, "unsupported filter")
			}
			want[k] = v
		}
	}
	resp := &secretmanagerpb.ListSecretsResponse{}
	for name, s := range f.secrets {
		if !strings.HasPrefix(name, req.GetParent()+"/secrets/") || !serverHasLabels(s.meta.GetLabels(), want) {
			continue
		}
		resp.Secrets = append(resp.Secrets, proto.Clone(s.meta).(*secretmanagerpb.Secret))
	}
	resp.TotalSize = int32(len(resp.Secrets)) //nolint:gosec // a test's handful of secrets
	return resp, nil
}

func (f *fakeSecretManager) AddSecretVersion(_ context.Context, req *secretmanagerpb.AddSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("AddSecretVersion")
	s, ok := f.secrets[req.GetParent()]
	if !ok {
		return nil, status.Error(codes.NotFound, "secret not found")
	}
	s.versions = append(s.versions, append([]byte(nil), req.GetPayload().GetData()...))
	return &secretmanagerpb.SecretVersion{
		Name:  fmt.Sprintf("%s/versions/%d", req.GetParent(), len(s.versions)),
		State: secretmanagerpb.SecretVersion_ENABLED,
	}, nil
}

func (f *fakeSecretManager) AccessSecretVersion(_ context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("AccessSecretVersion")
	secretName, version, ok := strings.Cut(req.GetName(), "/versions/")
	if !ok {
		return nil, status.Error(codes.InvalidArgument, "not a version name")
	}
	s, ok := f.secrets[secretName]
	if !ok {
		return nil, status.Error(codes.NotFound, "secret not found")
	}
	n := len(s.versions)
	if version != "latest" {
		v, err := strconv.Atoi(version)
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, "invalid version")
		}
		n = v
	}
	if n < 1 || n > len(s.versions) {
		return nil, status.Error(codes.NotFound, "version not found")
	}
	if s.versions[n-1] == nil {
		return nil, status.Error(codes.FailedPrecondition, "version is destroyed")
	}
	return &secretmanagerpb.AccessSecretVersionResponse{
		Name:    fmt.Sprintf("%s/versions/%d", secretName, n),
		Payload: &secretmanagerpb.SecretPayload{Data: s.versions[n-1]},
	}, nil
}

func (f *fakeSecretManager) DeleteSecret(_ context.Context, req *secretmanagerpb.DeleteSecretRequest) (*emptypb.Empty, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("DeleteSecret")
	if _, ok := f.secrets[req.GetName()]; !ok {
		return nil, status.Error(codes.NotFound, "secret not found")
	}
	delete(f.secrets, req.GetName())
	return &emptypb.Empty{}, nil
}

// startFake serves a fresh fakeSecretManager on a loopback port and returns it with the
// client options that point the official client at it.
func startFake(t *testing.T) (*fakeSecretManager, []option.ClientOption) {
	t.Helper()
	fake, opts, stop, err := serveFake()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return fake, opts
}

// serveFake is startFake for a whole package's tests: the caller stops it.
func serveFake() (*fakeSecretManager, []option.ClientOption, func(), error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	fake := &fakeSecretManager{secrets: map[string]*fakeSecret{}, calls: map[string]int{}}
	srv := grpc.NewServer()
	secretmanagerpb.RegisterSecretManagerServiceServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	return fake, []option.ClientOption{
		option.WithEndpoint(lis.Addr().String()),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}, srv.Stop, nil
}

// serverHasLabels is the server's side of a label filter: every wanted label present.
func serverHasLabels(labels, want map[string]string) bool {
	for k, v := range want {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
