package v1alpha1

import (
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/conversion"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Conversions between v1alpha1 and the hub, v1. Fields of one version that the other cannot
// hold are kept in the esv1.AnnotationConversionData annotation (see package lossless), so
// that v1alpha1 → v1 → v1alpha1 and v1 → v1alpha1 → v1 both give the original object back.
//
// What v1alpha1 means where it is silent becomes an explicit v1 value on the way up (the
// target Secret is retained, templated keys replace fetched ones, templates are data values),
// the same values the API server defaults into v1; so a v1alpha1 object read back from storage
// converts without an annotation.

var (
	_ conversion.Convertible = &ExternalSecret{}
	_ conversion.Convertible = &SecretStore{}
	_ conversion.Convertible = &ClusterSecretStore{}
)

// ConvertTo converts this ExternalSecret to the hub version, v1.
func (src *ExternalSecret) ConvertTo(hub conversion.Hub) error {
	dst, ok := hub.(*esv1.ExternalSecret)
	if !ok {
		return fmt.Errorf("convert a v1alpha1 ExternalSecret: want a v1 ExternalSecret, got %T", hub)
	}
	return lossless.Convert(src, &dst.ObjectMeta, Version, esv1.Version, func(st *lossless.Stash, in *ExternalSecret) {
		dst.Spec = externalSecretSpecToHub(st, &in.Spec)
		dst.Status = externalSecretStatusToHub(&in.Status)
	})
}

// ConvertFrom converts the hub version, v1, to this ExternalSecret.
func (dst *ExternalSecret) ConvertFrom(hub conversion.Hub) error {
	src, ok := hub.(*esv1.ExternalSecret)
	if !ok {
		return fmt.Errorf("convert to a v1alpha1 ExternalSecret: want a v1 ExternalSecret, got %T", hub)
	}
	return lossless.Convert(src, &dst.ObjectMeta, esv1.Version, Version, func(st *lossless.Stash, in *esv1.ExternalSecret) {
		dst.Spec = externalSecretSpecFromHub(st, &in.Spec)
		dst.Status = externalSecretStatusFromHub(&in.Status)
	})
}

// ConvertTo converts this SecretStore to the hub version, v1.
func (src *SecretStore) ConvertTo(hub conversion.Hub) error {
	dst, ok := hub.(*esv1.SecretStore)
	if !ok {
		return fmt.Errorf("convert a v1alpha1 SecretStore: want a v1 SecretStore, got %T", hub)
	}
	return lossless.Convert(src, &dst.ObjectMeta, Version, esv1.Version, func(st *lossless.Stash, in *SecretStore) {
		dst.Spec = storeSpecToHub(st, &in.Spec)
		dst.Status = storeStatusToHub(st, &in.Status)
	})
}

// ConvertFrom converts the hub version, v1, to this SecretStore.
func (dst *SecretStore) ConvertFrom(hub conversion.Hub) error {
	src, ok := hub.(*esv1.SecretStore)
	if !ok {
		return fmt.Errorf("convert to a v1alpha1 SecretStore: want a v1 SecretStore, got %T", hub)
	}
	return lossless.Convert(src, &dst.ObjectMeta, esv1.Version, Version, func(st *lossless.Stash, in *esv1.SecretStore) {
		dst.Spec = storeSpecFromHub(st, &in.Spec)
		dst.Status = storeStatusFromHub(st, &in.Status)
	})
}

// ConvertTo converts this ClusterSecretStore to the hub version, v1.
func (src *ClusterSecretStore) ConvertTo(hub conversion.Hub) error {
	dst, ok := hub.(*esv1.ClusterSecretStore)
	if !ok {
		return fmt.Errorf("convert a v1alpha1 ClusterSecretStore: want a v1 ClusterSecretStore, got %T", hub)
	}
	return lossless.Convert(src, &dst.ObjectMeta, Version, esv1.Version, func(st *lossless.Stash, in *ClusterSecretStore) {
		dst.Spec = storeSpecToHub(st, &in.Spec)
		dst.Status = storeStatusToHub(st, &in.Status)
	})
}

// ConvertFrom converts the hub version, v1, to this ClusterSecretStore.
func (dst *ClusterSecretStore) ConvertFrom(hub conversion.Hub) error {
	src, ok := hub.(*esv1.ClusterSecretStore)
	if !ok {
		return fmt.Errorf("convert to a v1alpha1 ClusterSecretStore: want a v1 ClusterSecretStore, got %T", hub)
	}
	return lossless.Convert(src, &dst.ObjectMeta, esv1.Version, Version, func(st *lossless.Stash, in *esv1.ClusterSecretStore) {
		dst.Spec = storeSpecFromHub(st, &in.Spec)
		dst.Status = storeStatusFromHub(st, &in.Status)
	})
}

// v1 fields of ExternalSecret that v1alpha1 has no place for, with what v1alpha1 means.
var (
	refreshPolicyField  = lossless.HubField[esv1.ExternalSecretRefreshPolicy]{Name: "spec.refreshPolicy"}
	syncWindowsField    = lossless.HubField[*esv1.SyncWindows]{Name: "spec.syncWindows"}
	deletionPolicyField = lossless.HubField[esv1.ExternalSecretDeletionPolicy]{
		Name: "spec.target.deletionPolicy", Default: esv1.DeletionPolicyRetain,
	}
	manifestField    = lossless.HubField[*esv1.ManifestReference]{Name: "spec.target.manifest"}
	mergePolicyField = lossless.HubField[esv1.TemplateMergePolicy]{
		Name: "spec.target.template.mergePolicy", Default: esv1.MergePolicyReplace,
	}
	finalizersField = lossless.HubField[[]string]{Name: "spec.target.template.metadata.finalizers"}
)

// Lists whose entries v1alpha1 can hold only in part.
var (
	dataSection = lossless.Section[[]esv1.ExternalSecretData, []ExternalSecretData]{
		Name: "spec.data", Down: dataFromHub, Up: dataToHub,
	}
	// v1alpha1 dataFrom entries are v1 extract entries; find and generator entries have no
	// v1alpha1 form and are left out of the v1alpha1 list.
	dataFromSection = lossless.Section[[]esv1.ExternalSecretDataFromRemoteRef, []ExternalSecretDataRemoteRef]{
		Name: "spec.dataFrom", Down: dataFromFromHub, Up: dataFromToHub,
	}
	// Literal templates have no v1alpha1 form and are left out of the v1alpha1 list.
	templateFromSection = lossless.Section[[]esv1.TemplateFrom, []TemplateFrom]{
		Name: "spec.target.template.templateFrom", Down: templateFromFromHub, Up: templateFromToHub,
	}
)

func externalSecretSpecToHub(st *lossless.Stash, in *ExternalSecretSpec) esv1.ExternalSecretSpec {
	return esv1.ExternalSecretSpec{
		SecretStoreRef:  esv1.SecretStoreRef(in.SecretStoreRef),
		Target:          targetToHub(st, &in.Target),
		RefreshPolicy:   refreshPolicyField.Restore(st),
		RefreshInterval: lossless.CopyPtr(in.RefreshInterval),
		Data:            dataSection.ToHub(st, in.Data),
		DataFrom:        dataFromSection.ToHub(st, in.DataFrom),
		SyncWindows:     syncWindowsField.Restore(st),
	}
}

func externalSecretSpecFromHub(st *lossless.Stash, in *esv1.ExternalSecretSpec) ExternalSecretSpec {
	refreshPolicyField.Keep(st, in.RefreshPolicy)
	syncWindowsField.Keep(st, in.SyncWindows)
	return ExternalSecretSpec{
		SecretStoreRef:  SecretStoreRef(in.SecretStoreRef),
		Target:          targetFromHub(st, &in.Target),
		RefreshInterval: lossless.CopyPtr(in.RefreshInterval),
		Data:            dataSection.FromHub(st, in.Data),
		DataFrom:        dataFromSection.FromHub(st, in.DataFrom),
	}
}

func targetToHub(st *lossless.Stash, in *ExternalSecretTarget) esv1.ExternalSecretTarget {
	out := esv1.ExternalSecretTarget{
		Name:           in.Name,
		CreationPolicy: esv1.ExternalSecretCreationPolicy(in.CreationPolicy),
		DeletionPolicy: deletionPolicyField.Restore(st),
		Manifest:       manifestField.Restore(st),
		Immutable:      in.Immutable,
	}
	if in.Template != nil {
		out.Template = &esv1.ExternalSecretTemplate{
			Type: in.Template.Type,
			// v1 has no engine v1; the value is kept as it is, for the controller to refuse
			// and for the way back.
			EngineVersion: esv1.TemplateEngineVersion(in.Template.EngineVersion),
			Metadata: esv1.ExternalSecretTemplateMetadata{
				Annotations: maps.Clone(in.Template.Metadata.Annotations),
				Labels:      maps.Clone(in.Template.Metadata.Labels),
				Finalizers:  finalizersField.Restore(st),
			},
			MergePolicy:  mergePolicyField.Restore(st),
			Data:         maps.Clone(in.Template.Data),
			TemplateFrom: templateFromSection.ToHub(st, in.Template.TemplateFrom),
		}
	}
	return out
}

func targetFromHub(st *lossless.Stash, in *esv1.ExternalSecretTarget) ExternalSecretTarget {
	deletionPolicyField.Keep(st, in.DeletionPolicy)
	manifestField.Keep(st, in.Manifest)
	out := ExternalSecretTarget{
		Name:           in.Name,
		CreationPolicy: ExternalSecretCreationPolicy(in.CreationPolicy),
		Immutable:      in.Immutable,
	}
	if in.Template != nil {
		finalizersField.Keep(st, in.Template.Metadata.Finalizers)
		mergePolicyField.Keep(st, in.Template.MergePolicy)
		out.Template = &ExternalSecretTemplate{
			Type:          in.Template.Type,
			EngineVersion: TemplateEngineVersion(in.Template.EngineVersion),
			Metadata: ExternalSecretTemplateMetadata{
				Annotations: maps.Clone(in.Template.Metadata.Annotations),
				Labels:      maps.Clone(in.Template.Metadata.Labels),
			},
			Data:         maps.Clone(in.Template.Data),
			TemplateFrom: templateFromSection.FromHub(st, in.Template.TemplateFrom),
		}
	}
	return out
}

func templateFromToHub(in []TemplateFrom) []esv1.TemplateFrom {
	return lossless.ConvertSlice(in, func(from TemplateFrom) esv1.TemplateFrom {
		return esv1.TemplateFrom{
			ConfigMap: templateRefToHub(from.ConfigMap),
			Secret:    templateRefToHub(from.Secret),
			Target:    esv1.TemplateTargetData,
		}
	})
}

func templateFromFromHub(in []esv1.TemplateFrom) []TemplateFrom {
	return lossless.FilterSlice(in, func(from esv1.TemplateFrom) (TemplateFrom, bool) {
		if from.ConfigMap == nil && from.Secret == nil && from.Literal != nil {
			return TemplateFrom{}, false
		}
		return TemplateFrom{
			ConfigMap: templateRefFromHub(from.ConfigMap),
			Secret:    templateRefFromHub(from.Secret),
		}, true
	})
}

func templateRefToHub(in *TemplateRef) *esv1.TemplateRef {
	if in == nil {
		return nil
	}
	return &esv1.TemplateRef{
		Name: in.Name,
		Items: lossless.ConvertSlice(in.Items, func(item TemplateRefItem) esv1.TemplateRefItem {
			return esv1.TemplateRefItem{Key: item.Key, TemplateAs: esv1.TemplateScopeValues}
		}),
	}
}

func templateRefFromHub(in *esv1.TemplateRef) *TemplateRef {
	if in == nil {
		return nil
	}
	return &TemplateRef{
		Name: in.Name,
		Items: lossless.ConvertSlice(in.Items, func(item esv1.TemplateRefItem) TemplateRefItem {
			return TemplateRefItem{Key: item.Key}
		}),
	}
}

func dataToHub(in []ExternalSecretData) []esv1.ExternalSecretData {
	return lossless.ConvertSlice(in, func(data ExternalSecretData) esv1.ExternalSecretData {
		return esv1.ExternalSecretData{SecretKey: data.SecretKey, RemoteRef: remoteRefToHub(data.RemoteRef)}
	})
}

func dataFromHub(in []esv1.ExternalSecretData) []ExternalSecretData {
	return lossless.ConvertSlice(in, func(data esv1.ExternalSecretData) ExternalSecretData {
		return ExternalSecretData{SecretKey: data.SecretKey, RemoteRef: remoteRefFromHub(data.RemoteRef)}
	})
}

func dataFromToHub(in []ExternalSecretDataRemoteRef) []esv1.ExternalSecretDataFromRemoteRef {
	return lossless.ConvertSlice(in, func(ref ExternalSecretDataRemoteRef) esv1.ExternalSecretDataFromRemoteRef {
		extract := remoteRefToHub(ref)
		return esv1.ExternalSecretDataFromRemoteRef{Extract: &extract}
	})
}

func dataFromFromHub(in []esv1.ExternalSecretDataFromRemoteRef) []ExternalSecretDataRemoteRef {
	return lossless.FilterSlice(in, func(ref esv1.ExternalSecretDataFromRemoteRef) (ExternalSecretDataRemoteRef, bool) {
		if ref.Extract == nil {
			return ExternalSecretDataRemoteRef{}, false
		}
		return remoteRefFromHub(*ref.Extract), true
	})
}

func remoteRefToHub(in ExternalSecretDataRemoteRef) esv1.ExternalSecretDataRemoteRef {
	return esv1.ExternalSecretDataRemoteRef{
		Key:                in.Key,
		Property:           in.Property,
		Version:            in.Version,
		ConversionStrategy: esv1.ExternalSecretConversionStrategy(in.ConversionStrategy),
	}
}

func remoteRefFromHub(in esv1.ExternalSecretDataRemoteRef) ExternalSecretDataRemoteRef {
	return ExternalSecretDataRemoteRef{
		Key:                in.Key,
		Property:           in.Property,
		Version:            in.Version,
		ConversionStrategy: ExternalSecretConversionStrategy(in.ConversionStrategy),
	}
}

func externalSecretStatusToHub(in *ExternalSecretStatus) esv1.ExternalSecretStatus {
	return esv1.ExternalSecretStatus{
		RefreshTime:           in.RefreshTime,
		SyncedResourceVersion: in.SyncedResourceVersion,
		Conditions: lossless.ConvertSlice(in.Conditions,
			func(c ExternalSecretStatusCondition) esv1.ExternalSecretStatusCondition {
				return esv1.ExternalSecretStatusCondition{
					Type: esv1.ExternalSecretConditionType(c.Type), Status: c.Status,
					Reason: c.Reason, Message: c.Message, LastTransitionTime: c.LastTransitionTime,
				}
			}),
		Binding: in.Binding,
	}
}

func externalSecretStatusFromHub(in *esv1.ExternalSecretStatus) ExternalSecretStatus {
	return ExternalSecretStatus{
		RefreshTime:           in.RefreshTime,
		SyncedResourceVersion: in.SyncedResourceVersion,
		Conditions: lossless.ConvertSlice(in.Conditions,
			func(c esv1.ExternalSecretStatusCondition) ExternalSecretStatusCondition {
				return ExternalSecretStatusCondition{
					Type: ExternalSecretConditionType(c.Type), Status: c.Status,
					Reason: c.Reason, Message: c.Message, LastTransitionTime: c.LastTransitionTime,
				}
			}),
		Binding: in.Binding,
	}
}

// v1 fields of SecretStore and ClusterSecretStore that v1alpha1 has no place for.
var (
	storeRefreshIntervalField = lossless.HubField[*intstr.IntOrString]{Name: "spec.refreshInterval"}
	storeConditionsField      = lossless.HubField[[]esv1.ClusterSecretStoreCondition]{Name: "spec.conditions"}
)

func storeSpecToHub(st *lossless.Stash, in *SecretStoreSpec) esv1.SecretStoreSpec {
	return esv1.SecretStoreSpec{
		Controller:      in.Controller,
		Provider:        providerToHub(st, in.Provider),
		RetrySettings:   (*esv1.SecretStoreRetrySettings)(in.RetrySettings.DeepCopy()),
		RefreshInterval: storeRefreshIntervalField.Restore(st),
		Conditions:      storeConditionsField.Restore(st),
	}
}

func storeSpecFromHub(st *lossless.Stash, in *esv1.SecretStoreSpec) SecretStoreSpec {
	storeRefreshIntervalField.Keep(st, in.RefreshInterval)
	storeConditionsField.Keep(st, in.Conditions)
	return SecretStoreSpec{
		Controller:    in.Controller,
		Provider:      providerFromHub(st, in.Provider),
		RetrySettings: (*SecretStoreRetrySettings)(in.RetrySettings.DeepCopy()),
	}
}

// newerProvidersField keeps the providers v1alpha1 has no place for, which ESO added after it:
// a v1 provider union with the v1alpha1 providers left out.
var newerProvidersField = lossless.HubField[*esv1.SecretStoreProvider]{Name: "spec.provider"}

// providerToHub converts the provider union: one line per provider v1alpha1 has, on top of
// the newer providers kept aside. Alibaba has no v1 form and is kept aside in turn.
func providerToHub(st *lossless.Stash, in *SecretStoreProvider) *esv1.SecretStoreProvider {
	out := newerProvidersField.Restore(st)
	if in == nil {
		return out
	}
	if out == nil {
		out = &esv1.SecretStoreProvider{}
	}
	out.AWS = awsToHub(st, in.AWS)
	out.Fake = fakeToHub(st, in.Fake)
	out.Vault = vaultToHub(st, in.Vault)
	out.Kubernetes = kubernetesToHub(st, in.Kubernetes)
	out.Webhook = webhookToHub(st, in.Webhook)
	out.GCPSM = gcpsmToHub(st, in.GCPSM)
	out.AzureKV = azurekvToHub(st, in.AzureKV)
	out.Akeyless = akeylessSection.ToHub(st, in.Akeyless)
	out.Oracle = oracleSection.ToHub(st, in.Oracle)
	out.IBM = ibmSection.ToHub(st, in.IBM)
	out.YandexLockbox = yandexLockboxSection.ToHub(st, in.YandexLockbox)
	out.Gitlab = gitlabSection.ToHub(st, in.Gitlab)
	out.PasswordDepot = passwordDepotSection.ToHub(st, in.PasswordDepot)
	alibabaField.Keep(st, in.Alibaba)
	return out
}

// providerFromHub converts the provider union: one line per provider v1alpha1 has; the
// newer providers are kept aside.
func providerFromHub(st *lossless.Stash, in *esv1.SecretStoreProvider) *SecretStoreProvider {
	if in == nil {
		return nil
	}
	newerProvidersField.Keep(st, newerProviders(in))
	return &SecretStoreProvider{
		AWS:           awsFromHub(st, in.AWS),
		Fake:          fakeFromHub(st, in.Fake),
		Vault:         vaultFromHub(st, in.Vault),
		Kubernetes:    kubernetesFromHub(st, in.Kubernetes),
		Webhook:       webhookFromHub(st, in.Webhook),
		GCPSM:         gcpsmFromHub(st, in.GCPSM),
		AzureKV:       azurekvFromHub(st, in.AzureKV),
		Akeyless:      akeylessSection.FromHub(st, in.Akeyless),
		Oracle:        oracleSection.FromHub(st, in.Oracle),
		IBM:           ibmSection.FromHub(st, in.IBM),
		YandexLockbox: yandexLockboxSection.FromHub(st, in.YandexLockbox),
		Gitlab:        gitlabSection.FromHub(st, in.Gitlab),
		PasswordDepot: passwordDepotSection.FromHub(st, in.PasswordDepot),
		Alibaba:       alibabaField.Restore(st),
	}
}

// newerProviders returns a copy of the union without the providers v1alpha1 has, or nil when
// no other provider is set.
func newerProviders(in *esv1.SecretStoreProvider) *esv1.SecretStoreProvider {
	rest := in.DeepCopy()
	rest.AWS, rest.Fake, rest.Vault, rest.Kubernetes = nil, nil, nil, nil
	rest.Webhook, rest.GCPSM, rest.AzureKV = nil, nil, nil
	rest.Akeyless, rest.Oracle, rest.IBM, rest.YandexLockbox = nil, nil, nil, nil
	rest.Gitlab, rest.PasswordDepot = nil, nil
	if *rest == (esv1.SecretStoreProvider{}) {
		return nil
	}
	return rest
}

func storeStatusToHub(st *lossless.Stash, in *SecretStoreStatus) esv1.SecretStoreStatus {
	return esv1.SecretStoreStatus{
		Conditions: lossless.ConvertSlice(in.Conditions,
			func(c SecretStoreStatusCondition) esv1.SecretStoreStatusCondition {
				return esv1.SecretStoreStatusCondition{
					Type: esv1.SecretStoreConditionType(c.Type), Status: c.Status,
					Reason: c.Reason, Message: c.Message, LastTransitionTime: c.LastTransitionTime,
				}
			}),
		// status.capabilities has no v1alpha1 field and is not kept: it is the controller's
		// to recompute, and keeping it would show users an annotation they never wrote.
	}
}

func storeStatusFromHub(st *lossless.Stash, in *esv1.SecretStoreStatus) SecretStoreStatus {
	return SecretStoreStatus{
		Conditions: lossless.ConvertSlice(in.Conditions,
			func(c esv1.SecretStoreStatusCondition) SecretStoreStatusCondition {
				return SecretStoreStatusCondition{
					Type: SecretStoreConditionType(c.Type), Status: c.Status,
					Reason: c.Reason, Message: c.Message, LastTransitionTime: c.LastTransitionTime,
				}
			}),
	}
}
