package devservers

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"text/template"

	"github.com/ferryhq/ferry/internal/provider/akeyless/akeylessfake"
	"github.com/ferryhq/ferry/internal/provider/bitwarden/bitwardenfake"
	"github.com/ferryhq/ferry/internal/provider/conjur/conjurfake"
	"github.com/ferryhq/ferry/internal/provider/delinea/delineafake"
	"github.com/ferryhq/ferry/internal/provider/doppler/dopplerfake"
	"github.com/ferryhq/ferry/internal/provider/gitlab/gitlabfake"
	"github.com/ferryhq/ferry/internal/provider/ibm/ibmfake"
	"github.com/ferryhq/ferry/internal/provider/infisical/infisicalfake"
	"github.com/ferryhq/ferry/internal/provider/onboardbase/onboardbasefake"
	"github.com/ferryhq/ferry/internal/provider/onepassword/onepasswordfake"
	"github.com/ferryhq/ferry/internal/provider/oracle/oraclefake"
	"github.com/ferryhq/ferry/internal/provider/passbolt/passboltfake"
	"github.com/ferryhq/ferry/internal/provider/previder/previderfake"
	"github.com/ferryhq/ferry/internal/provider/pulumi/pulumifake"
	"github.com/ferryhq/ferry/internal/provider/scaleway/scalewayfake"
	"github.com/ferryhq/ferry/internal/provider/secretserver/secretserverfake"
	"github.com/ferryhq/ferry/internal/provider/yandex/yandexfake"
)

//go:embed testdata/*.yaml
var manifests embed.FS

// Providers are the providers whose stand-ins Start runs, in the order of their manifests.
var Providers = []string{"akeyless", "conjur", "ibm", "secretserver", "delinea", "previder", "oracle",
	"onepassword", "bitwarden", "passbolt", "yandex",
	"gitlab", "scaleway", "pulumi", "onboardbase", "infisical", "doppler"}

// Target is an ExternalSecret of the rendered manifests and the data its target Secret
// must hold once it has synced: the bytes seeded in the provider's stand-in.
type Target struct {
	Provider       string
	ExternalSecret string
	Secret         string
	Data           map[string]string
}

// Servers are the running stand-ins, seeded.
type Servers struct {
	Akeyless     *akeylessfake.Server
	Conjur       *conjurfake.Server
	IBM          *ibmfake.Server
	SecretServer *secretserverfake.Server
	Delinea      *delineafake.Server
	Previder     *previderfake.Server
	Oracle       *oraclefake.Server
	OnePassword  *onepasswordfake.Server
	Bitwarden    *bitwardenfake.Server
	Passbolt     *passboltfake.Server
	Yandex       *yandexfake.Server
	GitLab       *gitlabfake.Server
	Scaleway     *scalewayfake.Server
	Pulumi       *pulumifake.Server
	Onboardbase  *onboardbasefake.Server
	Infisical    *infisicalfake.Server
	Doppler      *dopplerfake.Server

	// ociProxy and ociCA are what OperatorEnv gives the operator to reach Oracle.
	ociProxy string
	ociCA    []byte

	// values fill the manifests' placeholders.
	values  map[string]string
	targets []Target
	closers []func()
}

// Credentials the stand-ins accept, written into the manifests' Secrets.
const (
	conjurLogin  = "host/ferry-dev"
	conjurAPIKey = "conjur-api-key-3d9e"
	ibmAPIKey    = "ibm-api-key-ferry-dev-5b21"
)

// Start starts every stand-in on loopback and seeds it. Close stops them.
func Start() (_ *Servers, err error) {
	s := &Servers{values: map[string]string{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	for _, start := range []func() error{s.startAkeyless, s.startConjur, s.startIBM, s.startSecretServer, s.startDelinea, s.startPrevider, s.startOracle,
		s.startOnePassword, s.startBitwarden, s.startPassbolt, s.startYandex,
		s.startGitLab, s.startScaleway, s.startPulumi, s.startOnboardbase, s.startInfisical, s.startDoppler} {
		if err := start(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Close stops every stand-in.
func (s *Servers) Close() {
	for _, c := range s.closers {
		c()
	}
	s.closers = nil
}

// Targets are the ExternalSecrets of the manifests with the data each must sync.
func (s *Servers) Targets() []Target { return s.targets }

// Env is shell lines exporting each stand-in's address, for a developer's shell.
func (s *Servers) Env() string {
	var b strings.Builder
	for _, v := range [][2]string{{"AKEYLESS_URL", "akeylessURL"}, {"CONJUR_URL", "conjurURL"}, {"IBM_SERVICE_URL", "ibmServiceURL"},
		{"IBM_IAM_ENDPOINT", "ibmIAMEndpoint"}, {"SECRETSERVER_URL", "secretServerURL"}, {"DELINEA_URL_TEMPLATE", "delineaURLTemplate"},
		{"PREVIDER_URL", "previderURL"},
		{"ONEPASSWORD_CONNECT_HOST", "onePasswordURL"}, {"BITWARDEN_SDK_SERVER_URL", "bitwardenURL"}, {"PASSBOLT_URL", "passboltURL"},
		{"YANDEX_API_ENDPOINT", "yandexAPIEndpoint"},
		{"GITLAB_URL", "gitlabURL"}, {"SCALEWAY_API_URL", "scalewayURL"}, {"PULUMI_API_URL", "pulumiURL"},
		{"ONBOARDBASE_API_HOST", "onboardbaseAPIHost"}, {"INFISICAL_HOST_API", "infisicalURL"}, {"DOPPLER_BASE_URL", "dopplerURL"}} {
		fmt.Fprintf(&b, "export FERRY_DEV_%s=%s\n", v[0], shellQuote(s.values[v[1]]))
	}
	return b.String()
}

func shellQuote(v string) string { return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'" }

// Manifests renders testdata/<provider>.yaml for every provider, pointed at the running
// stand-ins: file name → YAML.
func (s *Servers) Manifests() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, p := range Providers {
		raw, err := fs.ReadFile(manifests, path.Join("testdata", p+".yaml"))
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(p).Option("missingkey=error").Parse(string(raw))
		if err != nil {
			return nil, fmt.Errorf("the %s manifest template: %w", p, err)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, s.values); err != nil {
			return nil, fmt.Errorf("rendering the %s manifests: %w", p, err)
		}
		out[p+".yaml"] = b.Bytes()
	}
	return out, nil
}

func (s *Servers) target(provider, externalSecret, secret string, data map[string]string) {
	s.targets = append(s.targets, Target{Provider: provider, ExternalSecret: externalSecret, Secret: secret, Data: data})
}

func (s *Servers) startAkeyless() error {
	f, err := akeylessfake.Start()
	if err != nil {
		return fmt.Errorf("starting the Akeyless stand-in: %w", err)
	}
	s.Akeyless, s.closers = f, append(s.closers, f.Close)
	f.PutStatic("/ferry-dev/db-password", "akeyless-pw-7f3a")
	f.PutStatic("/ferry-dev/db", `{"username":"akeyless-user","password":"akeyless-json-pw-91c2"}`)
	s.values["akeylessURL"] = f.URL
	s.values["akeylessAccessID"], s.values["akeylessAccessKey"] = f.AccessID, f.AccessKey
	s.target("akeyless", "akeyless-external-secret-example", "akeyless-secret-to-create", map[string]string{"secretKey": "akeyless-pw-7f3a"})
	s.target("akeyless", "akeyless-external-secret-example-json", "akeyless-secret-to-create-json",
		map[string]string{"username": "akeyless-user", "password": "akeyless-json-pw-91c2"})
	s.target("akeyless", "akeyless-external-secret-example-json-property", "akeyless-secret-to-create-json-property",
		map[string]string{"username": "akeyless-user"})
	return nil
}

func (s *Servers) startConjur() error {
	f, err := conjurfake.Start(nil)
	if err != nil {
		return fmt.Errorf("starting the Conjur stand-in: %w", err)
	}
	s.Conjur, s.closers = f, append(s.closers, f.Close)
	f.AddAPIKey(conjurLogin, conjurAPIKey)
	f.Put("data/app1/secret00", "conjur-secret00-4b7d", nil)
	s.values["conjurURL"], s.values["conjurAccount"] = f.URL, f.Account
	s.values["conjurLogin"], s.values["conjurAPIKey"] = conjurLogin, conjurAPIKey
	s.values["conjurCABundle"] = indent(string(f.CertificatePEM()), 8)
	s.target("conjur", "conjur", "conjur", map[string]string{"secret00": "conjur-secret00-4b7d"})
	return nil
}

func (s *Servers) startIBM() error {
	f, err := ibmfake.Start(ibmAPIKey)
	if err != nil {
		return fmt.Errorf("starting the IBM Cloud stand-ins: %w", err)
	}
	s.IBM, s.closers = f, append(s.closers, f.Close)
	id, _ := f.Put("default", "username_password", "ferry-dev-db", map[string]any{"username": "ibm-user", "password": "ibm-pw-2e8f"})
	s.values["ibmServiceURL"], s.values["ibmIAMEndpoint"] = f.SM.URL, f.IAM.URL
	s.values["ibmAPIKey"], s.values["ibmSecretID"] = ibmAPIKey, id
	want := map[string]string{"username": "ibm-user", "password": "ibm-pw-2e8f"}
	s.target("ibm", "database-credentials", "database-credentials", want)
	s.target("ibm", "database-credentials-by-name", "database-credentials-by-name", want)
	return nil
}

func (s *Servers) startSecretServer() error {
	f, err := secretserverfake.Start()
	if err != nil {
		return fmt.Errorf("starting the Secret Server stand-in: %w", err)
	}
	s.SecretServer, s.closers = f, append(s.closers, f.Close)
	id := f.Put("/Ferry/Dev", "ferry-dev-db",
		secretserverfake.Item{Name: "Username", Slug: "username", Value: "ss-user"},
		secretserverfake.Item{Name: "Password", Slug: "password", Value: "ss-pw-6a0d"})
	f.Put("/Ferry/Dev", "ferry-dev-json", secretserverfake.Item{Name: "Data", Slug: "data",
		Value: `{"user":"marktwain@hannibal.com","books":["tomSawyer","huckleberryFinn"]}`})
	s.values["secretServerURL"] = f.BaseURL()
	s.values["secretServerUsername"], s.values["secretServerPassword"] = f.Username, f.Password
	s.values["secretServerID"] = strconv.Itoa(id)
	s.target("secretserver", "secret-server-external-secret", "secret-server-external-secret",
		map[string]string{"password": "ss-pw-6a0d"})
	s.target("secretserver", "secret-server-external-secret-by-path", "secret-server-external-secret-by-path",
		map[string]string{"SecretServerValue": "huckleberryFinn"})
	return nil
}

func (s *Servers) startDelinea() error {
	f, err := delineafake.Start()
	if err != nil {
		return fmt.Errorf("starting the DevOps Secrets Vault stand-in: %w", err)
	}
	s.Delinea, s.closers = f, append(s.closers, f.Close)
	f.Put("ferry-dev/db", map[string]any{"username": "dsv-user", "password": "dsv-pw-0c5e"}, nil)
	s.values["delineaTenant"], s.values["delineaTLD"], s.values["delineaURLTemplate"] = f.Tenant, f.TLD, f.URLTemplate()
	s.values["delineaClientID"], s.values["delineaClientSecret"] = f.ClientID, f.ClientSecret
	s.target("delinea", "secret", "secret", map[string]string{"password": "dsv-pw-0c5e"})
	return nil
}

func (s *Servers) startPrevider() error {
	f, err := previderfake.Start()
	if err != nil {
		return fmt.Errorf("starting the Previder stand-in: %w", err)
	}
	s.Previder, s.closers = f, append(s.closers, f.Close)
	f.Put("ferry-dev-token", "previder-token-8d14")
	s.values["previderURL"], s.values["previderToken"] = f.URL, previderfake.ReadOnlyToken
	s.target("previder", "example", "example-secret", map[string]string{"local-secret-key": "previder-token-8d14"})
	return nil
}

// indent prefixes every line of text but the first with n spaces, for a YAML block scalar.
func indent(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines, "\n"+strings.Repeat(" ", n))
}
