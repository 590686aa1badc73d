package azurekv

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// secretsAPI is the part of the azsecrets client Ferry calls.
type secretsAPI interface {
	GetSecret(ctx context.Context, name, version string, options *azsecrets.GetSecretOptions) (azsecrets.GetSecretResponse, error)
	NewListSecretPropertiesPager(options *azsecrets.ListSecretPropertiesOptions) *runtime.Pager[azsecrets.ListSecretPropertiesResponse]
	SetSecret(ctx context.Context, name string, parameters azsecrets.SetSecretParameters, options *azsecrets.SetSecretOptions) (azsecrets.SetSecretResponse, error)
	DeleteSecret(ctx context.Context, name string, options *azsecrets.DeleteSecretOptions) (azsecrets.DeleteSecretResponse, error)
}

// keysAPI is the part of the azkeys client Ferry calls.
type keysAPI interface {
	GetKey(ctx context.Context, name, version string, options *azkeys.GetKeyOptions) (azkeys.GetKeyResponse, error)
}

// certificatesAPI reads a certificate's public part (DER) and tags.
type certificatesAPI interface {
	GetCertificate(ctx context.Context, name, version string) (certificate, error)
}

var (
	_ secretsAPI = (*azsecrets.Client)(nil)
	_ keysAPI    = (*azkeys.Client)(nil)
)
