package lossless

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Convert runs one object conversion from version from to version to. It converts the JSON
// form of src, the form in which the API server stores and sends objects (an empty list that
// JSON leaves out is no list at all), copies its metadata to dst, lets body convert the rest
// through the Stash, and writes the kept values into dst's annotations. body gets that
// private copy of src, which it may share memory with.
func Convert[T any, PT interface {
	*T
	metav1.ObjectMetaAccessor
}](src PT, dst *metav1.ObjectMeta, from, to string, body func(st *Stash, src PT)) error {
	in, err := canonical(src)
	if err != nil {
		return fmt.Errorf("convert from %s to %s: %w", from, to, err)
	}
	meta, ok := in.GetObjectMeta().(*metav1.ObjectMeta)
	if !ok {
		return fmt.Errorf("convert from %s to %s: %T has no ObjectMeta", from, to, src)
	}
	st, err := Open(meta.Annotations, from, to)
	if err != nil {
		return fmt.Errorf("convert %s from %s to %s: %w", objectName(meta), from, to, err)
	}
	*dst = *meta
	body(st, in)
	if dst.Annotations, err = st.Close(dst.Annotations); err != nil {
		return fmt.Errorf("convert %s from %s to %s: %w", objectName(meta), from, to, err)
	}
	return nil
}

// canonical returns a copy of obj decoded from its JSON.
func canonical[T any, PT interface{ *T }](obj PT) (PT, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	out := PT(new(T))
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, err
	}
	return out, nil
}

func objectName(meta *metav1.ObjectMeta) string {
	if meta.Namespace == "" {
		return meta.Name
	}
	return meta.Namespace + "/" + meta.Name
}

// ConvertSlice converts each element of in with convert; nil stays nil, so that a round trip
// keeps the difference between null and [] where JSON shows it.
func ConvertSlice[A, B any](in []A, convert func(A) B) []B {
	if in == nil {
		return nil
	}
	out := make([]B, 0, len(in))
	for _, element := range in {
		out = append(out, convert(element))
	}
	return out
}

// FilterSlice converts the elements of in that convert accepts. It is meant for fields that
// JSON leaves out when empty: a result without elements is nil, as the API server would read
// it back.
func FilterSlice[A, B any](in []A, convert func(A) (B, bool)) []B {
	var out []B
	for _, element := range in {
		if converted, ok := convert(element); ok {
			out = append(out, converted)
		}
	}
	return out
}

// CopyPtr returns a pointer to a copy of *in, or nil. T must not hold pointers, slices or maps.
func CopyPtr[T any](in *T) *T {
	if in == nil {
		return nil
	}
	out := *in
	return &out
}
