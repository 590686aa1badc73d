// Package storeaccess decides whether an object in a namespace may use a store: a
// SecretStore serves its own namespace only, a ClusterSecretStore the namespaces its
// spec.conditions select. Every controller that uses a store on a namespace's behalf
// (ExternalSecret, PushSecret) asks here, so the rule is written once. It reads Namespaces
// only, never secret data.
package storeaccess

import (
	"context"
	"fmt"
	"regexp"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Allowed says whether objects in namespace may use store. A ClusterSecretStore without
// conditions serves every namespace; with conditions, a namespace must match at least one
// (by name, by regexp, or by its labels).
func Allowed(ctx context.Context, reader client.Reader, store esv1.GenericStore, namespace string) (bool, error) {
	if store.GetKind() == esv1.SecretStoreKind {
		return store.GetNamespace() == namespace, nil
	}
	conditions := store.GetSpec().Conditions
	if len(conditions) == 0 {
		return true, nil
	}
	var ns *corev1.Namespace
	for _, c := range conditions {
		for _, name := range c.Namespaces {
			if string(name) == namespace {
				return true, nil
			}
		}
		for _, expr := range c.NamespaceRegexes {
			re, err := regexp.Compile(expr)
			if err != nil {
				return false, fmt.Errorf("ClusterSecretStore %q: invalid namespaceRegexes entry: %w", store.GetName(), err)
			}
			if re.MatchString(namespace) {
				return true, nil
			}
		}
		if c.NamespaceSelector != nil {
			sel, err := metav1.LabelSelectorAsSelector(c.NamespaceSelector)
			if err != nil {
				return false, fmt.Errorf("ClusterSecretStore %q: invalid namespaceSelector: %w", store.GetName(), err)
			}
			if ns == nil {
				ns = &corev1.Namespace{}
				if err := reader.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
					return false, fmt.Errorf("reading namespace %s: %w", namespace, err)
				}
			}
			if sel.Matches(labels.Set(ns.Labels)) {
				return true, nil
			}
		}
	}
	return false, nil
}
