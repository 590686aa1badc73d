package v1

// AkeylessProvider reads secrets from Akeyless through an Akeyless gateway.
type AkeylessProvider struct {
	// AkeylessGWAPIURL is the URL of the Akeyless gateway API.
	AkeylessGWAPIURL string `json:"akeylessGWApiURL"`

	// AuthSecretRef says how to authenticate to Akeyless.
	AuthSecretRef AkeylessAuthSecretRef `json:"authSecretRef"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// IgnoreCache bypasses the gateway's cache.
	// +optional
	IgnoreCache bool `json:"ignoreCache,omitempty"`
}

// AkeylessAuthSecretRef holds the authSecretRef settings of the Akeyless provider.
type AkeylessAuthSecretRef struct {
	// KubernetesAuth holds the kubernetes auth settings.
	// +optional
	KubernetesAuth *AkeylessKubernetesAuth `json:"kubernetesAuth,omitempty"`

	// SecretRef reads the credentials from Secrets.
	// +optional
	SecretRef *AkeylessSecretRef `json:"secretRef,omitempty"`

	// ServiceAccountRef names the ServiceAccount whose token authenticates.
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`
}

// AkeylessKubernetesAuth holds the authSecretRef.kubernetesAuth settings of the Akeyless provider.
type AkeylessKubernetesAuth struct {
	// AccessID is the access ID.
	AccessID string `json:"accessID"`

	// K8sConfName is the name of the Kubernetes auth config in Akeyless.
	K8sConfName string `json:"k8sConfName"`

	// SecretRef names the Secret key that holds the value.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// ServiceAccountRef names the ServiceAccount whose token authenticates.
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`
}

// AkeylessSecretRef holds the authSecretRef.secretRef settings of the Akeyless provider.
type AkeylessSecretRef struct {
	// AccessID names the Secret key that holds the access ID.
	// +optional
	AccessID *SecretKeySelector `json:"accessID,omitempty"`

	// AccessType names the Secret key that holds the access type.
	// +optional
	AccessType *SecretKeySelector `json:"accessType,omitempty"`

	// AccessTypeParam names the Secret key that holds the access type param.
	// +optional
	AccessTypeParam *SecretKeySelector `json:"accessTypeParam,omitempty"`
}
