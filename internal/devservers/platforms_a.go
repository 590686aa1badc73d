package devservers

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/ferryhq/ferry/internal/provider/doppler/dopplerfake"
	"github.com/ferryhq/ferry/internal/provider/gitlab/gitlabfake"
	"github.com/ferryhq/ferry/internal/provider/infisical/infisicalfake"
	"github.com/ferryhq/ferry/internal/provider/onboardbase/onboardbasefake"
	"github.com/ferryhq/ferry/internal/provider/pulumi/pulumifake"
	"github.com/ferryhq/ferry/internal/provider/scaleway/scalewayfake"
)

// Credentials the developer-platform stand-ins accept, written into the manifests' Secrets.
const (
	onboardbaseAPIKey     = "OBB-FERRY-DEV-2M7QK4XWZ9"
	onboardbasePasscode   = "ferry-dev-passcode"
	infisicalClientID     = "ferry-dev-client"
	infisicalClientSecret = "infisical-client-secret-0f7d"
	dopplerServiceToken   = "dp.st.dev.ferry0dev0service0token0c9a"
)

// The developer-platform providers' stand-ins (GitLab, Scaleway, Pulumi ESC, Onboardbase,
// Infisical, Doppler): each start function seeds its stand-in with the values the
// ExternalSecrets of testdata/<provider>.yaml name and records the bytes they must sync.

func (s *Servers) startGitLab() error {
	f, err := gitlabfake.Start()
	if err != nil {
		return fmt.Errorf("starting the GitLab stand-in: %w", err)
	}
	s.GitLab, s.closers = f, append(s.closers, f.Close)
	// The snippet's store reads two groups besides the project, for environment production.
	f.AddOwner("groups/12345")
	f.AddOwner("groups/67890")
	project := "projects/" + gitlabfake.Project
	f.Set(project, gitlabfake.Variable{Key: "myGitlabVariable", Value: "gitlab-var-51c8"})
	f.Set(project, gitlabfake.Variable{Key: "all_keys_example_secret", EnvironmentScope: "production",
		Value: `{"username":"gitlab-user","password":"gitlab-pw-2d7a"}`})
	f.Set("groups/12345", gitlabfake.Variable{Key: "MY_JSON_CONFIG", Value: `{"database":{"password":"gitlab-db-pw-90fe"}}`})
	f.Set(project, gitlabfake.Variable{Key: "PROD_API_TOKEN", EnvironmentScope: "production", Value: "gitlab-prod-token-6b3c"})
	f.Set(project, gitlabfake.Variable{Key: "PROD_DB_URL", EnvironmentScope: "production", Value: "postgres://db.prod:5432/app"})
	f.Set(project, gitlabfake.Variable{Key: "PROD_DB_URL", EnvironmentScope: "staging", Value: "postgres://db.staging:5432/app"})
	s.values["gitlabURL"], s.values["gitlabToken"], s.values["gitlabProject"] = f.URL, gitlabfake.Token, gitlabfake.Project
	s.values["gitlabCABundle"] = base64.StdEncoding.EncodeToString(f.CertificatePEM())
	s.target("gitlab", "gitlab-external-secret-example", "gitlab-secret-to-create", map[string]string{"secretKey": "gitlab-var-51c8"})
	s.target("gitlab", "gitlab-external-secret-example-json", "gitlab-secret-to-create-json",
		map[string]string{"username": "gitlab-user", "password": "gitlab-pw-2d7a"})
	s.target("gitlab", "gitlab-json-property-example", "gitlab-secret-to-create-json-property",
		map[string]string{"db-password": "gitlab-db-pw-90fe"})
	s.target("gitlab", "gitlab-find-example", "gitlab-secret-to-create-find",
		map[string]string{"PROD_API_TOKEN": "gitlab-prod-token-6b3c", "PROD_DB_URL": "postgres://db.prod:5432/app"})
	return nil
}

func (s *Servers) startScaleway() error {
	f, err := scalewayfake.Start()
	if err != nil {
		return fmt.Errorf("starting the Scaleway stand-in: %w", err)
	}
	s.Scaleway, s.closers = f, append(s.closers, f.Close)
	tokenID, _ := f.Put("/", "ferry-dev-api-token", []byte("scw-token-v1-40af"))
	_, latest := f.Put("/", "ferry-dev-api-token", []byte("scw-token-v2-disabled"))
	f.Disable(tokenID, latest)
	f.Put("/", "ferry-dev-note", []byte("scw-note-8e21"))
	f.Put("/ferry/dev", "ferry-dev-cert", []byte("scw-cert-3c90"))
	personID, _ := f.Put("/", "ferry-dev-person", []byte(`{"first":"Tom","last":"Anderson"}`))
	s.values["scalewayURL"], s.values["scalewayRegion"], s.values["scalewayProject"] = f.URL, scalewayfake.Region, scalewayfake.Project
	s.values["scalewaySecretKey"], s.values["scalewayTokenID"], s.values["scalewayPersonID"] = scalewayfake.SecretKey, tokenID, personID
	s.target("scaleway", "scaleway-secret", "scaleway-secret",
		map[string]string{"api-token": "scw-token-v1-40af", "by-name": "scw-note-8e21", "by-path": "scw-cert-3c90"})
	s.target("scaleway", "scaleway-extract-data", "scaleway-secret-data", map[string]string{"first_name": "Tom", "last_name": "Anderson"})
	return nil
}

func (s *Servers) startPulumi() error {
	f, err := pulumifake.Start()
	if err != nil {
		return fmt.Errorf("starting the Pulumi ESC stand-in: %w", err)
	}
	s.Pulumi, s.closers = f, append(s.closers, f.Close)
	f.Set("root", map[string]any{
		"nested":       "esc-nested-1d4f",
		"double":       map[string]any{"nest": "esc-double-nest-7a20"},
		"array":        []any{map[string]any{"nested": "esc-array-nested-c3e9"}},
		"key with a .": "esc-dotted-58b1",
	})
	f.Set("backstage", map[string]any{"my": "test", "test": "hello", "test22": map[string]any{"my": "hello"},
		"test33": map[string]any{"world": true}, "x": true, "num": 42})
	s.values["pulumiURL"], s.values["pulumiToken"] = f.APIURL(), pulumifake.Token
	s.values["pulumiOrg"], s.values["pulumiProject"], s.values["pulumiEnv"] = pulumifake.Org, pulumifake.Project, pulumifake.Env
	s.target("pulumi", "pulumi-secret", "pulumi-secret", map[string]string{"nested": "esc-nested-1d4f",
		"double-nest": "esc-double-nest-7a20", "array-nested": "esc-array-nested-c3e9", "dotted": "esc-dotted-58b1"})
	s.target("pulumi", "pulumi-backstage", "pulumi-backstage", map[string]string{"my": "test", "test": "hello",
		"test22": `{"my":"hello"}`, "test33": `{"world":true}`, "x": "true", "num": "42"})
	return nil
}

func (s *Servers) startOnboardbase() error {
	f, err := onboardbasefake.Start()
	if err != nil {
		return fmt.Errorf("starting the Onboardbase stand-in: %w", err)
	}
	s.Onboardbase, s.closers = f, append(s.closers, f.Close)
	f.AddKey(onboardbaseAPIKey, onboardbasePasscode)
	f.AddEnvironment("backend-env", "development")
	f.Set("backend-env", "development", "DATABASE_URI", "postgres://obb-user:obb-pw-6d2e@db:5432/app")
	f.Set("backend-env", "development", "DATABASE_POOL", "20")
	f.Set("backend-env", "development", "SENTRY_DSN", "https://obb-dsn-91af@sentry.example/1")
	s.values["onboardbaseAPIHost"] = f.APIHost()
	s.values["onboardbaseAPIKey"], s.values["onboardbasePasscode"] = onboardbaseAPIKey, onboardbasePasscode
	uri := "postgres://obb-user:obb-pw-6d2e@db:5432/app"
	s.target("onboardbase", "service-name-secrets", "service-name-secrets", map[string]string{"DATABASE_URI": uri})
	s.target("onboardbase", "service-name-secrets-all", "service-name-secrets-all",
		map[string]string{"DATABASE_URI": uri, "DATABASE_POOL": "20", "SENTRY_DSN": "https://obb-dsn-91af@sentry.example/1"})
	s.target("onboardbase", "service-name-secrets-filtered", "service-name-secrets-filtered",
		map[string]string{"DATABASE_URI": uri, "DATABASE_POOL": "20"})
	return nil
}

func (s *Servers) startInfisical() error {
	f, err := infisicalfake.Start()
	if err != nil {
		return fmt.Errorf("starting the Infisical stand-in: %w", err)
	}
	s.Infisical, s.closers = f, append(s.closers, f.Close)
	f.AddIdentity("universal-auth", map[string]string{"clientId": infisicalClientID, "clientSecret": infisicalClientSecret})
	// The page's example project: /API_KEY, /DB_PASSWORD, /JSON_BLOB and /my-app/{SERVICE,ADMIN}_PASSWORD.
	f.Put("/", "API_KEY", "inf-api-key-72c1")
	f.Put("/", "DB_PASSWORD", "inf-db-pw-e04b")
	f.Put("/", "JSON_BLOB", `{"key": "value"}`)
	f.Put("/my-app", "SERVICE_PASSWORD", "inf-service-pw-19d8")
	f.Put("/my-app", "ADMIN_PASSWORD", "inf-admin-pw-a63f")
	s.values["infisicalURL"], s.values["infisicalCABundle"] = f.URL, base64.StdEncoding.EncodeToString(f.CertificatePEM())
	s.values["infisicalClientID"], s.values["infisicalClientSecret"] = infisicalClientID, infisicalClientSecret
	s.values["infisicalProject"], s.values["infisicalEnv"] = infisicalfake.ProjectSlug, infisicalfake.Env
	myApp := map[string]string{"SERVICE_PASSWORD": "inf-service-pw-19d8", "ADMIN_PASSWORD": "inf-admin-pw-a63f"}
	all := map[string]string{"API_KEY": "inf-api-key-72c1", "DB_PASSWORD": "inf-db-pw-e04b", "JSON_BLOB": `{"key": "value"}`}
	maps.Copy(all, myApp)
	s.target("infisical", "infisical-managed-secrets", "infisical-auth-api", map[string]string{"API_KEY": "inf-api-key-72c1"})
	s.target("infisical", "infisical-managed-secrets-all", "infisical-auth-api-all", all)
	s.target("infisical", "infisical-managed-secrets-filtered", "infisical-auth-api-filtered", myApp)
	return nil
}

// startDoppler seeds the page's fictional auth-api project, config dev, readable with a
// service token. The stores name no host (Ferry's CRD has none): platformOperatorEnv gives
// the operator the stand-in's address and certificate.
func (s *Servers) startDoppler() error {
	f, err := dopplerfake.Start()
	if err != nil {
		return fmt.Errorf("starting the Doppler stand-in: %w", err)
	}
	s.Doppler, s.closers = f, append(s.closers, f.Close)
	secrets := map[string]string{
		"DB_URL":      "postgres://auth-api:dp-db-pw-4c1a@db.auth-api:5432/auth",
		"DB_PASSWORD": "dp-db-pw-4c1a",
		"API_KEY":     "dp-api-key-8b3e",
		"SA_JSON":     `{"type":"service_account","client_email":"auth-api@ferry.dev","private_key_id":"dp-sa-7e02"}`,
	}
	f.SetConfig("auth-api/dev", maps.Clone(secrets))
	f.AddServiceToken(dopplerServiceToken, "auth-api/dev")
	s.values["dopplerURL"], s.values["dopplerServiceToken"] = f.URL, dopplerServiceToken
	// The JSON download is the config as one JSON object, as the stand-in encodes it.
	file, err := json.Marshal(secrets)
	if err != nil {
		return err
	}
	s.target("doppler", "auth-api-db-url", "auth-api-db-url", map[string]string{"DB_URL": secrets["DB_URL"]})
	s.target("doppler", "auth-api-all", "auth-api-all", secrets)
	s.target("doppler", "auth-api-db", "auth-api-db", map[string]string{"DB_URL": secrets["DB_URL"], "DB_PASSWORD": secrets["DB_PASSWORD"]})
	s.target("doppler", "auth-api-sa-json", "auth-api-sa-json",
		map[string]string{"type": "service_account", "client_email": "auth-api@ferry.dev", "private_key_id": "dp-sa-7e02"})
	s.target("doppler", "auth-api-transformed", "auth-api-transformed", map[string]string{"db-url": secrets["DB_URL"],
		"db-password": secrets["DB_PASSWORD"], "api-key": secrets["API_KEY"], "sa-json": secrets["SA_JSON"]})
	s.target("doppler", "auth-api-json-file", "auth-api-json-file", map[string]string{"DOPPLER_SECRETS_FILE": string(file) + "\n"})
	return nil
}

// platformOperatorEnv is what the operator's environment needs for the Doppler stand-in,
// whose address no store field names, and the certificate it must trust for it.
func (s *Servers) platformOperatorEnv() (env []string, caPEM []byte) {
	return []string{"DOPPLER_BASE_URL=" + s.Doppler.URL}, s.Doppler.CertificatePEM()
}
