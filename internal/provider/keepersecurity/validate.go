package keepersecurity

import (
	"errors"
	"fmt"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.keepersecurity"

// ValidateStore checks the store as written, without any call; errors name the field. As
// ESO, it needs authRef (the Secret key holding the Secrets Manager configuration);
// folderID is only used to create a record when pushing, so a store that only reads may
// leave it empty.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.KeeperSecurity == nil {
		return errors.New(field + ": required")
	}
	ref := &spec.Provider.KeeperSecurity.AuthRef
	if ref.Name == "" || ref.Key == "" {
		return fmt.Errorf("%s.authRef: name and key are required: the Secret key that holds the Secrets Manager configuration (base64 JSON of hostname, clientId, privateKey, appKey, serverPublicKeyId)", field)
	}
	return errors.Join(provider.ValidateSecretKeyRef(store, ref, field+".authRef")...)
}
