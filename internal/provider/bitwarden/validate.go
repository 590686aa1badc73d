package bitwarden

import (
	"errors"
	"net/url"
	"regexp"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.bitwardensecretsmanager"

// uuidFormat is the form of Bitwarden's secret, project and organization IDs; a remote
// key of this form is read by ID, as ESO does.
var uuidFormat = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ValidateStore checks the store as written, without any call; errors name the field.
// What ESO refuses (no bitwardenServerSDKURL) is refused; what ESO admits but cannot work
// (an SDK server URL that is not https, IDs that are not UUIDs) is an admitted mistake:
// the webhook warns and the store reports it.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.BitwardenSecretsManager == nil {
		return errors.New(field + ": required")
	}
	b := spec.Provider.BitwardenSecretsManager
	var errs []error
	if b.BitwardenServerSDKURL == "" {
		errs = append(errs, errors.New(field+".bitwardenServerSDKURL: required, e.g. https://bitwarden-sdk-server.external-secrets.svc.cluster.local:9998"))
	} else if u, err := url.Parse(b.BitwardenServerSDKURL); err != nil || u.Scheme != "https" || u.Host == "" {
		// ESO does not check it; its client only speaks HTTPS.
		errs = append(errs, provider.AdmittedMistake("%s.bitwardenServerSDKURL: %q is not an https URL; the SDK server must serve HTTPS", field, b.BitwardenServerSDKURL))
	}
	for _, u := range []struct{ name, value string }{{"apiURL", b.APIURL}, {"identityURL", b.IdentityURL}} {
		if u.value == "" {
			continue
		}
		if parsed, err := url.Parse(u.value); err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			errs = append(errs, provider.AdmittedMistake("%s.%s: %q is not an http(s) URL", field, u.name, u.value))
		}
	}
	for _, id := range []struct{ name, value string }{{"organizationID", b.OrganizationID}, {"projectID", b.ProjectID}} {
		switch {
		case id.value == "":
			errs = append(errs, provider.AdmittedMistake("%s.%s: required: the store reads one project of one organization", field, id.name))
		case !uuidFormat.MatchString(id.value):
			errs = append(errs, provider.AdmittedMistake("%s.%s: %q is not a Bitwarden ID (a UUID)", field, id.name, id.value))
		}
	}
	errs = append(errs, provider.ValidateSecretKeyRef(store, &b.Auth.SecretRef.Credentials, field+".auth.secretRef.credentials")...)
	if b.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, b.CAProvider, field+".caProvider")...)
	}
	if b.CABundle != "" {
		if _, err := caBundlePEM(b.CABundle); err != nil {
			errs = append(errs, provider.AdmittedMistake("%s.caBundle: %v", field, err))
		}
	}
	return errors.Join(errs...)
}
