package onboardbase

import (
	"context"
	"errors"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// credentials are what every call needs: the API key, sent in the API_KEY header, and the
// passcode given when the key was made, which decrypts what the API returns.
type credentials struct {
	apiKey, passcode string
}

// readCredentials reads the API key and the passcode from the Secrets the store names, each
// from its own reference (ESO reads the passcode from the API key's Secret whatever
// passcodeRef.name says).
func readCredentials(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (credentials, error) {
	auth := store.GetSpec().Provider.Onboardbase.Auth
	apiKey, err := readRef(ctx, store, kube, namespace, auth.APIKeyRef, field+".auth.apiKeyRef")
	if err != nil {
		return credentials{}, err
	}
	passcode, err := readRef(ctx, store, kube, namespace, auth.PasscodeRef, field+".auth.passcodeRef")
	if err != nil {
		return credentials{}, err
	}
	return credentials{apiKey: apiKey, passcode: passcode}, nil
}

func readRef(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string,
	ref esv1.SecretKeySelector, name string) (string, error) {
	raw, err := provider.SecretKeyValue(ctx, kube, store, namespace, ref, name)
	if err != nil {
		return "", err
	}
	// A trailing newline is what `echo` or an editor leaves; no key or passcode ends in one.
	value := strings.TrimRight(string(raw), "\r\n")
	if value == "" {
		return "", errors.New(name + ": the Secret's key is empty")
	}
	return value, nil
}
