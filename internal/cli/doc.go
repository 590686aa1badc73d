// Package cli implements the commands of the kubectl plugin (kubectl ferry status|sync|explain),
// which the ferry binary also serves as subcommands. They act as the user, through the user's
// kubeconfig, on ExternalSecrets, their stores and events.
//
// It must not read Secret data: the target Secret is looked at through its metadata only, so
// nothing the commands print can hold a secret value.
package cli
