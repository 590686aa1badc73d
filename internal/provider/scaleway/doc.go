// Package scaleway is Ferry's provider for Scaleway Secret Manager
// (spec.provider.scaleway): it reads secret versions by id, name or folder path, finds
// secrets by name, tag and folder, and pushes and deletes them for PushSecret, over the
// Secret Manager v1beta1 REST API with net/http, authenticated by the API key's secret
// key in the X-Auth-Token header.
//
// A secret is a container of numbered versions; reads take the latest enabled one unless
// remoteRef.version names another. PushSecret adds a version only when the value
// changes, and overwrites or deletes only secrets that carry Ferry's ownership tag.
//
// It must not put a secret value or a key in an error or a log line.
package scaleway
