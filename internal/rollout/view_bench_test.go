package rollout

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/ferryhq/ferry/internal/cacheview"
)

// BenchmarkWorkloadFootprint measures the heap a cache keeps per Deployment of a shape seen in
// Helm-installed applications (an application container and a sidecar, each with literal
// environment values, resources, probes and mounts; secret, configMap and emptyDir volumes)
// in three forms: the typed object decoded from protobuf as the API server sends it; that
// object trimmed as Ferry cached workloads before views (status, managed fields, kubectl's
// copy and all of the spec but paused, the template's annotations, containers and volumes
// dropped); and the view decoded from JSON and slimmed (view.go). It reports bytes per object
// retained after a collection. The same for the benchmark harness's minimal Deployment (one
// container reading one Secret through envFrom, one opt-in annotation).
//
//	go test ./internal/rollout -run XXX -bench WorkloadFootprint -benchtime 1x
func BenchmarkWorkloadFootprint(b *testing.B) {
	for _, shape := range []struct {
		name string
		d    *appsv1.Deployment
	}{{"helm", helmDeployment()}, {"minimal", minimalDeployment()}} {
		b.Run(shape.name, func(b *testing.B) { workloadFootprint(b, shape.d) })
	}
}

func workloadFootprint(b *testing.B, d *appsv1.Deployment) {
	pb := protobuf.NewSerializer(clientgoscheme.Scheme, clientgoscheme.Scheme)
	var wire []byte
	{
		buf, err := k8sruntime.Encode(pb, d)
		if err != nil {
			b.Fatal(err)
		}
		wire = buf
	}
	js, err := json.Marshal(d)
	if err != nil {
		b.Fatal(err)
	}
	views := serializer.NewCodecFactory(ViewScheme).UniversalDeserializer()
	const n = 2000
	for _, form := range []struct {
		name   string
		decode func() (any, error)
	}{
		{"typed", func() (any, error) { return k8sruntime.Decode(pb, wire) }},
		{"typed-trimmed", func() (any, error) {
			o, err := k8sruntime.Decode(pb, wire)
			if err != nil {
				return nil, err
			}
			w := o.(*appsv1.Deployment)
			cacheview.TrimMetadata(w)
			t := w.Spec.Template
			w.Status = appsv1.DeploymentStatus{}
			w.Spec = appsv1.DeploymentSpec{Paused: w.Spec.Paused, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Annotations: t.Annotations},
				Spec: corev1.PodSpec{InitContainers: t.Spec.InitContainers, Containers: t.Spec.Containers,
					EphemeralContainers: t.Spec.EphemeralContainers, Volumes: t.Spec.Volumes}}}
			return w, nil
		}},
		{"view", func() (any, error) {
			o, _, err := views.Decode(js, nil, nil)
			if err != nil {
				return nil, err
			}
			return slimView(appsv1.SchemeGroupVersion.WithKind("Deployment"), cacheview.NewCompactor())(o)
		}},
	} {
		b.Run(form.name, func(b *testing.B) {
			for b.Loop() {
				kept := make([]any, n)
				before := heapInUse()
				for i := range kept {
					o, err := form.decode()
					if err != nil {
						b.Fatal(err)
					}
					kept[i] = o
				}
				after := heapInUse()
				b.ReportMetric(float64(after-before)/n, "B/object")
				runtime.KeepAlive(kept)
			}
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// helmDeployment is a Deployment shaped like those Helm charts install.
func helmDeployment() *appsv1.Deployment {
	labels := map[string]string{"app.kubernetes.io/name": "shop", "app.kubernetes.io/instance": "shop-prod",
		"app.kubernetes.io/version": "2.4.1", "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "shop-2.4.1"}
	container := func(name string) corev1.Container {
		c := corev1.Container{Name: name, Image: "registry.example.com/shop/" + name + ":2.4.1",
			Command: []string{"/app/" + name}, Args: []string{"--port=8080", "--log-format=json"},
			Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePath: "/dev/termination-log",
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")}},
			EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "shop-settings"}}}},
			VolumeMounts: []corev1.VolumeMount{{Name: "tls", MountPath: "/tls", ReadOnly: true}, {Name: "config", MountPath: "/config"},
				{Name: "tmp", MountPath: "/tmp"}},
			SecurityContext: &corev1.SecurityContext{RunAsNonRoot: new(true), ReadOnlyRootFilesystem: new(true),
				AllowPrivilegeEscalation: new(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
		}
		for i := range 8 {
			c.Env = append(c.Env, corev1.EnvVar{Name: fmt.Sprintf("SHOP_SETTING_%d", i), Value: fmt.Sprintf("value-of-setting-%d", i)})
		}
		c.Env = append(c.Env, corev1.EnvVar{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "shop-db"}, Key: "password"}}})
		probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
			PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3}
		c.LivenessProbe, c.ReadinessProbe = probe, probe.DeepCopy()
		return c
	}
	return &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "shop-api", Labels: labels, UID: "6f1c5a1e-0d7e-4b8e-9a55-1f0a2c9d3b7e",
			ResourceVersion: "123456", Generation: 4,
			Annotations: map[string]string{"deployment.kubernetes.io/revision": "4", "meta.helm.sh/release-name": "shop-prod",
				"meta.helm.sh/release-namespace": "shop", ReloaderAuto: "true"}},
		Spec: appsv1.DeploymentSpec{Replicas: new(int32(3)), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{"checksum/config": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{container("api"), container("worker")},
					ServiceAccountName: "shop", RestartPolicy: corev1.RestartPolicyAlways, DNSPolicy: corev1.DNSClusterFirst,
					Volumes: []corev1.Volume{
						{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "shop-tls"}}},
						{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: "shop-config"}}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 4, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3,
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"}}},
	}
}

// minimalDeployment is a Deployment shaped like the benchmark harness's workloads
// (bench/harness/seed.go), with the digest record Ferry writes on it.
func minimalDeployment() *appsv1.Deployment {
	labels := map[string]string{"app": "app-00001"}
	return &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "bench-01", Name: "app-00001", UID: "0b6f2a1e-3d7e-4b8e-9a55-1f0a2c9d3b7e",
			ResourceVersion: "123456", Generation: 1,
			Annotations: map[string]string{ReloaderAuto: "true", AnnotationLastDigests: "secret/es-00001=" + strings.Repeat("0", 64)}},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1",
					EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{
						LocalObjectReference: corev1.LocalObjectReference{Name: "es-00001"}}}}}}}}},
	}
}
