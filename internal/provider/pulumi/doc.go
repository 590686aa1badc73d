// Package pulumi is Ferry's provider for Pulumi ESC environments (spec.provider.pulumi): it
// opens the store's environment through the ESC REST API and reads values from the open
// session by property path, authenticated by an access token in
// "Authorization: token <token>": one from a Secret, or one obtained by exchanging a
// ServiceAccount token at Pulumi Cloud's OAuth token exchange (auth.oidcConfig).
//
// An open session is a snapshot of the environment's resolved values, so a client reuses
// one for a few seconds only (the reads of one refresh wave), then opens again. PushSecret
// edits the environment's YAML definition and overwrites or deletes only the values whose
// key carries Ferry's ownership comment. Find is not implemented, as in ESO.
//
// It must not put a value or the token in an error or a log line.
package pulumi
