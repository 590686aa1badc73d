package v1beta1

// KubernetesProvider reads Secrets of one namespace of a Kubernetes cluster: the one Ferry
// runs in, or another.
type KubernetesProvider struct {
	// Server is the API server to read from; by default the cluster Ferry runs in.
	// +optional
	Server KubernetesServer `json:"server,omitempty"`

	// Auth says how to authenticate to the API server. Exactly one method is set.
	// +optional
	Auth *KubernetesAuth `json:"auth,omitempty"`

	// AuthRef reads a kubeconfig from a Secret instead of Server and Auth.
	// +optional
	AuthRef *SecretKeySelector `json:"authRef,omitempty"`

	// RemoteNamespace is the namespace whose Secrets the store reads.
	// +kubebuilder:default=default
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	// +optional
	RemoteNamespace string `json:"remoteNamespace,omitempty"`
}

// KubernetesServer says where the API server is and how to verify it.
type KubernetesServer struct {
	// URL of the API server; kubernetes.default means the cluster Ferry runs in.
	// +kubebuilder:default=kubernetes.default
	// +optional
	URL string `json:"url,omitempty"`

	// CABundle holds PEM-encoded CA certificates that verify the API server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`
}

// KubernetesAuth says how to authenticate to the API server. Exactly one field is set.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type KubernetesAuth struct {
	// Cert authenticates with a client certificate.
	// +optional
	Cert *KubernetesCertAuth `json:"cert,omitempty"`

	// Token authenticates with a bearer token read from a Secret.
	// +optional
	Token *KubernetesTokenAuth `json:"token,omitempty"`

	// ServiceAccount authenticates with a token requested for this ServiceAccount.
	// +optional
	ServiceAccount *ServiceAccountSelector `json:"serviceAccount,omitempty"`
}

// KubernetesCertAuth names the Secret keys of a client certificate and its key.
type KubernetesCertAuth struct {
	// +optional
	ClientCert SecretKeySelector `json:"clientCert,omitempty"`
	// +optional
	ClientKey SecretKeySelector `json:"clientKey,omitempty"`
}

// KubernetesTokenAuth names the Secret key of a bearer token.
type KubernetesTokenAuth struct {
	// +optional
	BearerToken SecretKeySelector `json:"bearerToken,omitempty"`
}
