package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// DefaultSymbolCharacters are the symbols a Password draws from when symbolCharacters is
// unset, as External Secrets Operator documents them.
const DefaultSymbolCharacters = "~!@#$%^&*()_+`-={}|[]\\:\"<>?,./"

// DefaultPasswordKey is the output key of a Password whose secretKeys is unset.
const DefaultPasswordKey = "password"

// PasswordSpec describes the random passwords a Password generator produces.
type PasswordSpec struct {
	// Length of each password, in characters.
	// +kubebuilder:default=24
	Length int `json:"length"`

	// Digits is how many characters are digits; unset means a quarter of the length.
	// +optional
	Digits *int `json:"digits,omitempty"`

	// Symbols is how many characters are symbols; unset means a quarter of the length.
	// +optional
	Symbols *int `json:"symbols,omitempty"`

	// SymbolCharacters are the symbols to draw from; unset means ~!@#$%^&*()_+`-={}|[]\:"<>?,./
	// +optional
	SymbolCharacters *string `json:"symbolCharacters,omitempty"`

	// NoUpper leaves out upper-case letters.
	// +kubebuilder:default=false
	NoUpper bool `json:"noUpper"`

	// AllowRepeat lets a character appear more than once in one password.
	// +kubebuilder:default=false
	AllowRepeat bool `json:"allowRepeat"`

	// Encoding of each password after it is generated.
	// +kubebuilder:validation:Enum=base64;base64url;base32;hex;raw
	// +kubebuilder:default=raw
	// +optional
	Encoding *string `json:"encoding,omitempty"`

	// SecretKeys are the output keys, each with a password of its own; unset means the one
	// key "password".
	// +optional
	SecretKeys []string `json:"secretKeys,omitempty"`
}

// Password generates random passwords.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type Password struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec PasswordSpec `json:"spec,omitempty"`
}

// PasswordList is a list of Password generators.
// +kubebuilder:object:root=true
type PasswordList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Password `json:"items"`
}
