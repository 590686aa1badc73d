// Package doppler is Ferry's provider for Doppler (spec.provider.doppler): it reads the
// secrets of one Doppler config, finds them by name, and pushes and deletes them for
// PushSecret, over Doppler's v3 REST API with net/http.
//
// A config is downloaded whole in one call, so the fetcher serves every ExternalSecret on
// a store from one download per refresh (flatscope.Batch). It authenticates with a Doppler
// token read from a Secret, or with a ServiceAccount token exchanged for a Doppler token
// through a service account identity (OIDC), kept until shortly before it expires.
//
// It must not put a secret value or a token in an error or a log line.
package doppler
