package v1

// v1 is the hub of conversions: every other version of a kind converts to and from v1, and
// the conversion webhook goes through v1 between any two other versions.

// AnnotationConversionData holds, as JSON, the values of fields that an object's current
// version has no place for, kept by conversions so that converting back restores them. Ferry
// writes it; users and controllers should leave it alone.
const AnnotationConversionData = "ferry.dev/conversion-data"

// Hub marks ExternalSecret as the conversion hub.
func (*ExternalSecret) Hub() {}

// Hub marks SecretStore as the conversion hub.
func (*SecretStore) Hub() {}

// Hub marks ClusterSecretStore as the conversion hub.
func (*ClusterSecretStore) Hub() {}
