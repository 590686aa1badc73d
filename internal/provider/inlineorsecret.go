package provider

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// InlineOrSecret returns v's inline value or the value of the Secret key it names, without
// surrounding white space. field is v's path, for errors.
func InlineOrSecret(ctx context.Context, kube client.Client, store esv1.GenericStore, namespace string,
	v esv1.InlineOrSecretValue, field string) (string, error) {
	if v.SecretRef == nil {
		return strings.TrimSpace(v.Value), nil
	}
	raw, err := SecretKeyValue(ctx, kube, store, namespace, *v.SecretRef, field+".secretRef")
	return strings.TrimSpace(string(raw)), err
}

// ValidateInlineOrSecret checks that v sets exactly one of value and secretRef, and the
// secretRef as ValidateSecretKeyRef does.
func ValidateInlineOrSecret(store esv1.GenericStore, v esv1.InlineOrSecretValue, field string) []error {
	switch {
	case v.SecretRef != nil && v.Value != "":
		return []error{fmt.Errorf("%s: set value or secretRef, not both", field)}
	case v.SecretRef != nil:
		return ValidateSecretKeyRef(store, v.SecretRef, field+".secretRef")
	case v.Value == "":
		return []error{fmt.Errorf("%s: set value or secretRef", field)}
	}
	return nil
}

// InlineOrSecretFixed says whether v reads the same whatever namespace a store acts for:
// it is inline, or its Secret's namespace is named.
func InlineOrSecretFixed(v esv1.InlineOrSecretValue) bool {
	return v.SecretRef == nil || (v.SecretRef.Namespace != nil && *v.SecretRef.Namespace != "")
}
