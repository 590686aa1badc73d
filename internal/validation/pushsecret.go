package validation

import (
	"fmt"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// PushSecret returns every problem of the spec as written, joined, or nil: what no sync
// of it could get past, found without reading a Secret or a store. The controller checks
// it before any read; the webhook reports it as a warning, since External Secrets
// Operator admits every PushSecret its schema admits and so does Ferry.
func PushSecret(spec *esv1alpha1.PushSecretSpec) error {
	var p problems
	if err := spec.RefreshInterval.Err(); err != nil {
		p.add("spec.refreshInterval: %v", err)
	}
	switch sel := spec.Selector; {
	case sel.Secret != nil:
		p.ref("spec.selector.secret", sel.Secret.Name, sel.Secret.Selector, "selector")
	case sel.GeneratorRef == nil:
		p.add("spec.selector.secret: required: name the Secret to push")
	}
	for i, ref := range spec.SecretStoreRefs {
		p.ref(fmt.Sprintf("spec.secretStoreRefs[%d]", i), ref.Name, ref.LabelSelector, "labelSelector")
	}
	for i, dt := range spec.DataTo {
		field := fmt.Sprintf("spec.dataTo[%d]", i)
		if dt.StoreRef == nil {
			p.add("%s.storeRef: required: name the store of spec.secretStoreRefs this entry pushes to", field)
		} else {
			p.ref(field+".storeRef", dt.StoreRef.Name, dt.StoreRef.LabelSelector, "labelSelector")
		}
		if dt.Match != nil && dt.Match.RegExp != "" {
			if _, err := regexp.Compile(dt.Match.RegExp); err != nil {
				p.add("%s.match.regexp: invalid regular expression: %v", field, err)
			}
		}
		for j, rw := range dt.Rewrite {
			p.rewrite(fmt.Sprintf("%s.rewrite[%d]", field, j), rw.Regexp, rw.Transform)
		}
	}
	if spec.Template != nil {
		p.template("spec.template", spec.Template)
	}
	return p.err()
}

// ref checks a reference at field that names its objects by name or by a label selector
// (selectorField): one of them is set, and a selector that the name does not override
// parses.
func (p *problems) ref(field, name string, selector *metav1.LabelSelector, selectorField string) {
	switch {
	case name == "" && selector == nil:
		p.add("%s: set name or %s", field, selectorField)
	case name == "":
		if _, err := metav1.LabelSelectorAsSelector(selector); err != nil {
			p.add("%s.%s: %v", field, selectorField, err)
		}
	}
}
