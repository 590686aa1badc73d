package v1

// CRDProvider reads values from custom resources of a Kubernetes cluster.
// +kubebuilder:validation:XValidation:rule="has(self.auth) || has(self.authRef)",message="set auth or authRef"
// +kubebuilder:validation:XValidation:rule="[has(self.auth),has(self.authRef)].filter(x,x==true).size() <= 1",message="set at most one of auth and authRef"
type CRDProvider struct {
	// Auth says how to authenticate.
	// +optional
	Auth *KubernetesAuth `json:"auth,omitempty"`

	// AuthRef reads the credentials from one Secret key instead of auth.
	// +optional
	AuthRef *SecretKeySelector `json:"authRef,omitempty"`

	// Resource names the kind of custom resource read.
	Resource CRDResource `json:"resource"`

	// Server says where the server is.
	// +optional
	Server *KubernetesServer `json:"server,omitempty"`

	// Whitelist limits which objects and properties may be read.
	// +optional
	Whitelist *CRDWhitelist `json:"whitelist,omitempty"`
}

// CRDResource holds the resource settings of the custom resources of a Kubernetes cluster provider.
type CRDResource struct {
	// Group is the API group of the custom resource.
	Group string `json:"group"`

	// Kind is the kind of the custom resource.
	// +kubebuilder:validation:MinLength=1
	Kind string `json:"kind"`

	// Version is the API version of the custom resource.
	// +kubebuilder:validation:MinLength=1
	Version string `json:"version"`
}

// CRDWhitelist holds the whitelist settings of the custom resources of a Kubernetes cluster provider.
type CRDWhitelist struct {
	// Rules lists the objects that may be read.
	// +optional
	Rules []CRDRule `json:"rules,omitempty"`
}

// CRDRule holds the whitelist.rules[] settings of the custom resources of a Kubernetes cluster provider.
type CRDRule struct {
	// Name is the name of the objects the rule allows.
	// +optional
	Name string `json:"name,omitempty"`

	// Namespace is the namespace of the objects the rule allows.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Properties lists the properties the rule allows.
	// +optional
	Properties []string `json:"properties,omitempty"`
}
