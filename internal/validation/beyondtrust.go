package validation

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// beyondtrustSiteID is the form of a BeyondTrust site ID, a version 4 UUID, as External
// Secrets Operator requires it.
var beyondtrustSiteID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)

// BeyondtrustDynamicSecretPath splits a BeyondtrustWorkloadCredentialsDynamicSecret's
// folderPath, FOLDER/.../NAME, into the folder ("" at the top) and the name of the dynamic
// secret definition; ok is false when there is no name.
func BeyondtrustDynamicSecretPath(folderPath string) (folder, name string, ok bool) {
	folder, name = "", folderPath
	if i := strings.LastIndex(folderPath, "/"); i >= 0 {
		folder, name = folderPath[:i], folderPath[i+1:]
	}
	return folder, name, name != ""
}

// beyondtrustDynamicSecret checks a BeyondtrustWorkloadCredentialsDynamicSecret's spec: an
// https server, a site ID, the Secret key of the API key and the path of a definition.
func beyondtrustDynamicSecret(s *genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretSpec, field string) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	p := s.Provider
	if u, err := url.Parse(p.Server.APIURL); err != nil || u.Scheme != "https" || u.Host == "" {
		add("%s.provider.server.apiUrl: %q is not an https URL: give the API's base, e.g. https://api.beyondtrust.io/site", field, p.Server.APIURL)
	}
	if !beyondtrustSiteID.MatchString(p.Server.SiteID) {
		add("%s.provider.server.siteId: %q is not a site ID: BeyondTrust's site IDs are UUIDs", field, p.Server.SiteID)
	}
	if p.Auth.APIKey.Token.Name == "" || p.Auth.APIKey.Token.Key == "" {
		add("%s.provider.auth.apikey.token: name and key are required: the Secret key holding the API key", field)
	}
	if _, _, ok := BeyondtrustDynamicSecretPath(p.FolderPath); !ok {
		add("%s.provider.folderPath: %q names no dynamic secret: write FOLDER/NAME, or NAME for one at the top", field, p.FolderPath)
	}
	if ca := p.CAProvider; ca != nil && (ca.Name == "" || ca.Key == "") {
		add("%s.provider.caProvider: name and key are required", field)
	}
	return errs
}
