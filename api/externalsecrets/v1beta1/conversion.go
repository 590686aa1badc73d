package v1beta1

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/conversion"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Conversions between v1beta1 and the hub, v1. v1 is v1beta1 plus a few fields, so most
// fields convert one to one; those v1beta1 cannot hold are kept in the
// esv1.AnnotationConversionData annotation (see package lossless), so that v1beta1 → v1 →
// v1beta1 and v1 → v1beta1 → v1 both give the original object back. Enum values that only v1
// knows (creationPolicy CreateOrMerge, newer generator kinds, AWS CertificateManager) pass
// through as they are.

var (
	_ conversion.Convertible = &ExternalSecret{}
	_ conversion.Convertible = &SecretStore{}
	_ conversion.Convertible = &ClusterSecretStore{}
)

// ConvertTo converts this ExternalSecret to the hub version, v1.
func (src *ExternalSecret) ConvertTo(hub conversion.Hub) error {
	dst, ok := hub.(*esv1.ExternalSecret)
	if !ok {
		return fmt.Errorf("convert a v1beta1 ExternalSecret: want a v1 ExternalSecret, got %T", hub)
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
		return fmt.Errorf("convert to a v1beta1 ExternalSecret: want a v1 ExternalSecret, got %T", hub)
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
		return fmt.Errorf("convert a v1beta1 SecretStore: want a v1 SecretStore, got %T", hub)
	}
	return lossless.Convert(src, &dst.ObjectMeta, Version, esv1.Version, func(st *lossless.Stash, in *SecretStore) {
		dst.Spec = storeSpecToHub(st, &in.Spec)
		dst.Status = storeStatusToHub(&in.Status)
	})
}

// ConvertFrom converts the hub version, v1, to this SecretStore.
func (dst *SecretStore) ConvertFrom(hub conversion.Hub) error {
	src, ok := hub.(*esv1.SecretStore)
	if !ok {
		return fmt.Errorf("convert to a v1beta1 SecretStore: want a v1 SecretStore, got %T", hub)
	}
	return lossless.Convert(src, &dst.ObjectMeta, esv1.Version, Version, func(st *lossless.Stash, in *esv1.SecretStore) {
		dst.Spec = storeSpecFromHub(st, &in.Spec)
		dst.Status = storeStatusFromHub(&in.Status)
	})
}

// ConvertTo converts this ClusterSecretStore to the hub version, v1.
func (src *ClusterSecretStore) ConvertTo(hub conversion.Hub) error {
	dst, ok := hub.(*esv1.ClusterSecretStore)
	if !ok {
		return fmt.Errorf("convert a v1beta1 ClusterSecretStore: want a v1 ClusterSecretStore, got %T", hub)
	}
	return lossless.Convert(src, &dst.ObjectMeta, Version, esv1.Version, func(st *lossless.Stash, in *ClusterSecretStore) {
		dst.Spec = storeSpecToHub(st, &in.Spec)
		dst.Status = storeStatusToHub(&in.Status)
	})
}

// ConvertFrom converts the hub version, v1, to this ClusterSecretStore.
func (dst *ClusterSecretStore) ConvertFrom(hub conversion.Hub) error {
	src, ok := hub.(*esv1.ClusterSecretStore)
	if !ok {
		return fmt.Errorf("convert to a v1beta1 ClusterSecretStore: want a v1 ClusterSecretStore, got %T", hub)
	}
	return lossless.Convert(src, &dst.ObjectMeta, esv1.Version, Version, func(st *lossless.Stash, in *esv1.ClusterSecretStore) {
		dst.Spec = storeSpecFromHub(st, &in.Spec)
		dst.Status = storeStatusFromHub(&in.Status)
	})
}

// v1 fields of ExternalSecret that v1beta1 has no place for.
var (
	syncWindowsField = lossless.HubField[*esv1.SyncWindows]{Name: "spec.syncWindows"}
	manifestField    = lossless.HubField[*esv1.ManifestReference]{Name: "spec.target.manifest"}
	finalizersField  = lossless.HubField[[]string]{Name: "spec.target.template.metadata.finalizers"}
)

// Lists whose entries v1beta1 can hold only in part: nullBytePolicy, merge rewrites and
// valuesDecodingStrategy are v1's.
var (
	dataSection = lossless.Section[[]esv1.ExternalSecretData, []ExternalSecretData]{
		Name: "spec.data", Down: dataFromHub, Up: dataToHub,
	}
	dataFromSection = lossless.Section[[]esv1.ExternalSecretDataFromRemoteRef, []ExternalSecretDataFromRemoteRef]{
		Name: "spec.dataFrom", Down: dataFromFromHub, Up: dataFromToHub,
	}
	templateFromSection = lossless.Section[[]esv1.TemplateFrom, []TemplateFrom]{
		Name: "spec.target.template.templateFrom", Down: templateFromFromHub, Up: templateFromToHub,
	}
)

func externalSecretSpecToHub(st *lossless.Stash, in *ExternalSecretSpec) esv1.ExternalSecretSpec {
	return esv1.ExternalSecretSpec{
		SecretStoreRef:  esv1.SecretStoreRef(in.SecretStoreRef),
		Target:          targetToHub(st, &in.Target),
		RefreshPolicy:   esv1.ExternalSecretRefreshPolicy(in.RefreshPolicy),
		RefreshInterval: lossless.CopyPtr(in.RefreshInterval),
		Data:            dataSection.ToHub(st, in.Data),
		DataFrom:        dataFromSection.ToHub(st, in.DataFrom),
		SyncWindows:     syncWindowsField.Restore(st),
	}
}

func externalSecretSpecFromHub(st *lossless.Stash, in *esv1.ExternalSecretSpec) ExternalSecretSpec {
	syncWindowsField.Keep(st, in.SyncWindows)
	return ExternalSecretSpec{
		SecretStoreRef:  SecretStoreRef(in.SecretStoreRef),
		Target:          targetFromHub(st, &in.Target),
		RefreshPolicy:   ExternalSecretRefreshPolicy(in.RefreshPolicy),
		RefreshInterval: lossless.CopyPtr(in.RefreshInterval),
		Data:            dataSection.FromHub(st, in.Data),
		DataFrom:        dataFromSection.FromHub(st, in.DataFrom),
	}
}

func targetToHub(st *lossless.Stash, in *ExternalSecretTarget) esv1.ExternalSecretTarget {
	out := esv1.ExternalSecretTarget{
		Name:           in.Name,
		CreationPolicy: esv1.ExternalSecretCreationPolicy(in.CreationPolicy),
		DeletionPolicy: esv1.ExternalSecretDeletionPolicy(in.DeletionPolicy),
		Manifest:       manifestField.Restore(st),
		Immutable:      in.Immutable,
	}
	if in.Template != nil {
		out.Template = &esv1.ExternalSecretTemplate{
			Type:          in.Template.Type,
			EngineVersion: esv1.TemplateEngineVersion(in.Template.EngineVersion),
			Metadata: esv1.ExternalSecretTemplateMetadata{
				Annotations: maps.Clone(in.Template.Metadata.Annotations),
				Labels:      maps.Clone(in.Template.Metadata.Labels),
				Finalizers:  finalizersField.Restore(st),
			},
			MergePolicy:  esv1.TemplateMergePolicy(in.Template.MergePolicy),
			Data:         maps.Clone(in.Template.Data),
			TemplateFrom: templateFromSection.ToHub(st, in.Template.TemplateFrom),
		}
	}
	return out
}

func targetFromHub(st *lossless.Stash, in *esv1.ExternalSecretTarget) ExternalSecretTarget {
	manifestField.Keep(st, in.Manifest)
	out := ExternalSecretTarget{
		Name:           in.Name,
		CreationPolicy: ExternalSecretCreationPolicy(in.CreationPolicy),
		DeletionPolicy: ExternalSecretDeletionPolicy(in.DeletionPolicy),
		Immutable:      in.Immutable,
	}
	if in.Template != nil {
		finalizersField.Keep(st, in.Template.Metadata.Finalizers)
		out.Template = &ExternalSecretTemplate{
			Type:          in.Template.Type,
			EngineVersion: TemplateEngineVersion(in.Template.EngineVersion),
			Metadata: ExternalSecretTemplateMetadata{
				Annotations: maps.Clone(in.Template.Metadata.Annotations),
				Labels:      maps.Clone(in.Template.Metadata.Labels),
			},
			MergePolicy:  TemplateMergePolicy(in.Template.MergePolicy),
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
			Target:    esv1.TemplateTarget(from.Target),
			Literal:   lossless.CopyPtr(from.Literal),
		}
	})
}

func templateFromFromHub(in []esv1.TemplateFrom) []TemplateFrom {
	return lossless.ConvertSlice(in, func(from esv1.TemplateFrom) TemplateFrom {
		return TemplateFrom{
			ConfigMap: templateRefFromHub(from.ConfigMap),
			Secret:    templateRefFromHub(from.Secret),
			Target:    TemplateTarget(from.Target),
			Literal:   lossless.CopyPtr(from.Literal),
		}
	})
}

func templateRefToHub(in *TemplateRef) *esv1.TemplateRef {
	if in == nil {
		return nil
	}
	return &esv1.TemplateRef{
		Name: in.Name,
		Items: lossless.ConvertSlice(in.Items, func(item TemplateRefItem) esv1.TemplateRefItem {
			return esv1.TemplateRefItem{Key: item.Key, TemplateAs: esv1.TemplateScope(item.TemplateAs)}
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
			return TemplateRefItem{Key: item.Key, TemplateAs: TemplateScope(item.TemplateAs)}
		}),
	}
}

func dataToHub(in []ExternalSecretData) []esv1.ExternalSecretData {
	return lossless.ConvertSlice(in, func(data ExternalSecretData) esv1.ExternalSecretData {
		out := esv1.ExternalSecretData{SecretKey: data.SecretKey, RemoteRef: remoteRefToHub(data.RemoteRef)}
		if data.SourceRef != nil {
			out.SourceRef = &esv1.StoreSourceRef{
				SecretStoreRef: (*esv1.SecretStoreRef)(lossless.CopyPtr(data.SourceRef.SecretStoreRef)),
				GeneratorRef:   (*esv1.GeneratorRef)(lossless.CopyPtr(data.SourceRef.GeneratorRef)),
			}
		}
		return out
	})
}

func dataFromHub(in []esv1.ExternalSecretData) []ExternalSecretData {
	return lossless.ConvertSlice(in, func(data esv1.ExternalSecretData) ExternalSecretData {
		out := ExternalSecretData{SecretKey: data.SecretKey, RemoteRef: remoteRefFromHub(data.RemoteRef)}
		if data.SourceRef != nil {
			out.SourceRef = &StoreSourceRef{
				SecretStoreRef: (*SecretStoreRef)(lossless.CopyPtr(data.SourceRef.SecretStoreRef)),
				GeneratorRef:   (*GeneratorRef)(lossless.CopyPtr(data.SourceRef.GeneratorRef)),
			}
		}
		return out
	})
}

func dataFromToHub(in []ExternalSecretDataFromRemoteRef) []esv1.ExternalSecretDataFromRemoteRef {
	return lossless.ConvertSlice(in, func(ref ExternalSecretDataFromRemoteRef) esv1.ExternalSecretDataFromRemoteRef {
		out := esv1.ExternalSecretDataFromRemoteRef{
			Rewrite: lossless.ConvertSlice(ref.Rewrite, func(rewrite ExternalSecretRewrite) esv1.ExternalSecretRewrite {
				return esv1.ExternalSecretRewrite{
					Regexp:    (*esv1.ExternalSecretRewriteRegexp)(lossless.CopyPtr(rewrite.Regexp)),
					Transform: (*esv1.ExternalSecretRewriteTransform)(lossless.CopyPtr(rewrite.Transform)),
				}
			}),
		}
		if ref.Extract != nil {
			extract := remoteRefToHub(*ref.Extract)
			out.Extract = &extract
		}
		if ref.Find != nil {
			out.Find = &esv1.ExternalSecretFind{
				Path:               lossless.CopyPtr(ref.Find.Path),
				Name:               (*esv1.FindName)(lossless.CopyPtr(ref.Find.Name)),
				Tags:               maps.Clone(ref.Find.Tags),
				ConversionStrategy: esv1.ExternalSecretConversionStrategy(ref.Find.ConversionStrategy),
				DecodingStrategy:   esv1.ExternalSecretDecodingStrategy(ref.Find.DecodingStrategy),
			}
		}
		if ref.SourceRef != nil {
			out.SourceRef = &esv1.StoreGeneratorSourceRef{
				SecretStoreRef: (*esv1.SecretStoreRef)(lossless.CopyPtr(ref.SourceRef.SecretStoreRef)),
				GeneratorRef:   (*esv1.GeneratorRef)(lossless.CopyPtr(ref.SourceRef.GeneratorRef)),
			}
		}
		return out
	})
}

func dataFromFromHub(in []esv1.ExternalSecretDataFromRemoteRef) []ExternalSecretDataFromRemoteRef {
	return lossless.ConvertSlice(in, func(ref esv1.ExternalSecretDataFromRemoteRef) ExternalSecretDataFromRemoteRef {
		out := ExternalSecretDataFromRemoteRef{
			// A merge rewrite has no v1beta1 form and is left out of the v1beta1 list.
			Rewrite: lossless.FilterSlice(ref.Rewrite, func(rewrite esv1.ExternalSecretRewrite) (ExternalSecretRewrite, bool) {
				out := ExternalSecretRewrite{
					Regexp:    (*ExternalSecretRewriteRegexp)(lossless.CopyPtr(rewrite.Regexp)),
					Transform: (*ExternalSecretRewriteTransform)(lossless.CopyPtr(rewrite.Transform)),
				}
				return out, rewrite.Merge == nil || out.Regexp != nil || out.Transform != nil
			}),
		}
		if ref.Extract != nil {
			extract := remoteRefFromHub(*ref.Extract)
			out.Extract = &extract
		}
		if ref.Find != nil {
			out.Find = &ExternalSecretFind{
				Path:               lossless.CopyPtr(ref.Find.Path),
				Name:               (*FindName)(lossless.CopyPtr(ref.Find.Name)),
				Tags:               maps.Clone(ref.Find.Tags),
				ConversionStrategy: ExternalSecretConversionStrategy(ref.Find.ConversionStrategy),
				DecodingStrategy:   ExternalSecretDecodingStrategy(ref.Find.DecodingStrategy),
			}
		}
		if ref.SourceRef != nil {
			out.SourceRef = &StoreGeneratorSourceRef{
				SecretStoreRef: (*SecretStoreRef)(lossless.CopyPtr(ref.SourceRef.SecretStoreRef)),
				GeneratorRef:   (*GeneratorRef)(lossless.CopyPtr(ref.SourceRef.GeneratorRef)),
			}
		}
		return out
	})
}

func remoteRefToHub(in ExternalSecretDataRemoteRef) esv1.ExternalSecretDataRemoteRef {
	return esv1.ExternalSecretDataRemoteRef{
		Key:                in.Key,
		MetadataPolicy:     esv1.ExternalSecretMetadataPolicy(in.MetadataPolicy),
		Property:           in.Property,
		Version:            in.Version,
		ConversionStrategy: esv1.ExternalSecretConversionStrategy(in.ConversionStrategy),
		DecodingStrategy:   esv1.ExternalSecretDecodingStrategy(in.DecodingStrategy),
	}
}

func remoteRefFromHub(in esv1.ExternalSecretDataRemoteRef) ExternalSecretDataRemoteRef {
	return ExternalSecretDataRemoteRef{
		Key:                in.Key,
		MetadataPolicy:     ExternalSecretMetadataPolicy(in.MetadataPolicy),
		Property:           in.Property,
		Version:            in.Version,
		ConversionStrategy: ExternalSecretConversionStrategy(in.ConversionStrategy),
		DecodingStrategy:   ExternalSecretDecodingStrategy(in.DecodingStrategy),
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

// v1beta1 counts a store's refresh interval in seconds; v1 takes seconds or a duration. A
// duration of whole seconds shows in v1beta1 as its seconds, and is kept as written.
var storeRefreshIntervalSection = lossless.Section[*intstr.IntOrString, int]{
	Name: "spec.refreshInterval", Down: secondsFromHub, Up: secondsToHub,
}

func secondsToHub(seconds int) *intstr.IntOrString {
	switch {
	case seconds == 0:
		return nil
	case seconds >= math.MinInt32 && seconds <= math.MaxInt32:
		return new(intstr.FromInt32(int32(seconds)))
	default:
		return new(intstr.FromString(strconv.Itoa(seconds) + "s"))
	}
}

func secondsFromHub(interval *intstr.IntOrString) int {
	switch {
	case interval == nil:
		return 0
	case interval.Type == intstr.Int:
		return int(interval.IntVal)
	}
	duration, err := time.ParseDuration(interval.StrVal)
	if err != nil || duration%time.Second != 0 {
		return 0
	}
	return int(duration / time.Second)
}

func storeSpecToHub(st *lossless.Stash, in *SecretStoreSpec) esv1.SecretStoreSpec {
	return esv1.SecretStoreSpec{
		Controller:      in.Controller,
		Provider:        providerToHub(st, in.Provider),
		RetrySettings:   (*esv1.SecretStoreRetrySettings)(in.RetrySettings.DeepCopy()),
		RefreshInterval: storeRefreshIntervalSection.ToHub(st, in.RefreshInterval),
		Conditions: lossless.ConvertSlice(in.Conditions,
			func(c ClusterSecretStoreCondition) esv1.ClusterSecretStoreCondition {
				return esv1.ClusterSecretStoreCondition{
					NamespaceSelector: c.NamespaceSelector.DeepCopy(),
					Namespaces: lossless.ConvertSlice(c.Namespaces, func(name NamespaceName) esv1.NamespaceName {
						return esv1.NamespaceName(name)
					}),
					NamespaceRegexes: slices.Clone(c.NamespaceRegexes),
				}
			}),
	}
}

func storeSpecFromHub(st *lossless.Stash, in *esv1.SecretStoreSpec) SecretStoreSpec {
	return SecretStoreSpec{
		Controller:      in.Controller,
		Provider:        providerFromHub(st, in.Provider),
		RetrySettings:   (*SecretStoreRetrySettings)(in.RetrySettings.DeepCopy()),
		RefreshInterval: storeRefreshIntervalSection.FromHub(st, in.RefreshInterval),
		Conditions: lossless.ConvertSlice(in.Conditions,
			func(c esv1.ClusterSecretStoreCondition) ClusterSecretStoreCondition {
				return ClusterSecretStoreCondition{
					NamespaceSelector: c.NamespaceSelector.DeepCopy(),
					Namespaces: lossless.ConvertSlice(c.Namespaces, func(name esv1.NamespaceName) NamespaceName {
						return NamespaceName(name)
					}),
					NamespaceRegexes: slices.Clone(c.NamespaceRegexes),
				}
			}),
	}
}

// providerToHub converts the provider union: one line per provider with a conversion of its
// own, and the others in moreProvidersToHub.
func providerToHub(st *lossless.Stash, in *SecretStoreProvider) *esv1.SecretStoreProvider {
	if in == nil {
		return nil
	}
	out := &esv1.SecretStoreProvider{
		AWS:        awsToHub(st, in.AWS),
		Fake:       fakeToHub(st, in.Fake),
		Vault:      vaultToHub(st, in.Vault),
		Kubernetes: kubernetesToHub(st, in.Kubernetes),
		Webhook:    webhookToHub(st, in.Webhook),
		GCPSM:      gcpsmToHub(st, in.GCPSM),
		AzureKV:    azurekvToHub(st, in.AzureKV),
	}
	moreProvidersToHub(st, in, out)
	return out
}

// providerFromHub converts the provider union: one line per provider with a conversion of its
// own, and the others in moreProvidersFromHub.
func providerFromHub(st *lossless.Stash, in *esv1.SecretStoreProvider) *SecretStoreProvider {
	if in == nil {
		return nil
	}
	out := &SecretStoreProvider{
		AWS:        awsFromHub(st, in.AWS),
		Fake:       fakeFromHub(st, in.Fake),
		Vault:      vaultFromHub(st, in.Vault),
		Kubernetes: kubernetesFromHub(st, in.Kubernetes),
		Webhook:    webhookFromHub(st, in.Webhook),
		GCPSM:      gcpsmFromHub(st, in.GCPSM),
		AzureKV:    azurekvFromHub(st, in.AzureKV),
	}
	moreProvidersFromHub(st, in, out)
	return out
}

func storeStatusToHub(in *SecretStoreStatus) esv1.SecretStoreStatus {
	return esv1.SecretStoreStatus{
		Conditions: lossless.ConvertSlice(in.Conditions,
			func(c SecretStoreStatusCondition) esv1.SecretStoreStatusCondition {
				return esv1.SecretStoreStatusCondition{
					Type: esv1.SecretStoreConditionType(c.Type), Status: c.Status,
					Reason: c.Reason, Message: c.Message, LastTransitionTime: c.LastTransitionTime,
				}
			}),
		Capabilities: esv1.SecretStoreCapabilities(in.Capabilities),
	}
}

func storeStatusFromHub(in *esv1.SecretStoreStatus) SecretStoreStatus {
	return SecretStoreStatus{
		Conditions: lossless.ConvertSlice(in.Conditions,
			func(c esv1.SecretStoreStatusCondition) SecretStoreStatusCondition {
				return SecretStoreStatusCondition{
					Type: SecretStoreConditionType(c.Type), Status: c.Status,
					Reason: c.Reason, Message: c.Message, LastTransitionTime: c.LastTransitionTime,
				}
			}),
		Capabilities: SecretStoreCapabilities(in.Capabilities),
	}
}
