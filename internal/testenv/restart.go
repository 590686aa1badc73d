package testenv

import (
	"fmt"
	"net"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// StartRestartableControlPlane starts a control plane like StartControlPlane whose
// kube-apiserver can be stopped and started again (StopAPIServer, StartAPIServer) with the
// same address and certificates, so clients built before the restart keep working. certDir
// holds the certificates; the caller creates it and removes it after Stop. etcd runs on
// across the restart, so nothing stored is lost.
func StartRestartableControlPlane(certDir string) (*ControlPlane, error) {
	// A directory of our own: envtest drops a directory it made itself when the server
	// stops, and a restart would then serve a new CA that no client trusts.
	// kube-apiserver drains open watches for long on SIGTERM; after StopTimeout it is
	// killed, which is a crash as a restart test wants it.
	return startControlPlane(envtest.ControlPlane{APIServer: &envtest.APIServer{CertDir: certDir, StopTimeout: 3 * time.Second}})
}

// StopAPIServer stops kube-apiserver, leaving etcd running: gracefully if it drains within
// three seconds, killed otherwise. Clients see connection errors until StartAPIServer.
func (cp *ControlPlane) StopAPIServer() error {
	apiServer := cp.Env.ControlPlane.APIServer
	err := apiServer.Stop()
	if err != nil && !strings.Contains(err.Error(), "timeout waiting for process") {
		return err
	}
	// Killed: wait until its port is free for the next start.
	addr := net.JoinHostPort(apiServer.SecureServing.Address, apiServer.SecureServing.Port) //nolint:staticcheck // names the field it means
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		conn, dialErr := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if dialErr != nil {
			return nil
		}
		_ = conn.Close()
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver still listens on %s", addr)
}

// StartAPIServer starts kube-apiserver again on the same address, with the same serving
// certificate and client CA, and returns once it answers /healthz.
func (cp *ControlPlane) StartAPIServer() error {
	return cp.Env.ControlPlane.APIServer.Start()
}
