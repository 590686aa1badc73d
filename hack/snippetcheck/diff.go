package main

import (
	"fmt"
	"reflect"
	"sort"
)

// diff collects the differences between a written value and the value read back.
type diff struct {
	lost, changed, added, nulls []string
}

// compare walks want (written) and got (read back) together; path names the value.
func (d *diff) compare(path string, want, got any) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			d.mismatch(path, want, got)
			return
		}
		for _, k := range sortedKeys(w) {
			gv, present := g[k]
			switch {
			case !present && w[k] == nil:
				d.nulls = append(d.nulls, path+"."+k)
				continue
			case !present:
				d.lost = append(d.lost, path+"."+k)
				continue
			}
			d.compare(path+"."+k, w[k], gv)
		}
		for _, k := range sortedKeys(g) {
			if _, present := w[k]; !present {
				d.added = append(d.added, path+"."+k)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			d.mismatch(path, want, got)
			return
		}
		for i := range w {
			p := fmt.Sprintf("%s[%d]", path, i)
			if i >= len(g) {
				d.lost = append(d.lost, p)
				continue
			}
			d.compare(p, w[i], g[i])
		}
		for i := len(w); i < len(g); i++ {
			d.added = append(d.added, fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		if !sameScalar(want, got) {
			d.mismatch(path, want, got)
		}
	}
}

// mismatch records a changed value, or a lost one when nothing came back.
func (d *diff) mismatch(path string, want, got any) {
	switch {
	case want == nil:
		d.added = append(d.added, path)
		return
	case got == nil:
		d.lost = append(d.lost, path)
		return
	}
	d.changed = append(d.changed, path)
}

// sameScalar compares two JSON scalars; numbers compare by value whatever their Go type.
func sameScalar(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
