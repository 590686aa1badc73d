package template

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"
	texttemplate "text/template"
	"unicode/utf8"
)

// safeError is an error whose text was written by this package and quotes no value; it
// reaches the user as it is.
type safeError struct{ msg string }

func (e *safeError) Error() string { return e.msg }

func safeErrorf(format string, args ...any) error {
	return &safeError{msg: fmt.Sprintf(format, args...)}
}

// funcError is what a guarded function returns when the call fails. Its text is safe:
// either a safeError's or limitError's own text, or a fixed text in place of an error
// that could quote an argument.
type funcError struct {
	msg   string
	limit bool
}

func (e *funcError) Error() string        { return e.msg }
func (e *funcError) Is(target error) bool { return e.limit && target == ErrLimitExceeded }

// withheld replaces the text of an error that may quote a value.
const withheld = "failed; the details are withheld because they may contain secret data"

// mutators change the map they get as first argument, which may be the values.
var mutators = map[string]bool{
	"set": true, "unset": true, "merge": true, "mergeOverwrite": true, "mustMerge": true, "mustMergeOverwrite": true,
}

// userMessageFuncs return the template author's own message as their error.
var userMessageFuncs = map[string]bool{"fail": true}

var errorType = reflect.TypeFor[error]()

// guard wraps fn so that every call counts as a step, its arguments and result stay
// within the size limits, a panic becomes an error, and an error's text cannot quote a
// value. The wrapper returns (T, error) even where fn returns only T.
func (r *Renderer) guard(name string, fn any) any {
	fv := reflect.ValueOf(fn)
	ft := fv.Type()
	if ft.Kind() != reflect.Func || ft.NumOut() < 1 || ft.NumOut() > 2 {
		panic(fmt.Sprintf("template: function %s has an unusable signature %s", name, ft))
	}
	in := make([]reflect.Type, ft.NumIn())
	for i := range in {
		in[i] = ft.In(i)
	}
	resultType := ft.Out(0)
	wrappedType := reflect.FuncOf(in, []reflect.Type{resultType, errorType}, ft.IsVariadic())
	precheck := prechecks[name]
	wrapped := reflect.MakeFunc(wrappedType, func(args []reflect.Value) []reflect.Value {
		fail := func(err error) []reflect.Value {
			return []reflect.Value{reflect.Zero(resultType), reflect.ValueOf(r.funcFailure(name, err))}
		}
		if err := r.budget.step(); err != nil {
			return fail(err)
		}
		if err := r.checkArgs(args); err != nil {
			return fail(err)
		}
		if precheck != nil {
			if err := precheck(args); err != nil {
				return fail(err)
			}
		}
		out, err := call(fv, args, ft.IsVariadic())
		if mutators[name] && len(args) > 0 && r.sizer.isRoot(args[0]) {
			if resizeErr := r.sizer.resizeRoot(); resizeErr != nil && err == nil {
				err = resizeErr
			}
		}
		if err != nil {
			return fail(err)
		}
		if err := r.checkResult(out); err != nil {
			return fail(err)
		}
		return []reflect.Value{out, reflect.Zero(errorType)}
	})
	return wrapped.Interface()
}

// call runs fn, turning a panic or a returned error into an error.
func call(fn reflect.Value, args []reflect.Value, variadic bool) (result reflect.Value, err error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			err = errPanicked
		}
	}()
	var out []reflect.Value
	if variadic {
		out = fn.CallSlice(args)
	} else {
		out = fn.Call(args)
	}
	if len(out) == 2 && !out[1].IsNil() {
		return reflect.Value{}, out[1].Interface().(error)
	}
	return out[0], nil
}

// errPanicked stands for a panic inside a function; the panic value may quote a value.
var errPanicked = errors.New("panicked")

// funcFailure turns any error from a function call into one whose text is safe to show.
func (r *Renderer) funcFailure(name string, err error) error {
	var safe *safeError
	var limit *limitError
	switch {
	case errors.As(err, &limit):
		return &funcError{msg: limit.msg, limit: true}
	case errors.As(err, &safe):
		return &funcError{msg: safe.msg}
	case userMessageFuncs[name] && !errors.Is(err, errPanicked):
		return &funcError{msg: r.redact(err.Error())}
	default:
		return &funcError{msg: withheld}
	}
}

func (r *Renderer) checkArgs(args []reflect.Value) error {
	total := 0
	for _, arg := range args {
		n, err := r.sizer.size(arg, maxArgBytes-total)
		if err != nil {
			return err
		}
		if total += n; total > maxArgBytes {
			return limitf("the arguments of one call exceed %d bytes", maxArgBytes)
		}
	}
	return nil
}

func (r *Renderer) checkResult(v reflect.Value) error {
	n, err := r.sizer.size(v, maxValueBytes)
	if err != nil {
		return err
	}
	if n > maxValueBytes {
		return limitf("the result exceeds %d bytes", maxValueBytes)
	}
	return nil
}

// A precheck refuses a call whose result would be far larger than its arguments, before
// the function allocates it. The argument kinds are those of the function's signature.
type precheck func(args []reflect.Value) error

var prechecks = map[string]precheck{
	"repeat": func(args []reflect.Value) error {
		return resultAtMost(float64(args[0].Int()) * float64(args[1].Len()))
	},
	"until": func(args []reflect.Value) error {
		return listAtMost(math.Abs(float64(args[0].Int())))
	},
	"untilStep": func(args []reflect.Value) error {
		return listAtMost(stepCount(args[0].Int(), args[1].Int(), args[2].Int()))
	},
	"seq": func(args []reflect.Value) error {
		params := args[0]
		switch params.Len() {
		case 1:
			return listAtMost(math.Abs(float64(params.Index(0).Int())))
		case 2:
			return listAtMost(math.Abs(float64(params.Index(1).Int()) - float64(params.Index(0).Int())))
		case 3:
			return listAtMost(stepCount(params.Index(0).Int(), params.Index(2).Int(), params.Index(1).Int()))
		}
		return nil
	},
	"indent":       indentCheck,
	"nindent":      indentCheck,
	"randAlphaNum": countCheck,
	"randAlpha":    countCheck,
	"randAscii":    countCheck,
	"randNumeric":  countCheck,
	"randBytes":    countCheck,
	"replace": func(args []reflect.Value) error {
		old, repl, src := args[0].String(), args[1].String(), args[2].String()
		if len(repl) <= len(old) {
			return nil
		}
		n := utf8.RuneCountInString(src) + 1
		if old != "" {
			n = strings.Count(src, old)
		}
		return resultAtMost(float64(len(src)) + float64(n)*float64(len(repl)-len(old)))
	},
	"regexReplaceAll":            regexReplaceCheck,
	"mustRegexReplaceAll":        regexReplaceCheck,
	"regexReplaceAllLiteral":     regexReplaceCheck,
	"mustRegexReplaceAllLiteral": regexReplaceCheck,
	"wrapWith": func(args []reflect.Value) error {
		width, sep, str := max(args[0].Int(), 1), args[1].String(), args[2].String()
		return resultAtMost(float64(len(str)) + (float64(len(str))/float64(width)+1)*float64(len(sep)))
	},
	"join": func(args []reflect.Value) error {
		return resultAtMost(float64(elementCount(args[1])) * float64(args[0].Len()))
	},
	"split":     splitCheck,
	"splitList": splitCheck,
	"splitn": func(args []reflect.Value) error {
		if n := args[1].Int(); n >= 0 && n <= int64(maxListLen) {
			return nil
		}
		return splitCheck([]reflect.Value{args[0], args[2]})
	},
	"regexSplit":       regexListCheck,
	"mustRegexSplit":   regexListCheck,
	"regexFindAll":     regexListCheck,
	"mustRegexFindAll": regexListCheck,
	"uniq":             quadraticCheck,
	"mustUniq":         quadraticCheck,
	"without":          quadraticCheck,
	"mustWithout":      quadraticCheck,
	"genPrivateKey": func(args []reflect.Value) error {
		if strings.EqualFold(args[0].String(), "dsa") {
			return safeErrorf("DSA keys are not available: generating their parameters can take minutes")
		}
		return nil
	},
	"printf": func(args []reflect.Value) error {
		return resultAtMost(float64(printfPadding(args[0].String(), args[1])))
	},
}

func resultAtMost(n float64) error {
	if n > float64(maxValueBytes) {
		return limitf("the result would exceed %d bytes", maxValueBytes)
	}
	return nil
}

func listAtMost(n float64) error {
	if n > float64(maxListLen) {
		return limitf("the list would have more than %d elements", maxListLen)
	}
	return nil
}

func stepCount(start, stop, step int64) float64 {
	if step == 0 {
		return 0
	}
	return math.Abs((float64(stop) - float64(start)) / float64(step))
}

func countCheck(args []reflect.Value) error {
	return resultAtMost(float64(args[0].Int()) * 2)
}

func indentCheck(args []reflect.Value) error {
	lines := strings.Count(args[1].String(), "\n") + 1
	return resultAtMost(float64(args[1].Len()) + float64(args[0].Int())*float64(lines))
}

// regexReplaceCheck bounds the result of replacing every match of args[0] in args[1] by
// args[2]. Matches do not overlap, so $1-style references add at most the length of the
// input per reference in total. The matches are counted only when the quick bound fails.
func regexReplaceCheck(args []reflect.Value) error {
	s, repl := args[1].String(), args[2].String()
	refs := float64(strings.Count(repl, "$"))
	bound := func(matches float64) float64 {
		return float64(len(s)) + matches*float64(len(repl)) + refs*float64(len(s))
	}
	if resultAtMost(bound(float64(len(s)+1))) == nil {
		return nil
	}
	re, err := regexp.Compile(args[0].String())
	if err != nil {
		return nil // the function reports it
	}
	return resultAtMost(bound(float64(countMatches(re, s))))
}

// countMatches counts the matches of re in s without keeping them.
func countMatches(re *regexp.Regexp, s string) int {
	n := 0
	re.ReplaceAllStringFunc(s, func(string) string {
		n++
		return ""
	})
	return n
}

func splitCheck(args []reflect.Value) error {
	sep, s := args[0].String(), args[1].String()
	if sep == "" {
		return listAtMost(float64(utf8.RuneCountInString(s)))
	}
	return listAtMost(float64(strings.Count(s, sep) + 1))
}

// regexListCheck bounds the list of regexFindAll and regexSplit (regex, s, n).
func regexListCheck(args []reflect.Value) error {
	s, n := args[1].String(), args[2].Int()
	if n >= 0 && n <= int64(maxListLen) {
		return nil
	}
	re, err := regexp.Compile(args[0].String())
	if err != nil {
		return nil // the function reports it
	}
	return listAtMost(float64(countMatches(re, s) + 1))
}

func quadraticCheck(args []reflect.Value) error {
	n := float64(elementCount(args[0]))
	m := n
	if len(args) > 1 {
		m = float64(args[1].Len())
	}
	if n*m > float64(maxQuadratic) {
		return limitf("the list is too long for this function (%d comparisons at most)", maxQuadratic)
	}
	return nil
}

// elementCount is the number of elements of a list argument, 1 for anything else.
func elementCount(v reflect.Value) int {
	for v.IsValid() && (v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer) && !v.IsNil() {
		v = v.Elem()
	}
	if v.IsValid() && (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) {
		return v.Len()
	}
	return 1
}

// printfPadding adds up the widths and precisions in a printf format: the padding fmt
// may add on top of the arguments (at most 1e6 per verb, fmt's own cap).
func printfPadding(format string, args reflect.Value) int {
	total, argIndex := len(format), 0
	number := func(i int) (int, int) {
		if i < len(format) && format[i] == '*' {
			n := 0
			if argIndex < args.Len() {
				if arg := args.Index(argIndex).Elem(); arg.IsValid() && arg.CanInt() {
					n = int(min(max(arg.Int(), 0), 1e6))
				}
			}
			argIndex++
			return n, i + 1
		}
		n := 0
		for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
			n = min(n*10+int(format[i]-'0'), 1e6)
		}
		return n, i
	}
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0", format[i]) >= 0 {
			i++
		}
		if i < len(format) && format[i] == '[' {
			for i < len(format) && format[i] != ']' {
				i++
			}
			i++
		}
		width, next := number(i)
		i = next
		precision := 0
		if i < len(format) && format[i] == '.' {
			precision, i = number(i + 1)
		}
		total += width + precision
		argIndex++
	}
	return total
}

// builtinOverrides replace text/template's builtins that can build a large string from
// many arguments, so they too are guarded. They behave exactly like the builtins.
var builtinOverrides = map[string]any{
	"print":    fmt.Sprint,
	"printf":   fmt.Sprintf,
	"println":  fmt.Sprintln,
	"html":     texttemplate.HTMLEscaper,
	"js":       texttemplate.JSEscaper,
	"urlquery": texttemplate.URLQueryEscaper,
}
