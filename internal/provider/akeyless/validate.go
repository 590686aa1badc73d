package akeyless

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// ValidateStore checks the store's Akeyless configuration as written, without any call.
// It refuses what ESO refuses (a URL without a host, kubernetesAuth without accessID or
// k8sConfName, no accessID Secret key, references into another namespace) and admits the
// rest as ESO does, marking what cannot work. The access type itself sits in a Secret, so
// an unsupported one is reported when the client is built.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Akeyless == nil {
		return fmt.Errorf("%s: required", specField)
	}
	ak := spec.Provider.Akeyless
	var errs []error
	if raw := strings.TrimSpace(ak.AkeylessGWAPIURL); raw != "" {
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "":
			errs = append(errs, fmt.Errorf("%s.akeylessGWApiURL: not a URL with a host; use https://api.akeyless.io or your gateway's https://<host>:8080/v2", specField))
		case u.Scheme != "http" && u.Scheme != "https":
			errs = append(errs, provider.AdmittedMistake("%s.akeylessGWApiURL: scheme %q; Akeyless is reached over https (or http)", specField, u.Scheme))
		}
	}
	if ak.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, ak.CAProvider, specField+".caProvider")...)
	}
	auth := ak.AuthSecretRef
	if k := auth.KubernetesAuth; k != nil {
		const field = authField + ".kubernetesAuth"
		if strings.TrimSpace(k.AccessID) == "" {
			errs = append(errs, fmt.Errorf("%s.accessID: required, the access id of the Kubernetes auth method", field))
		}
		if strings.TrimSpace(k.K8sConfName) == "" {
			errs = append(errs, fmt.Errorf("%s.k8sConfName: required, the name of the gateway's Kubernetes auth config", field))
		}
		if k.ServiceAccountRef != nil {
			errs = append(errs, provider.ValidateServiceAccountRef(store, k.ServiceAccountRef, field+".serviceAccountRef")...)
		}
		if k.SecretRef != nil {
			if err := provider.ValidateRefNamespace(store, k.SecretRef.Namespace, field+".secretRef"); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	errs = append(errs, validateSecretRef(store, auth.SecretRef)...)
	if auth.ServiceAccountRef != nil {
		errs = append(errs, provider.ValidateServiceAccountRef(store, auth.ServiceAccountRef, authField+".serviceAccountRef")...)
	}
	return errors.Join(errs...)
}

// validateSecretRef checks authSecretRef.secretRef: the accessID key is required (ESO
// refuses a store without it); a missing accessType is admitted, as ESO admits it, but
// cannot work.
func validateSecretRef(store esv1.GenericStore, ref *esv1.AkeylessSecretRef) []error {
	const field = authField + ".secretRef"
	if ref == nil || ref.AccessID == nil {
		return []error{fmt.Errorf("%s.accessID: required (or set %s.kubernetesAuth)", field, authField)}
	}
	errs := provider.ValidateSecretKeyRef(store, ref.AccessID, field+".accessID")
	if ref.AccessType == nil || ref.AccessType.Name == "" || ref.AccessType.Key == "" {
		errs = append(errs, provider.AdmittedMistake("%s.accessType: name the Secret key that holds the access type (api_key, access_key, k8s, aws_iam, azure_ad or gcp)", field))
	} else if err := provider.ValidateRefNamespace(store, ref.AccessType.Namespace, field+".accessType"); err != nil {
		errs = append(errs, err)
	}
	if ref.AccessTypeParam != nil {
		if err := provider.ValidateRefNamespace(store, ref.AccessTypeParam.Namespace, field+".accessTypeParam"); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
