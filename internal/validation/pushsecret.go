package validation

import (
	"errors"

	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// UnsupportedPushSecret returns the first field of a PushSecret that this version of Ferry
// accepts in the schema but does not act on yet, or nil: selector.generatorRef
// (a newer ESO field) is refused rather than silently ignored.
func UnsupportedPushSecret(ps *esv1alpha1.PushSecret) error {
	if ps.Spec.Selector.GeneratorRef != nil {
		return errors.New("spec.selector.generatorRef is not supported by this version of Ferry yet; push a Secret")
	}
	return nil
}
