package v1alpha1

// AkeylessProvider configures the Akeyless platform, through its public API or a gateway.
// v1 adds a ServiceAccount at the top of authSecretRef and a switch around the gateway cache.
type AkeylessProvider struct {
	// AkeylessGWAPIURL is the API address, e.g. "https://api.akeyless.io" or a gateway's
	// "https://gw.example.com:8080/v2".
	AkeylessGWAPIURL string `json:"akeylessGWApiURL"`

	// Auth says how to authenticate: an access id read from a Secret, or Kubernetes auth.
	Auth AkeylessAuth `json:"authSecretRef"`

	// CABundle holds PEM-encoded CA certificates that verify an HTTPS gateway.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads those CA certificates from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`
}

// AkeylessAuth holds one way to authenticate to Akeyless.
type AkeylessAuth struct {
	// SecretRef reads the access id, access type and its parameter from Secrets.
	// +optional
	SecretRef *AkeylessAuthSecretRef `json:"secretRef,omitempty"`

	// KubernetesAuth logs in with a Kubernetes ServiceAccount token.
	// +optional
	KubernetesAuth *AkeylessKubernetesAuth `json:"kubernetesAuth,omitempty"`
}

// AkeylessAuthSecretRef names the Secret keys of an Akeyless access id, its access type
// (api_key, k8s, aws_iam, gcp, azure_ad) and that type's parameter.
type AkeylessAuthSecretRef struct {
	// AccessID is the auth method's access id.
	// +optional
	AccessID *SecretKeySelector `json:"accessID,omitempty"`

	// AccessType is the kind of auth method.
	// +optional
	AccessType *SecretKeySelector `json:"accessType,omitempty"`

	// AccessTypeParam is what the access type needs, e.g. the access key of api_key.
	// +optional
	AccessTypeParam *SecretKeySelector `json:"accessTypeParam,omitempty"`
}

// AkeylessKubernetesAuth logs in with Akeyless' Kubernetes auth method. The token comes from
// serviceAccountRef, else from secretRef, else from the controller's own ServiceAccount.
type AkeylessKubernetesAuth struct {
	// AccessID of the Kubernetes auth method.
	AccessID string `json:"accessID"`

	// K8sConfName is the name of the gateway's Kubernetes auth configuration.
	K8sConfName string `json:"k8sConfName"`

	// ServiceAccountRef is the ServiceAccount whose token is sent.
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`

	// SecretRef reads a ServiceAccount token from a Secret.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`
}
