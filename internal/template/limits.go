package template

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"
)

// MaxOutputBytes is the most one template may render: a Secret holds at most 1 MiB.
const MaxOutputBytes = 1 << 20

// The other limits are variables only so tests can lower them; nothing changes them at run
// time. Each guards against one way a template could exhaust the operator.
var (
	// maxRenderedBytes bounds the output of all templates of one Renderer together, so
	// thousands of small templates cannot each render a mebibyte.
	maxRenderedBytes = 4 << 20
	// maxValueBytes bounds the estimated size of any value a function returns.
	maxValueBytes = 4 << 20
	// maxArgBytes bounds the estimated size of all arguments of one function call, so that
	// a call with thousands of arguments (or the same large value many times) cannot
	// build a huge string before its result is checked.
	maxArgBytes = 4 << 20
	// maxListLen bounds lists made from a count (until, seq, split, ...).
	maxListLen = 100_000
	// maxQuadratic bounds n*m for functions that compare every element with every other
	// (uniq, without).
	maxQuadratic = 10_000_000
	// maxSteps bounds loop iterations, template calls and function calls of one Renderer.
	maxSteps = 1_000_000
	// maxDuration bounds the time one Renderer spends executing templates. It is checked
	// between steps; a single function call is not interrupted.
	maxDuration = 10 * time.Second
	// maxTemplateDepth bounds nested {{ template }} calls.
	maxTemplateDepth = 1000
	// maxNesting bounds how deeply values (lists, dicts) may nest.
	maxNesting = 64
)

// ErrLimitExceeded is wrapped by every error that reports a template hitting a limit.
var ErrLimitExceeded = errors.New("template limit exceeded")

// limitError is a safe error: its text names the limit, never a value.
type limitError struct{ msg string }

func (e *limitError) Error() string        { return e.msg }
func (e *limitError) Is(target error) bool { return target == ErrLimitExceeded }

func limitf(format string, args ...any) error {
	return &limitError{msg: fmt.Sprintf(format, args...)}
}

// budget is what one Renderer may still spend. It is not safe for concurrent use.
type budget struct {
	steps    int
	spent    time.Duration // by executions that have finished
	started  time.Time     // of the execution under way, if running
	running  bool
	rendered int
	depth    int
}

func (b *budget) begin() {
	b.started, b.running = time.Now(), true
}

func (b *budget) end() {
	if b.running {
		b.spent += time.Since(b.started)
	}
	b.running, b.depth = false, 0
}

// step accounts for one loop iteration, template call or function call.
func (b *budget) step() error {
	b.steps++
	if b.steps > maxSteps {
		return limitf("more than %d steps (loop iterations, template and function calls)", maxSteps)
	}
	if b.spent+time.Since(b.started) > maxDuration {
		return limitf("rendering took longer than %s", maxDuration)
	}
	return nil
}

// limitedWriter collects one template's output and fails once it grows past max.
type limitedWriter struct {
	buf   []byte
	max   int
	limit error
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if len(w.buf)+len(p) > w.max {
		return 0, w.limit
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// sizer estimates how many bytes printing a value could take: the bytes of its strings,
// plus a few per element and per level of nesting (for the indentation of toYaml and
// toPrettyJson). The values passed to templates (the root map, ".") are sized once, and
// again when a function changes them.
type sizer struct {
	root     reflect.Value
	rootSize int
}

// isRoot says whether v is (an interface holding) the root map.
func (s *sizer) isRoot(v reflect.Value) bool {
	for v.IsValid() && v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	return s.root.IsValid() && v.IsValid() && v.Kind() == reflect.Map && v.Type() == s.root.Type() &&
		v.UnsafePointer() == s.root.UnsafePointer()
}

// resizeRoot sizes the root map again after a function changed it.
func (s *sizer) resizeRoot() error {
	root := s.root
	s.root = reflect.Value{}
	defer func() { s.root = root }()
	n, err := s.size(root, math.MaxInt)
	if err != nil {
		return err
	}
	s.rootSize = n
	return nil
}

const (
	scalarSize   = 24 // the longest formatted number
	elementSize  = 2  // separators and brackets
	indentSize   = 2  // per level of nesting, per element
	stringerSize = 64 // a time, a version: a short formatted text
)

var stringerType = reflect.TypeFor[fmt.Stringer]()

// size returns the estimated size of v, or an error when v nests deeper than maxNesting
// (a dict that contains itself nests without end). It stops counting past limit.
func (s *sizer) size(v reflect.Value, limit int) (int, error) {
	return s.sizeAt(v, 0, limit)
}

func (s *sizer) sizeAt(v reflect.Value, depth, limit int) (int, error) {
	if depth > maxNesting {
		return 0, limitf("a value nests more than %d levels deep", maxNesting)
	}
	if !v.IsValid() {
		return scalarSize, nil
	}
	if s.isRoot(v) {
		return s.rootSize, nil
	}
	overhead := elementSize + indentSize*depth
	switch v.Kind() {
	case reflect.String:
		return v.Len() + overhead, nil
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return scalarSize, nil
		}
		if v.Kind() == reflect.Pointer && v.Type().Implements(stringerType) {
			return stringerSize, nil
		}
		return s.sizeAt(v.Elem(), depth, limit)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Len() + overhead, nil
		}
		total := overhead
		for i := range v.Len() {
			n, err := s.sizeAt(v.Index(i), depth+1, limit-total)
			if err != nil {
				return 0, err
			}
			if total += n; total > limit {
				return total, nil
			}
		}
		return total, nil
	case reflect.Map:
		total := overhead
		iter := v.MapRange()
		for iter.Next() {
			k, err := s.sizeAt(iter.Key(), depth+1, limit-total)
			if err != nil {
				return 0, err
			}
			e, err := s.sizeAt(iter.Value(), depth+1, limit-total-k)
			if err != nil {
				return 0, err
			}
			if total += k + e; total > limit {
				return total, nil
			}
		}
		return total, nil
	case reflect.Struct:
		if v.Type().Implements(stringerType) {
			return stringerSize, nil
		}
		total := overhead
		for i := range v.NumField() {
			n, err := s.sizeAt(v.Field(i), depth+1, limit-total)
			if err != nil {
				return 0, err
			}
			if total += n; total > limit {
				return total, nil
			}
		}
		return total, nil
	default:
		return scalarSize + overhead, nil
	}
}
