package validation

import (
	"errors"

	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// UnsupportedPushSecret returns the first field of a PushSecret that this version of Ferry
// accepts in the schema but does not act on yet, or nil: dataTo and selector.generatorRef
// (newer ESO fields) are refused rather than silently ignored.
func UnsupportedPushSecret(ps *esv1alpha1.PushSecret) error {
	if len(ps.Spec.DataTo) > 0 {
		return errors.New("spec.dataTo is not supported by this version of Ferry yet; use spec.data")
	}
	if ps.Spec.Selector.GeneratorRef != nil {
		return errors.New("spec.selector.generatorRef is not supported by this version of Ferry yet; push a Secret")
	}
	return nil
}
