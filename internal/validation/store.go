package validation

import (
	"errors"
	"fmt"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Store returns the problems of a store's spec that do not depend on the provider.
// spec.conditions are checked on SecretStores too, though only ClusterSecretStores act on them.
func Store(store esv1.GenericStore) error {
	spec := store.GetSpec()
	var errs []error
	for i, c := range spec.Conditions {
		for j, re := range c.NamespaceRegexes {
			if _, err := regexp.Compile(re); err != nil {
				errs = append(errs, fmt.Errorf("spec.conditions[%d].namespaceRegexes[%d]: invalid regular expression: %w", i, j, err))
			}
		}
		if c.NamespaceSelector != nil {
			if _, err := metav1.LabelSelectorAsSelector(c.NamespaceSelector); err != nil {
				errs = append(errs, fmt.Errorf("spec.conditions[%d].namespaceSelector: %w", i, err))
			}
		}
	}
	return errors.Join(errs...)
}
