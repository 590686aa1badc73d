// Package secretserver is the Delinea Secret Server provider: it reads a secret by numeric
// id, by folder path or by name, and returns the whole secret as External Secrets Operator
// renders it, one of its fields, or a key inside the JSON its first field holds. It pushes
// to one field of a secret, creates secrets from a template's stub and deletes them. It
// speaks Secret Server's REST API (/oauth2/token, /api/v1/secrets) with a plain net/http
// client.
//
// Secret Server keeps no tags, so a push must not reach past the secret its key names
// exactly, nor out of the folder its metadata names.
//
// It logs in with a username and password (the OAuth2 password grant) and keeps the access
// token until two thirds of its life have passed, or uses a token the store gives. It must
// not put a field's value, the password or a token in an error or a log line.
package secretserver
