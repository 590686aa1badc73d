package lossless

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// entries are the kept values of one version, by section name.
type entries map[string]json.RawMessage

// Stash holds the kept values of one object while it is converted from one version to another.
// Build it with Open before converting and finish with Close; a Stash serves one conversion.
type Stash struct {
	from, to string
	// incoming are the values of version `to` kept on the source object.
	incoming entries
	// outgoing are the values of version `from` that version `to` cannot hold.
	outgoing entries
	// others are the values kept for any other version, carried unchanged.
	others map[string]entries
	err    error
}

// Open reads the kept values from the annotations of an object of version from that is being
// converted to version to. It fails when the annotation is not what Close writes.
func Open(annotations map[string]string, from, to string) (*Stash, error) {
	st := &Stash{from: from, to: to, incoming: entries{}, outgoing: entries{}, others: map[string]entries{}}
	raw, ok := annotations[esv1.AnnotationConversionData]
	if !ok {
		return st, nil
	}
	var kept map[string]entries
	if err := json.Unmarshal([]byte(raw), &kept); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", esv1.AnnotationConversionData, err)
	}
	for version, values := range kept {
		switch version {
		case to:
			st.incoming = values
		case from:
			// Values of an object's own version mean nothing to it; the conversion writes
			// this version's values afresh.
		default:
			st.others[version] = values
		}
	}
	return st, nil
}

// Close returns a copy of annotations that holds the values this conversion kept, with the
// annotation removed when nothing is kept, and nil instead of an empty map. Values kept for
// the destination version that no longer fit the object are dropped.
func (st *Stash) Close(annotations map[string]string) (map[string]string, error) {
	if st.err != nil {
		return nil, st.err
	}
	kept := map[string]entries{}
	maps.Copy(kept, st.others)
	if len(st.outgoing) > 0 {
		kept[st.from] = st.outgoing
	}
	out := maps.Clone(annotations)
	delete(out, esv1.AnnotationConversionData)
	if len(kept) > 0 {
		raw, err := json.Marshal(kept)
		if err != nil {
			return nil, fmt.Errorf("annotation %s: %w", esv1.AnnotationConversionData, err)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[esv1.AnnotationConversionData] = string(raw)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// Section is one part of an object that the hub version H and a spoke version S shape
// differently. Down and Up are the plain conversions, which may lose information either way;
// ToHub and FromHub make them lossless through the Stash. Down and Up must not share memory
// between their argument and their result.
type Section[H, S any] struct {
	// Name identifies the section in the annotation, as a field path: "spec.data".
	Name string
	Down func(H) S
	Up   func(S) H
}

// ToHub converts the spoke's value of the section to the hub's.
func (sec Section[H, S]) ToHub(st *Stash, spoke S) H {
	return carry(st, sec.Name, spoke, sec.Up, sec.Down)
}

// FromHub converts the hub's value of the section to the spoke's.
func (sec Section[H, S]) FromHub(st *Stash, hub H) S {
	return carry(st, sec.Name, hub, sec.Down, sec.Up)
}

// HubField is a hub field that a spoke version has no place for. Default is what the field
// means when the spoke is silent, which the conversion to the hub fills in; only other values
// are kept, so an object defaulted by the API server converts without an annotation.
type HubField[H any] struct {
	Name    string
	Default H
}

// Keep records the hub's value, on the way down, unless it is the default.
func (f HubField[H]) Keep(st *Stash, value H) {
	f.section().FromHub(st, value)
}

// Restore returns the hub's value, on the way up: the kept one or the default.
func (f HubField[H]) Restore(st *Stash) H {
	return f.section().ToHub(st, struct{}{})
}

func (f HubField[H]) section() Section[H, struct{}] {
	return Section[H, struct{}]{
		Name: f.Name,
		Down: func(H) struct{} { return struct{}{} },
		// The default goes through JSON so that the result never shares memory with it.
		Up: func(struct{}) H { return jsonCopy(f.Default) },
	}
}

// SpokeField is a spoke field that the hub has no place for, such as a provider an older
// version served and the hub dropped. Its value is kept on the way up and given back on the
// way down; the hub never sees it.
type SpokeField[S any] struct {
	Name string
}

// Keep records the spoke's value, on the way up, unless it is the zero value.
func (f SpokeField[S]) Keep(st *Stash, value S) {
	f.section().ToHub(st, value)
}

// Restore returns the spoke's value, on the way down: the kept one or the zero value.
func (f SpokeField[S]) Restore(st *Stash) S {
	return f.section().FromHub(st, struct{}{})
}

func (f SpokeField[S]) section() Section[struct{}, S] {
	return Section[struct{}, S]{
		Name: f.Name,
		Down: func(struct{}) S {
			var zero S
			return zero
		},
		Up: func(S) struct{} { return struct{}{} },
	}
}

// carry converts src, the section's value in the source version, with there, and uses back,
// the inverse conversion, to tell what is lost. A value kept for the destination version is
// used instead of there(src) when it still converts back to src: then nothing was changed in
// the source version since the value was kept. When back(dst) differs from src, src is kept
// for the return trip.
func carry[A, B any](st *Stash, name string, src A, there func(A) B, back func(B) A) B {
	dst := there(src)
	if raw, ok := st.incoming[name]; ok {
		var kept B
		if err := json.Unmarshal(raw, &kept); err != nil {
			st.fail(fmt.Errorf("annotation %s, %s: %w", esv1.AnnotationConversionData, name, err))
		} else if sameJSON(back(kept), src) {
			dst = kept
		}
	}
	if !sameJSON(back(dst), src) {
		raw, err := json.Marshal(src)
		if err != nil {
			st.fail(fmt.Errorf("keep %s: %w", name, err))
		}
		st.outgoing[name] = raw
	}
	return dst
}

func (st *Stash) fail(err error) {
	if st.err == nil {
		st.err = err
	}
}

// sameJSON reports whether a and b encode to the same JSON, which is what a round trip must
// preserve. Values that cannot be encoded are never the same.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// jsonCopy returns a deep copy of value through JSON.
func jsonCopy[T any](value T) T {
	var out T
	raw, err := json.Marshal(value)
	if err == nil {
		_ = json.Unmarshal(raw, &out)
	}
	return out
}
