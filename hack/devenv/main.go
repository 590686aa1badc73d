// Command devenv runs the local environment behind `make demo` and `make dev`: a real
// kube-apiserver and etcd with Ferry's CRDs installed, moto_server for AWS and a Vault dev
// server, all on loopback. It also seeds AWS secrets for the demo. With --providers it also
// runs the in-process stand-ins of the providers that have no emulator (devservers.Providers:
// the enterprise vaults and the developer platforms), seeds a few secrets in each, and writes
// DIR/providers/<provider>.yaml: the credentials Secrets, a SecretStore pointed at the
// stand-in and ExternalSecrets shaped as ESO's documentation, so `kubectl apply -f
// DIR/providers/` gives one syncing store per provider; and DIR/ferry.env, the operator's
// own environment (an HTTPS proxy for OCI's hosts and the CA of its TLS front). It is a
// developer tool, never shipped.
//
//	devenv up DIR [--vault] [--providers]  start everything; write DIR/kubeconfig and DIR/env; run until signalled
//	devenv put-secret NAME VALUE        create or update an AWS Secrets Manager secret (uses AWS_ENDPOINT_URL)
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/ferryhq/ferry/internal/devservers"
	"github.com/ferryhq/ferry/internal/testenv"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "devenv:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: devenv up DIR | devenv put-secret NAME VALUE")
	}
	switch args[0] {
	case "up":
		if len(args) < 2 {
			return errors.New("usage: devenv up DIR [--vault] [--providers]")
		}
		var opts upOptions
		for _, a := range args[2:] {
			switch a {
			case "--vault":
				opts.vault = true
			case "--providers":
				opts.providers = true
			default:
				return fmt.Errorf("unknown option %q; usage: devenv up DIR [--vault] [--providers]", a)
			}
		}
		return up(args[1], opts)
	case "put-secret":
		if len(args) != 3 {
			return errors.New("usage: devenv put-secret NAME VALUE")
		}
		return putSecret(context.Background(), args[1], args[2])
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// upOptions says which servers up starts besides the control plane and moto.
type upOptions struct {
	vault, providers bool
}

func up(dir string, opts upOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cp, err := testenv.StartControlPlane()
	if err != nil {
		return err
	}
	defer func() { _ = cp.Stop() }()
	moto, err := testenv.StartMoto()
	if err != nil {
		return err
	}
	defer func() { _ = moto.Stop() }()
	vaultEnv := ""
	if opts.vault {
		vault, err := testenv.StartVault()
		if err != nil {
			return err
		}
		defer func() { _ = vault.Stop() }()
		vaultEnv = fmt.Sprintf("export VAULT_ADDR=%s\nexport VAULT_TOKEN=%s\n", vault.Address, testenv.VaultRootToken)
	}

	providersEnv := ""
	if opts.providers {
		servers, err := devservers.Start()
		if err != nil {
			return err
		}
		defer servers.Close()
		if err := writeProviderManifests(filepath.Join(dir, "providers"), servers); err != nil {
			return err
		}
		providersEnv = servers.Env() + fmt.Sprintf("export FERRY_DEV_PROVIDER_MANIFESTS=%s\n", filepath.Join(dir, "providers"))
		// The operator's own environment (hack/lib.sh sources it for ferry only): how its
		// OCI calls reach the OCI stand-in, and its Doppler calls the Doppler stand-in.
		operatorEnv, err := servers.OperatorEnv(dir)
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, kv := range operatorEnv {
			fmt.Fprintf(&b, "export %s\n", kv)
		}
		if err := os.WriteFile(filepath.Join(dir, "ferry.env"), []byte(b.String()), 0o600); err != nil {
			return err
		}
	} else if err := os.Remove(filepath.Join(dir, "ferry.env")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}

	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, cp.Env.KubeConfig, 0o600); err != nil {
		return err
	}
	env := fmt.Sprintf(`export KUBECONFIG=%s
export AWS_ENDPOINT_URL=%s
export AWS_REGION=eu-west-1
export AWS_DEFAULT_REGION=eu-west-1
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
%s%s`, kubeconfig, moto.Endpoint, vaultEnv, providersEnv)
	// Write env last and atomically: scripts wait for it as the "ready" signal.
	if err := os.WriteFile(filepath.Join(dir, "env.tmp"), []byte(env), 0o600); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(dir, "env.tmp"), filepath.Join(dir, "env")); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	_ = os.Remove(filepath.Join(dir, "env"))
	return nil
}

// writeProviderManifests writes one file of manifests per provider into dir, replacing
// those of an earlier run (the stand-ins' ports change from run to run).
func writeProviderManifests(dir string, servers *devservers.Servers) error {
	files, err := servers.Manifests()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, manifest := range files {
		if err := os.WriteFile(filepath.Join(dir, name), manifest, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func putSecret(ctx context.Context, name, value string) error {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	sm := secretsmanager.NewFromConfig(cfg)
	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
	var missing *smtypes.ResourceNotFoundException
	if errors.As(err, &missing) {
		_, err = sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	}
	return err
}
