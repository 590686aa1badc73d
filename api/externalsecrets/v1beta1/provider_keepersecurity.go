package v1beta1

// KeeperSecurityProvider reads records from Keeper Secrets Manager and pushes to the
// records of type externalSecrets it creates.
type KeeperSecurityProvider struct {
	// AuthRef reads the credentials from one Secret key instead of auth.
	AuthRef SecretKeySelector `json:"authRef"`

	// FolderID is the UID of the shared folder PushSecret creates records in.
	FolderID string `json:"folderID"`
}
