package v1

// Reasons of an ExternalSecret's Ready condition. The first four are ESO's; Ferry adds
// more precise reasons for failures a user fixes in different places.
const (
	// ReasonSecretSynced: the target Secret holds the fetched values.
	ReasonSecretSynced = "SecretSynced"
	// ReasonSecretSyncedError: fetching or writing failed; the message says why.
	ReasonSecretSyncedError = "SecretSyncedError"
	// ReasonSecretDeleted: the remote data is gone and deletionPolicy Delete removed the Secret.
	ReasonSecretDeleted = "SecretDeleted"
	// ReasonSecretMissing: the target Secret does not exist and creationPolicy forbids creating it.
	ReasonSecretMissing = "SecretMissing"
	// ReasonStoreNotFound: the referenced store does not exist.
	ReasonStoreNotFound = "StoreNotFound"
	// ReasonStoreNotReady: the referenced store exists but failed validation.
	ReasonStoreNotReady = "StoreNotReady"
	// ReasonStoreNotAllowed: a ClusterSecretStore's conditions exclude this namespace.
	ReasonStoreNotAllowed = "StoreNotAllowed"
	// ReasonSecretOwnedElsewhere: another ExternalSecret owns the target Secret.
	ReasonSecretOwnedElsewhere = "SecretOwnedElsewhere"
	// ReasonInvalidSpec: the spec can never work as written; the message names the field.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonNotSupported: the spec uses a field this Ferry version does not act on yet.
	ReasonNotSupported = "NotSupported"
	// ReasonProviderNotImplemented: the store's provider (or the generator's kind) is part
	// of ESO's API, which Ferry serves and keeps, but Ferry cannot read from it. Stores,
	// ExternalSecrets and PushSecrets that use it say so with this reason.
	ReasonProviderNotImplemented = "ProviderNotImplemented"
)

// Reasons of a store's Ready condition.
const (
	// ReasonStoreValid: the store's configuration was validated.
	ReasonStoreValid = "Valid"
	// ReasonInvalidProviderConfig: the provider configuration is wrong as written.
	ReasonInvalidProviderConfig = "InvalidProviderConfig"
	// ReasonValidationFailed: the provider could not be reached or refused the credentials.
	ReasonValidationFailed = "ValidationFailed"
	// ReasonValidationUnknown: validation could not decide.
	ReasonValidationUnknown = "ValidationUnknown"
)

// Labels and annotations Ferry reads or writes, shared with External Secrets Operator.
const (
	// LabelManaged marks Secrets that an ExternalSecret manages.
	LabelManaged = "reconcile.external-secrets.io/managed"
	// LabelManagedValue is the value of LabelManaged.
	LabelManagedValue = "true"
	// AnnotationDataHash is a keyed HMAC of the managed Secret's data, to detect hand edits.
	AnnotationDataHash = "reconcile.external-secrets.io/data-hash"
	// AnnotationForceSync is the conventional annotation users change to force a sync;
	// any change of an ExternalSecret's annotations does the same.
	AnnotationForceSync = "force-sync"
)
