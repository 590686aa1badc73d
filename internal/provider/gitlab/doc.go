// Package gitlab is Ferry's provider for GitLab CI/CD variables (spec.provider.gitlab): it
// reads the variables of a project and its groups for one environment scope, finds them by
// name, and pushes and deletes them for PushSecret, over GitLab's REST API v4 with
// net/http.
//
// The variables a store sees (its groups', then its project's, the environment's own over
// the wildcard's) are read as one document per refresh (flatscope.Batch), so every
// ExternalSecret on a store shares one listing. It must not put a value or the access
// token in an error or a log line.
package gitlab
