package rollout

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/cachesync"
	"github.com/ferryhq/ferry/internal/cacheview"
	"github.com/ferryhq/ferry/internal/shard"
)

// The rollout caches Deployments, StatefulSets, DaemonSets and CronJobs as views: Go types
// of its own that hold only what a reconcile reads — the metadata, whether the workload is
// paused, and of its pod template the annotations and the sources its containers and
// volumes use. An appsv1.Deployment is 1,232 bytes before any of its fields is set and its
// containers 408 bytes each; a view of one is a third of it, containers and all. A restart,
// which writes the pod template, reads the workload whole from the API server first
// (kindReconciler.whole): restarts are rare, reconciles are not.
//
// The views decode from JSON (their own scheme has no protobuf for them), into fields named
// as the API names them; what they do not name is skipped by the decoder, never allocated.

// Markers tell the views of each kind apart: the cache keys its informers by Go type.
type (
	deploymentMark  struct{}
	statefulSetMark struct{}
	daemonSetMark   struct{}
	cronJobMark     struct{}
)

// workloadView is the cached view of one workload of the kind K marks.
type workloadView[K any] struct {
	metav1.TypeMeta `json:",inline"`
	viewMeta        `json:"metadata,omitempty"`
	Spec            viewSpec `json:"spec,omitempty"`
}

// viewMeta is what a view keeps of a workload's metadata: what the rollout reads of it. Its
// labels, owners, finalizers and managed fields are not even decoded; the rest of
// metav1.Object reads as empty (cacheview.Unkept). A metav1.ObjectMeta is 264 bytes before
// its maps, a viewMeta 104, and its annotations a slice, not a map.
type viewMeta struct {
	cacheview.Unkept
	Name            string    `json:"name,omitempty"`
	Namespace       string    `json:"namespace,omitempty"`
	UID             types.UID `json:"uid,omitempty"` // events name the workload by it
	ResourceVersion string    `json:"resourceVersion,omitempty"`
	Generation      int64     `json:"generation,omitempty"`
	// DeletionTimestamp says the workload is going away: its digest record is not kept up.
	DeletionTimestamp *metav1.Time `json:"deletionTimestamp,omitempty"`
	Annotations       pairs        `json:"annotations,omitempty"`
}

func (m *viewMeta) GetName() string                     { return m.Name }
func (m *viewMeta) SetName(name string)                 { m.Name = name }
func (m *viewMeta) GetNamespace() string                { return m.Namespace }
func (m *viewMeta) SetNamespace(ns string)              { m.Namespace = ns }
func (m *viewMeta) GetUID() types.UID                   { return m.UID }
func (m *viewMeta) SetUID(uid types.UID)                { m.UID = uid }
func (m *viewMeta) GetResourceVersion() string          { return m.ResourceVersion }
func (m *viewMeta) SetResourceVersion(v string)         { m.ResourceVersion = v }
func (m *viewMeta) GetGeneration() int64                { return m.Generation }
func (m *viewMeta) SetGeneration(g int64)               { m.Generation = g }
func (m *viewMeta) GetDeletionTimestamp() *metav1.Time  { return m.DeletionTimestamp }
func (m *viewMeta) SetDeletionTimestamp(t *metav1.Time) { m.DeletionTimestamp = t }
func (m *viewMeta) SetAnnotations(a map[string]string)  { m.Annotations = pairsOf(a) }
func (m *viewMeta) GetAnnotations() map[string]string   { return m.Annotations.toMap() }
func (m *viewMeta) deepCopy() viewMeta {
	out := *m
	out.Annotations = slices.Clone(m.Annotations)
	out.DeletionTimestamp = m.DeletionTimestamp.DeepCopy()
	return out
}

// pairs are annotations as a view keeps them: sorted by key in a slice, a fifth of a map's
// size for the one or two annotations a workload usually has. Reads get a map of their own.
type pairs []pair

type pair struct{ key, value string }

func pairsOf(m map[string]string) pairs {
	if len(m) == 0 {
		return nil
	}
	out := make(pairs, 0, len(m))
	for k, v := range m {
		out = append(out, pair{k, v})
	}
	slices.SortFunc(out, func(a, b pair) int { return strings.Compare(a.key, b.key) })
	return out
}

// toMap returns the annotations as a map of the caller's own; nil when there are none.
func (p pairs) toMap() map[string]string {
	if len(p) == 0 {
		return nil
	}
	m := make(map[string]string, len(p))
	for _, kv := range p {
		m[kv.key] = kv.value
	}
	return m
}

// keys appends the addresses of the keys to strs.
func (p pairs) keys(strs []*string) []*string {
	for i := range p {
		strs = append(strs, &p[i].key)
	}
	return strs
}

// without returns the annotations but key, sharing p's array.
func (p pairs) without(key string) pairs {
	return slices.DeleteFunc(p, func(kv pair) bool { return kv.key == key })
}

func (p *pairs) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*p = pairsOf(m)
	return nil
}

func (p pairs) MarshalJSON() ([]byte, error) { return json.Marshal(p.toMap()) }

// sameAnnotations says whether two copies of a workload have the same annotations, without
// building maps of views' annotations: every status change of a workload is an update
// event that asks.
func sameAnnotations(a, b client.Object) bool {
	va, aView := a.(view)
	vb, bView := b.(view)
	if aView && bView {
		return slices.Equal(va.meta().Annotations, vb.meta().Annotations)
	}
	return maps.Equal(a.GetAnnotations(), b.GetAnnotations())
}

// workloadViewList is a list of views, as a List or an informer reads them.
type workloadViewList[K any] struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []workloadView[K] `json:"items"`
}

// viewSpec is the spec of a Deployment, StatefulSet or DaemonSet (template), or of a
// CronJob (jobTemplate.spec.template).
type viewSpec struct {
	Paused      bool             `json:"paused,omitempty"`
	Template    viewTemplate     `json:"template,omitempty"`
	JobTemplate *viewJobTemplate `json:"jobTemplate,omitempty"`
}

type viewJobTemplate struct {
	Spec struct {
		Template viewTemplate `json:"template,omitempty"`
	} `json:"spec,omitempty"`
}

type viewTemplate struct {
	Metadata struct {
		Annotations pairs `json:"annotations,omitempty"`
	} `json:"metadata,omitempty"`
	Spec viewPodSpec `json:"spec,omitempty"`
}

// viewPodSpec keeps what References and Scopes read of a pod spec.
type viewPodSpec struct {
	InitContainers      []viewContainer `json:"initContainers,omitempty"`
	Containers          []viewContainer `json:"containers,omitempty"`
	EphemeralContainers []viewContainer `json:"ephemeralContainers,omitempty"`
	Volumes             []corev1.Volume `json:"volumes,omitempty"`
}

type viewContainer struct {
	Name    string                 `json:"name"`
	Env     []corev1.EnvVar        `json:"env,omitempty"`
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`
}

// isView marks the views, so that code handed a workload can tell a view from a whole object.
func (*workloadView[K]) isView() {}

type view interface {
	client.Object
	isView()
	meta() *viewMeta
	spec() *viewSpec
}

func (v *workloadView[K]) meta() *viewMeta { return &v.viewMeta }
func (v *workloadView[K]) spec() *viewSpec { return &v.Spec }

// template returns the pod template of the view as a PodTemplateSpec holding its
// annotations and the parts of its spec the view keeps, to read (not to write: it is
// built afresh, its maps and slices the view's own).
func (s *viewSpec) template() *corev1.PodTemplateSpec {
	t := &s.Template
	if s.JobTemplate != nil {
		t = &s.JobTemplate.Spec.Template
	}
	out := &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Annotations: t.Metadata.Annotations.toMap()},
		Spec: corev1.PodSpec{Volumes: t.Spec.Volumes}}
	out.Spec.InitContainers = containers(t.Spec.InitContainers)
	out.Spec.Containers = containers(t.Spec.Containers)
	for _, c := range t.Spec.EphemeralContainers {
		out.Spec.EphemeralContainers = append(out.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: c.Name, Env: c.Env, EnvFrom: c.EnvFrom}})
	}
	return out
}

func containers(in []viewContainer) []corev1.Container {
	if len(in) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(in))
	for i, c := range in {
		out[i] = corev1.Container{Name: c.Name, Env: c.Env, EnvFrom: c.EnvFrom}
	}
	return out
}

// DeepCopyObject copies the view: the cache hands out copies.
func (v *workloadView[K]) DeepCopyObject() runtime.Object {
	out := &workloadView[K]{TypeMeta: v.TypeMeta, viewMeta: v.deepCopy()}
	out.Spec = viewSpec{Paused: v.Spec.Paused, Template: v.Spec.Template.deepCopy()}
	if v.Spec.JobTemplate != nil {
		out.Spec.JobTemplate = &viewJobTemplate{}
		out.Spec.JobTemplate.Spec.Template = v.Spec.JobTemplate.Spec.Template.deepCopy()
	}
	return out
}

// DeepCopyObject copies the list.
func (l *workloadViewList[K]) DeepCopyObject() runtime.Object {
	out := &workloadViewList[K]{TypeMeta: l.TypeMeta}
	l.DeepCopyInto(&out.ListMeta)
	if l.Items != nil {
		out.Items = make([]workloadView[K], len(l.Items))
		for i := range l.Items {
			out.Items[i] = *l.Items[i].DeepCopyObject().(*workloadView[K])
		}
	}
	return out
}

func (t viewTemplate) deepCopy() viewTemplate {
	var out viewTemplate
	out.Metadata.Annotations = slices.Clone(t.Metadata.Annotations)
	out.Spec.InitContainers = copyContainers(t.Spec.InitContainers)
	out.Spec.Containers = copyContainers(t.Spec.Containers)
	out.Spec.EphemeralContainers = copyContainers(t.Spec.EphemeralContainers)
	if t.Spec.Volumes != nil {
		out.Spec.Volumes = make([]corev1.Volume, len(t.Spec.Volumes))
		for i := range t.Spec.Volumes {
			t.Spec.Volumes[i].DeepCopyInto(&out.Spec.Volumes[i])
		}
	}
	return out
}

func copyContainers(in []viewContainer) []viewContainer {
	if in == nil {
		return nil
	}
	out := make([]viewContainer, len(in))
	for i, c := range in {
		out[i].Name = c.Name
		if c.Env != nil {
			out[i].Env = make([]corev1.EnvVar, len(c.Env))
			for j := range c.Env {
				c.Env[j].DeepCopyInto(&out[i].Env[j])
			}
		}
		if c.EnvFrom != nil {
			out[i].EnvFrom = make([]corev1.EnvFromSource, len(c.EnvFrom))
			for j := range c.EnvFrom {
				c.EnvFrom[j].DeepCopyInto(&out[i].EnvFrom[j])
			}
		}
	}
	return out
}

// viewKinds are the kinds cached as views, with the view and list types of each.
var viewKinds = []struct {
	gvk  schema.GroupVersionKind
	view func() client.Object
	list func() client.ObjectList
}{
	{appsv1.SchemeGroupVersion.WithKind("Deployment"),
		func() client.Object { return &workloadView[deploymentMark]{} },
		func() client.ObjectList { return &workloadViewList[deploymentMark]{} }},
	{appsv1.SchemeGroupVersion.WithKind("StatefulSet"),
		func() client.Object { return &workloadView[statefulSetMark]{} },
		func() client.ObjectList { return &workloadViewList[statefulSetMark]{} }},
	{appsv1.SchemeGroupVersion.WithKind("DaemonSet"),
		func() client.Object { return &workloadView[daemonSetMark]{} },
		func() client.ObjectList { return &workloadViewList[daemonSetMark]{} }},
	{batchv1.SchemeGroupVersion.WithKind("CronJob"),
		func() client.Object { return &workloadView[cronJobMark]{} },
		func() client.ObjectList { return &workloadViewList[cronJobMark]{} }},
}

// ViewScheme is the scheme of the views: each viewed kind's GroupVersionKind, and its list's,
// names a view type, and nothing else is known but the meta types a client needs.
var ViewScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, k := range viewKinds {
		s.AddKnownTypeWithName(k.gvk, k.view())
		s.AddKnownTypeWithName(k.gvk.GroupVersion().WithKind(k.gvk.Kind+"List"), k.list())
	}
	metav1.AddToGroupVersion(s, appsv1.SchemeGroupVersion)
	metav1.AddToGroupVersion(s, batchv1.SchemeGroupVersion)
	return s
}()

// viewOf returns an empty view of gvk with its kind set, as the cache is asked for it; nil
// for a kind not cached as a view.
func viewOf(gvk schema.GroupVersionKind) client.Object {
	for _, k := range viewKinds {
		if k.gvk == gvk {
			o := k.view()
			o.GetObjectKind().SetGroupVersionKind(gvk)
			return o
		}
	}
	return nil
}

func viewListOf(gvk schema.GroupVersionKind) client.ObjectList {
	for _, k := range viewKinds {
		if k.gvk == gvk {
			l := k.list()
			l.GetObjectKind().SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
			return l
		}
	}
	return nil
}

// newWorkloadCache returns the cache of workload views, confined to namespaces when some
// are given, and to this replica's shards when shards is set. Its clients speak JSON: the
// views are not protobuf messages.
func newWorkloadCache(cfg *rest.Config, mapper meta.RESTMapper, httpClient *http.Client, namespaces []string, shards *shard.Gate) (ownCache, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.ContentType = runtime.ContentTypeJSON
	cfg.AcceptContentTypes = runtime.ContentTypeJSON
	byObject := map[client.Object]cache.ByObject{}
	shared := cacheview.NewCompactor()
	for _, k := range viewKinds {
		byObject[viewOf(k.gvk)] = cache.ByObject{Transform: slimView(k.gvk, shared)}
	}
	c, err := cachesync.New(cfg, cache.Options{Scheme: ViewScheme, Mapper: mapper, HTTPClient: httpClient, ByObject: byObject,
		DefaultNamespaces: cacheNamespaces(namespaces), NewInformer: shards.NewInformer(ViewScheme)})
	if err != nil {
		return ownCache{}, fmt.Errorf("creating the workload cache: %w", err)
	}
	return ownCache{c}, nil
}

// slimView returns the transform of the views of gvk: it sets their kind (a decoder clears
// it, and events name the workload by it), drops kubectl's copy of the manifest, keeps of the
// pod template only environment variables read from a Secret or ConfigMap and volumes of
// Secrets, ConfigMaps, projections and CSI drivers, and shares the namespace and annotation
// keys with the views compacted before (shared).
func slimView(gvk schema.GroupVersionKind, shared *cacheview.Compactor) func(any) (any, error) {
	return func(in any) (any, error) {
		v, ok := in.(view)
		if !ok {
			return in, nil
		}
		v.GetObjectKind().SetGroupVersionKind(gvk)
		m := v.meta()
		m.Annotations = m.Annotations.without(corev1.LastAppliedConfigAnnotation)
		s := v.spec()
		strs := []*string{&m.Namespace}
		for _, t := range []*viewTemplate{&s.Template, jobTemplate(s)} {
			if t == nil {
				continue
			}
			slimTemplate(t)
			strs = t.Metadata.Annotations.keys(strs)
		}
		shared.Share(m.Annotations.keys(strs)...)
		return v, nil
	}
}

func jobTemplate(s *viewSpec) *viewTemplate {
	if s.JobTemplate == nil {
		return nil
	}
	return &s.JobTemplate.Spec.Template
}

func slimTemplate(t *viewTemplate) {
	for _, cs := range [][]viewContainer{t.Spec.InitContainers, t.Spec.Containers, t.Spec.EphemeralContainers} {
		for i := range cs {
			cs[i].Env = keepEnv(cs[i].Env)
		}
	}
	var volumes []corev1.Volume
	for _, v := range t.Spec.Volumes {
		if v.Secret != nil || v.ConfigMap != nil || v.Projected != nil || v.CSI != nil {
			volumes = append(volumes, v)
		}
	}
	t.Spec.Volumes = volumes
}

// keepEnv keeps the variables read from a Secret or ConfigMap key: a literal value may be
// long, and says nothing about sources.
func keepEnv(env []corev1.EnvVar) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, e := range env {
		if e.ValueFrom != nil && (e.ValueFrom.SecretKeyRef != nil || e.ValueFrom.ConfigMapKeyRef != nil) {
			out = append(out, corev1.EnvVar{Name: e.Name, ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: e.ValueFrom.SecretKeyRef, ConfigMapKeyRef: e.ValueFrom.ConfigMapKeyRef}})
		}
	}
	return out
}
