// Command devenv runs the local environment behind `make demo` and `make dev`: a real
// kube-apiserver and etcd with Ferry's CRDs installed, moto_server for AWS and a Vault dev
// server, all on loopback. It also seeds AWS secrets for the demo. It is a developer tool, never shipped.
//
//	devenv up DIR [--vault]             start everything; write DIR/kubeconfig and DIR/env; run until signalled
//	devenv put-secret NAME VALUE        create or update an AWS Secrets Manager secret (uses AWS_ENDPOINT_URL)
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

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
		switch {
		case len(args) == 2:
			return up(args[1], false)
		case len(args) == 3 && args[2] == "--vault":
			return up(args[1], true)
		}
		return errors.New("usage: devenv up DIR [--vault]")
	case "put-secret":
		if len(args) != 3 {
			return errors.New("usage: devenv put-secret NAME VALUE")
		}
		return putSecret(context.Background(), args[1], args[2])
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func up(dir string, withVault bool) error {
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
	if withVault {
		vault, err := testenv.StartVault()
		if err != nil {
			return err
		}
		defer func() { _ = vault.Stop() }()
		vaultEnv = fmt.Sprintf("export VAULT_ADDR=%s\nexport VAULT_TOKEN=%s\n", vault.Address, testenv.VaultRootToken)
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
%s`, kubeconfig, moto.Endpoint, vaultEnv)
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
