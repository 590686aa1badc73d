package scaleway

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.scaleway"

// The formats Scaleway's SDK (and so ESO) accepts for a region and a project ID.
var (
	regionFormat = regexp.MustCompile(`^[a-z]{2}-[a-z]{3}$`)
	uuidFormat   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// ValidateStore checks the store as written, without any call; errors name the field.
// The webhook and the store controller both call it. What ESO refuses is refused; a
// project ID or API URL that ESO admits but that cannot work is an admitted mistake:
// the webhook warns and the store reports it.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Scaleway == nil {
		return errors.New(field + ": required")
	}
	s := spec.Provider.Scaleway
	var errs []error
	switch {
	case s.Region == "":
		errs = append(errs, errors.New(field+".region: required, e.g. fr-par, nl-ams or pl-waw"))
	case !regionFormat.MatchString(s.Region):
		errs = append(errs, fmt.Errorf("%s.region: %q is not a Scaleway region such as fr-par", field, s.Region))
	}
	switch {
	case s.ProjectID == "":
		errs = append(errs, errors.New(field+".projectId: required"))
	case !uuidFormat.MatchString(s.ProjectID):
		// Some of the SDK versions ESO builds with match a UUID anywhere in the string.
		errs = append(errs, provider.AdmittedMistake("%s.projectId: %q is not a project ID (a UUID)", field, s.ProjectID))
	}
	if s.APIURL != "" {
		if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// ESO only checks that the URL parses.
			errs = append(errs, provider.AdmittedMistake("%s.apiUrl: %q is not an http(s) URL such as %s", field, s.APIURL, DefaultAPIURL))
		}
	}
	errs = append(errs, provider.ValidateInlineOrSecret(store, s.AccessKey, field+".accessKey")...)
	errs = append(errs, provider.ValidateInlineOrSecret(store, s.SecretKey, field+".secretKey")...)
	return errors.Join(errs...)
}
