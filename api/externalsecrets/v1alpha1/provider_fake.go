package v1alpha1

// FakeProvider serves static values from the store's spec. It exists for tests and demos.
type FakeProvider struct {
	// Data are the values the store serves.
	Data []FakeProviderData `json:"data"`
}

// FakeProviderData is one value of a fake store: Value serves data entries, ValueMap serves
// dataFrom entries. v1 serves both from Value, holding JSON for dataFrom.
type FakeProviderData struct {
	// Key of the value.
	Key string `json:"key"`
	// Value, a string.
	// +optional
	Value string `json:"value,omitempty"`
	// ValueMap, the keys and values a dataFrom entry reads.
	// +optional
	ValueMap map[string]string `json:"valueMap,omitempty"`
	// Version of the value; empty matches a request without a version.
	// +optional
	Version string `json:"version,omitempty"`
}
