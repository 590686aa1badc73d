package v1beta1

// KeeperSecurityProvider reads records from Keeper Secrets Manager.
type KeeperSecurityProvider struct {
	// AuthRef reads the credentials from one Secret key instead of auth.
	AuthRef SecretKeySelector `json:"authRef"`

	// FolderID is the folder ID.
	FolderID string `json:"folderID"`
}
