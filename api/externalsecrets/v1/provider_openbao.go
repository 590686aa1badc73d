package v1

// OpenBaoProvider reads secrets from an OpenBao KV secrets engine.
// +kubebuilder:validation:XValidation:rule="[has(self.caBundle),has(self.caProvider)].filter(x,x==true).size() <= 1",message="set at most one of caBundle and caProvider"
type OpenBaoProvider struct {
	// Auth says how to authenticate.
	// +optional
	Auth *OpenBaoAuth `json:"auth,omitempty"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// Namespace is the OpenBao namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Path is the mount path of the KV secrets engine.
	// +optional
	Path string `json:"path,omitempty"`

	// Server is the URL of the OpenBao server.
	Server string `json:"server"`

	// Version is the version of the KV secrets engine.
	// +kubebuilder:validation:Enum=v1;v2
	// +kubebuilder:default="v2"
	// +optional
	Version string `json:"version,omitempty"`
}

// OpenBaoAuth holds the auth settings of the OpenBao provider.
// +kubebuilder:validation:XValidation:rule="[has(self.appRole),has(self.tokenSecretRef),has(self.userPass)].filter(x,x==true).size() == 1",message="set exactly one of appRole, tokenSecretRef and userPass"
type OpenBaoAuth struct {
	// AppRole holds the app role settings.
	// +optional
	AppRole *OpenBaoAppRole `json:"appRole,omitempty"`

	// Namespace is the OpenBao namespace to authenticate in.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// TokenSecretRef names the Secret key that holds the token.
	// +optional
	TokenSecretRef *SecretKeySelector `json:"tokenSecretRef,omitempty"`

	// UserPass holds the user pass settings.
	// +optional
	UserPass *VaultUserPassAuth `json:"userPass,omitempty"`
}

// OpenBaoAppRole holds the auth.appRole settings of the OpenBao provider.
// +kubebuilder:validation:XValidation:rule="[has(self.roleId),has(self.roleRef)].filter(x,x==true).size() == 1",message="set exactly one of roleId and roleRef"
type OpenBaoAppRole struct {
	// Path is the mount path of the authentication method.
	// +kubebuilder:default="approle"
	Path string `json:"path"`

	// RoleID is the role ID.
	// +kubebuilder:validation:MinLength=1
	// +optional
	RoleID string `json:"roleId,omitempty"`

	// RoleRef names the Secret key that holds the role ID.
	// +optional
	RoleRef *SecretKeySelector `json:"roleRef,omitempty"`

	// SecretRef names the Secret key that holds the secret ID.
	SecretRef SecretKeySelector `json:"secretRef"`
}
