package rollout

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PodStatusGVK is the Secrets Store CSI driver's SecretProviderClassPodStatus: one per pod
// and mounted SecretProviderClass, written by the driver with the versions of the objects it
// mounted. It is served only where the driver's CRDs are installed.
var PodStatusGVK = schema.GroupVersionKind{Group: "secrets-store.csi.x-k8s.io", Version: "v1", Kind: "SecretProviderClassPodStatus"}

func podStatusObject() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(PodStatusGVK)
	return u
}

func podStatusList() *unstructured.UnstructuredList {
	u := &unstructured.UnstructuredList{}
	u.SetGroupVersionKind(PodStatusGVK.GroupVersion().WithKind(PodStatusGVK.Kind + "List"))
	return u
}

// podStatus is what Ferry reads of a SecretProviderClassPodStatus: its status, without the
// pod's name or mount path, which no decision needs. Nothing in it is secret: the versions
// are the store's version ids (or hashes), never the mounted contents, which Ferry never
// reads.
type podStatus struct {
	Status struct {
		SecretProviderClassName string `json:"secretProviderClassName"`
		Mounted                 bool   `json:"mounted"`
		Objects                 []struct {
			ID      string `json:"id"`
			Version string `json:"version"`
		} `json:"objects"`
	} `json:"status"`
}

// decodePodStatus reads the status of a SecretProviderClassPodStatus; one that does not
// decode reads as not mounted.
func decodePodStatus(u *unstructured.Unstructured) podStatus {
	var s podStatus
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &s); err != nil {
		return podStatus{}
	}
	return s
}

// className returns the SecretProviderClass a pod status reports on, "" when none.
func className(u *unstructured.Unstructured) string {
	name, _, _ := unstructured.NestedString(u.Object, "status", "secretProviderClassName")
	return name
}

// classVersions applies Ferry's rule for the state of a SecretProviderClass in a namespace,
// from the statuses of the pods that mount it: the versions of its objects (id → version),
// when every mounted status reports the same ones. settled is false when no pod has it
// mounted, or while the statuses disagree — a rotation that has reached some pods only, as
// the driver rotates each pod on its own poll. An unsettled class keeps the digest Ferry
// recorded, so a rotation restarts each workload once, when the last pod reports the new
// versions, however many pods report them one after another; and pods coming and going
// (scaling, a restart) change nothing while they all report the same versions.
func classVersions(statuses []podStatus) (versions map[string]string, settled bool) {
	for _, s := range statuses {
		if !s.Status.Mounted {
			continue
		}
		reported := make(map[string]string, len(s.Status.Objects))
		for _, o := range s.Status.Objects {
			reported[o.ID] = o.Version
		}
		if versions == nil {
			versions = reported
			continue
		}
		if !maps.Equal(versions, reported) {
			return nil, false
		}
	}
	return versions, versions != nil
}

// podStatuses reads SecretProviderClassPodStatus objects from the manager's cache, once
// their API is served; the zero value (integration off) serves nothing.
type podStatuses struct {
	reader client.Reader
	served *atomic.Bool
}

func (p podStatuses) enabled() bool { return p.reader != nil && p.served != nil && p.served.Load() }

// list returns the statuses of a namespace; none while the API is not served.
func (p podStatuses) list(ctx context.Context, namespace string) ([]unstructured.Unstructured, error) {
	if !p.enabled() {
		return nil, nil
	}
	list := podStatusList()
	if err := p.reader.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing SecretProviderClassPodStatuses: %w", err)
	}
	return list.Items, nil
}

// classNames lists the SecretProviderClasses that pods of a namespace mount.
func (p podStatuses) classNames(ctx context.Context, namespace string) ([]string, error) {
	items, err := p.list(ctx, namespace)
	if err != nil {
		return nil, err
	}
	var names []string
	for i := range items {
		if name := className(&items[i]); name != "" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// read returns the state of one SecretProviderClass in a namespace: its objects' versions as
// data when settled (classVersions), else a source held at its recorded digest.
func (p podStatuses) read(ctx context.Context, namespace, name string) (*sourceData, error) {
	items, err := p.list(ctx, namespace)
	if err != nil {
		return nil, err
	}
	var statuses []podStatus
	for i := range items {
		if className(&items[i]) == name {
			statuses = append(statuses, decodePodStatus(&items[i]))
		}
	}
	versions, settled := classVersions(statuses)
	if !settled {
		return &sourceData{held: true}, nil
	}
	data := make(map[string][]byte, len(versions))
	for id, version := range versions {
		data[id] = []byte(version)
	}
	return &sourceData{data: data}, nil
}
