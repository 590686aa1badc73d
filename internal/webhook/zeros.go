package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
)

// KeepExplicitZeros wraps the conversion webhook so that an object reads back as it was
// written. Conversion goes through Go types, which lose two things on the way:
//
//   - a field written with its zero value (false, 0, ""): omitempty drops it, so
//     `target.immutable: false` written at v1beta1 would read back without the field;
//   - the absence of an object: a struct held by value is marshalled as `{}` even when
//     nothing was written, so a v1beta1 ExternalSecret written without `secretStoreRef`
//     (all its data from generators) would read back at v1beta1 with `secretStoreRef: {}`.
//
// Either keeps the meaning but is not what was written, and a tool that compares what it
// wrote with what it reads sees a difference. Each converted object gets back every
// zero-valued field of the object it was converted from that it lacks, and loses every
// empty object that object did not have, inside the objects (and the lists of equal
// length) both have; a field the target version does not have is then pruned by the API
// server as any unknown field is.
func KeepExplicitZeros(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in bytes.Buffer // Limit, around this handler, bounds the body
		if _, err := in.ReadFrom(r.Body); err != nil {
			http.Error(w, "reading the request: "+err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.NoBody
		req := r.Clone(r.Context())
		req.Body = readCloser{bytes.NewReader(in.Bytes())}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, req)
		out := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			out = withZeros(in.Bytes(), out)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(out)
	})
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// withZeros returns the ConversionReview answer resp with the zero-valued fields of the
// request's objects put back into the converted objects and the empty objects the
// conversion added taken out, or resp unchanged when either does not decode or their
// objects do not pair up.
func withZeros(req, resp []byte) []byte {
	var in struct {
		Request struct {
			Objects []json.RawMessage `json:"objects"`
		} `json:"request"`
	}
	var out map[string]any
	if json.Unmarshal(req, &in) != nil || decode(resp, &out) != nil {
		return resp
	}
	response, _ := out["response"].(map[string]any)
	converted, _ := response["convertedObjects"].([]any)
	if len(converted) == 0 || len(converted) != len(in.Request.Objects) {
		return resp
	}
	changed := false
	for i, raw := range in.Request.Objects {
		var original any
		if decode(raw, &original) != nil {
			continue
		}
		o, _ := original.(map[string]any)
		c, _ := converted[i].(map[string]any)
		// Only what the user writes: metadata and status are the API server's.
		if spec, ok := o["spec"].(map[string]any); ok {
			if target, ok := c["spec"].(map[string]any); ok {
				if restoreZeros(spec, target) {
					changed = true
				}
				if dropAddedEmpties(spec, target) {
					changed = true
				}
			}
		}
	}
	if !changed {
		return resp
	}
	b, err := json.Marshal(out)
	if err != nil {
		return resp
	}
	return b
}

// restoreZeros copies into to every zero-valued scalar of from that to lacks, recursing
// into the objects both have (and the lists both have at the same length), and reports
// whether it added any.
func restoreZeros(from, to map[string]any) bool {
	added := false
	for k, v := range from {
		got, present := to[k]
		switch v := v.(type) {
		case map[string]any:
			if m, ok := got.(map[string]any); ok && restoreZeros(v, m) {
				added = true
			}
		case []any:
			if eachObjectPair(v, got, restoreZeros) {
				added = true
			}
		case bool, json.Number, string:
			if !present && isZero(v) {
				to[k] = v
				added = true
			}
		}
	}
	return added
}

// dropAddedEmpties deletes from to every empty object that from has no field for,
// recursing into the objects both have (and the lists both have at the same length), and
// reports whether it deleted any. An empty object from has is kept: `find: {}` written by
// a user means something.
func dropAddedEmpties(from, to map[string]any) bool {
	dropped := false
	for k, got := range to {
		v, present := from[k]
		m, isMap := got.(map[string]any)
		switch {
		case !present:
			if isMap && len(m) == 0 {
				delete(to, k)
				dropped = true
			}
		case isMap:
			if f, ok := v.(map[string]any); ok && dropAddedEmpties(f, m) {
				dropped = true
			}
		default:
			if f, ok := v.([]any); ok && eachObjectPair(f, got, dropAddedEmpties) {
				dropped = true
			}
		}
	}
	return dropped
}

// eachObjectPair calls f on the objects at the same index of from and to when to is a list
// of the same length, and reports whether any call did.
func eachObjectPair(from []any, to any, f func(from, to map[string]any) bool) bool {
	l, ok := to.([]any)
	if !ok || len(l) != len(from) {
		return false
	}
	did := false
	for i := range from {
		a, aok := from[i].(map[string]any)
		b, bok := l[i].(map[string]any)
		if aok && bok && f(a, b) {
			did = true
		}
	}
	return did
}

// decode reads JSON keeping numbers as written, so an integer past 2^53 is not rounded on
// its way back out.
func decode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func isZero(v any) bool {
	switch v := v.(type) {
	case bool:
		return !v
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	case string:
		return v == ""
	}
	return false
}
