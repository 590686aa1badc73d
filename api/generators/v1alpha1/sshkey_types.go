package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// SSHKeySpec describes the SSH key pair to generate.
type SSHKeySpec struct {
	// KeyType is the algorithm of the key.
	// +kubebuilder:validation:Enum=rsa;ecdsa;ed25519
	// +kubebuilder:default=rsa
	// +optional
	KeyType string `json:"keyType,omitempty"`

	// KeySize is the size in bits (RSA: 2048 and up; ECDSA: 256, 384 or 521); ed25519
	// ignores it.
	// +kubebuilder:validation:Minimum=256
	// +kubebuilder:validation:Maximum=8192
	// +optional
	KeySize *int `json:"keySize,omitempty"`

	// Comment is appended to the public key.
	// +optional
	Comment string `json:"comment,omitempty"`
}

// SSHKey generates an SSH key pair: keys privateKey (OpenSSH format) and publicKey.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type SSHKey struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec SSHKeySpec `json:"spec,omitempty"`
}

// SSHKeyList is a list of SSHKey generators.
// +kubebuilder:object:root=true
type SSHKeyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SSHKey `json:"items"`
}
