package template

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
	"text/template/parse"
)

// Engine selects a template engine (spec.target.template.engineVersion).
type Engine string

const (
	// EngineV1 is ESO's first engine: values are bytes, few functions. It is the default of
	// external-secrets.io/v1alpha1 objects.
	EngineV1 Engine = "v1"
	// EngineV2 is the current engine: values are strings, sprig and ESO's functions. It is
	// the default of v1beta1 and v1 objects; an empty Engine means v2.
	EngineV2 Engine = "v2"
)

// Scope says how a rendered template becomes Secret keys (templateFrom's templateAs).
type Scope string

const (
	// ScopeValues makes each template's output the value of the key the template is named
	// by. An empty Scope means ScopeValues.
	ScopeValues Scope = "Values"
	// ScopeKeysAndValues parses each template's output as a YAML (or JSON) mapping whose
	// entries each become a key.
	ScopeKeysAndValues Scope = "KeysAndValues"
)

// Execute renders templates (Secret key → template text) against values (key → fetched
// bytes) and adds the results to out. On error out is left as it was.
func Execute(engine Engine, templates map[string]string, values map[string][]byte, scope Scope, out map[string][]byte) error {
	r, err := New(engine, values)
	if err != nil {
		return err
	}
	return r.Render(templates, scope, out)
}

// Renderer renders the templates of one ExternalSecret against one set of fetched values.
// All its renders share one budget (steps, time, total output), so a controller uses one
// Renderer per sync. It is not safe for concurrent use.
type Renderer struct {
	engine Engine
	// data is what templates see as ".": the values as strings (v2, in a map[string]any so
	// sprig's dict functions such as hasKey and get work on it) or as bytes (v1).
	data any
	// secrets are the values as text, longest first, to redact from error messages.
	secrets []string
	// funcs are the engine's functions as they are; guarded holds the guarded wrappers
	// made so far, since a template gets only the functions it names.
	funcs   map[string]any
	guarded texttemplate.FuncMap
	// hooks are the functions that instrument adds to every template; templates cannot
	// name them because they are unknown when a template is parsed.
	hooks texttemplate.FuncMap
	// rootSize is the estimated size of data, which sizer keeps up to date within one
	// execution.
	rootSize int
	sizer    sizer
	budget   budget
}

// New returns a Renderer for the engine over values. The values are not copied and must
// not change while the Renderer is in use.
func New(engine Engine, values map[string][]byte) (*Renderer, error) {
	var err error
	r := &Renderer{engine: engine, guarded: texttemplate.FuncMap{}}
	switch engine {
	case EngineV2, "":
		r.engine = EngineV2
		data := make(map[string]any, len(values))
		for key, value := range values {
			data[key] = string(value)
		}
		r.data = data
		r.funcs = v2FuncsOnce()
	case EngineV1:
		r.data = values
		r.funcs = v1FuncsOnce()
	default:
		return nil, fmt.Errorf("unknown template engine %q: want %q or %q", engine, EngineV1, EngineV2)
	}
	for _, value := range values {
		if len(value) >= minRedactLen {
			r.secrets = append(r.secrets, string(value))
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })

	r.rootSize, err = r.sizer.size(reflect.ValueOf(r.data), math.MaxInt)
	if err != nil {
		return nil, err
	}

	r.hooks = texttemplate.FuncMap{
		hookStep:  func() (string, error) { return "", r.budget.step() },
		hookEnter: r.enterTemplate,
		hookLeave: func() string { r.budget.depth--; return "" },
	}
	return r, nil
}

// The engines' function maps, built once; they are never changed.
var (
	v2FuncsOnce = sync.OnceValue(func() map[string]any { return withBuiltinOverrides(v2Funcs()) })
	v1FuncsOnce = sync.OnceValue(func() map[string]any { return withBuiltinOverrides(v1Funcs()) })
)

func withBuiltinOverrides(funcs map[string]any) map[string]any {
	maps.Copy(funcs, builtinOverrides)
	return funcs
}

// builtinNames are text/template's builtins, for parsing: parse.Parse checks that every
// function a template names exists.
var builtinNames = map[string]any{
	"and": true, "call": true, "html": true, "index": true, "slice": true, "js": true, "len": true,
	"not": true, "or": true, "print": true, "printf": true, "println": true, "urlquery": true,
	"eq": true, "ge": true, "gt": true, "le": true, "lt": true, "ne": true,
}

// Render renders templates (name → template text) with the given scope and adds the
// resulting keys to out. With ScopeValues each name is the key; with v2 a name that holds
// {{ }} is itself rendered first. Two templates that produce the same key are an error.
// On error out is left as it was.
func (r *Renderer) Render(templates map[string]string, scope Scope, out map[string][]byte) error {
	if scope != "" && scope != ScopeValues && scope != ScopeKeysAndValues {
		return fmt.Errorf("unknown template scope %q: want %q or %q", scope, ScopeValues, ScopeKeysAndValues)
	}
	rendered := make(map[string][]byte)
	producedBy := make(map[string]string)
	add := func(key string, value []byte, name string) error {
		if other, ok := producedBy[key]; ok {
			// The key is not quoted: it may be made of values.
			return fmt.Errorf("template: %s: renders the same key as template %s", name, other)
		}
		producedBy[key] = name
		rendered[key] = value
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(templates)) {
		body, err := r.execute(name, templates[name])
		if err != nil {
			return err
		}
		if scope == ScopeKeysAndValues {
			pairs, err := parseKeysAndValues(body)
			if err != nil {
				return fmt.Errorf("template: %s: %w", name, err)
			}
			for _, key := range slices.Sorted(maps.Keys(pairs)) {
				if err := add(key, pairs[key], name); err != nil {
					return err
				}
			}
			continue
		}
		key, err := r.renderKey(name)
		if err != nil {
			return err
		}
		if err := add(key, body, name); err != nil {
			return err
		}
	}
	maps.Copy(out, rendered)
	return nil
}

// RenderMetadata renders the labels or annotations of spec.target.template.metadata
// (key → template) into out. With v1 they are copied as they are: ESO's v1 engine does
// not template metadata. On error out is left as it was.
func (r *Renderer) RenderMetadata(templates map[string]string, out map[string]string) error {
	if r.engine == EngineV1 {
		maps.Copy(out, templates)
		return nil
	}
	rendered := make(map[string][]byte, len(templates))
	if err := r.Render(templates, ScopeValues, rendered); err != nil {
		return err
	}
	for key, value := range rendered {
		out[key] = string(value)
	}
	return nil
}

// renderKey renders a template's name when it is itself a template (v2 only).
func (r *Renderer) renderKey(name string) (string, error) {
	if r.engine == EngineV1 || !strings.Contains(name, "{{") {
		return name, nil
	}
	key, err := r.execute(name+" (key)", name)
	if err != nil {
		return "", err
	}
	if len(key) == 0 {
		return "", fmt.Errorf("template: %s (key): renders an empty key", name)
	}
	return string(key), nil
}

// execute parses and runs one template.
func (r *Renderer) execute(name, text string) (rendered []byte, err error) {
	defer func() {
		// text/template re-panics runtime errors; a template must not crash the operator.
		if recover() != nil {
			r.budget.end()
			rendered, err = nil, &renderError{msg: "template: " + name + ": " + errUnexpected}
		}
	}()
	trees, err := parse.Parse(name, text, "", "", r.funcs, builtinNames)
	if err != nil {
		return nil, r.parseError(err)
	}
	t := texttemplate.New(name).Option("missingkey=error")
	funcs := texttemplate.FuncMap{}
	for treeName, tree := range trees {
		if _, err := t.AddParseTree(treeName, tree); err != nil {
			return nil, r.parseError(err)
		}
		for _, fn := range functionNames(tree.Root) {
			if raw, ok := r.funcs[fn]; ok {
				if r.guarded[fn] == nil {
					r.guarded[fn] = r.guard(fn, raw)
				}
				funcs[fn] = r.guarded[fn]
			}
		}
	}
	instrument(t)
	maps.Copy(funcs, r.hooks)
	t.Funcs(funcs)

	out := &limitedWriter{max: MaxOutputBytes, limit: limitf("the output exceeds %d bytes", MaxOutputBytes)}
	if left := maxRenderedBytes - r.budget.rendered; left < out.max {
		out.max = left
		out.limit = limitf("the output of all templates exceeds %d bytes", maxRenderedBytes)
	}
	// Each template gets its own copy of the values: sprig's set, unset and merge change
	// the map they are given, and one template must not change what the next one sees.
	data := r.data
	if values, ok := data.(map[string]any); ok {
		data = maps.Clone(values)
	}
	r.sizer.root, r.sizer.rootSize = reflect.ValueOf(data), r.rootSize
	r.budget.begin()
	err = t.Execute(out, data)
	r.budget.end()
	if err != nil {
		return nil, r.execError(name, err)
	}
	r.budget.rendered += len(out.buf)
	if out.buf == nil {
		return []byte{}, nil
	}
	return out.buf, nil
}

func (r *Renderer) enterTemplate() (string, error) {
	r.budget.depth++
	if r.budget.depth > maxTemplateDepth {
		return "", limitf("templates call each other more than %d levels deep", maxTemplateDepth)
	}
	return "", r.budget.step()
}

// functionNames lists the identifiers (function names) a parse tree calls.
func functionNames(node parse.Node) []string {
	var names []string
	var walk func(parse.Node)
	walk = func(node parse.Node) {
		switch n := node.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, child := range n.Nodes {
					walk(child)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, cmd := range n.Cmds {
					walk(cmd)
				}
			}
		case *parse.CommandNode:
			for _, arg := range n.Args {
				walk(arg)
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.IdentifierNode:
			names = append(names, n.Ident)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	walk(node)
	return names
}

// The hooks instrument inserts. Their names are valid identifiers, but templates cannot
// call them: they are unknown when a template is parsed.
const (
	hookStep  = "ferryStep"
	hookEnter = "ferryEnter"
	hookLeave = "ferryLeave"
)

// instrument makes every loop iteration and every template call count against the budget:
// a range body starts with a step, a template body is wrapped in enter and leave. Without
// this, {{ range 1000000000 }}{{ end }} would run for minutes without calling anything.
func instrument(t *texttemplate.Template) {
	for _, tmpl := range t.Templates() {
		if tmpl.Tree == nil || tmpl.Root == nil {
			continue
		}
		root := tmpl.Root
		instrumentList(root)
		nodes := make([]parse.Node, 0, len(root.Nodes)+2)
		nodes = append(nodes, hookCall(hookEnter, root.Pos))
		nodes = append(nodes, root.Nodes...)
		root.Nodes = append(nodes, hookCall(hookLeave, root.Pos))
	}
}

func instrumentList(list *parse.ListNode) {
	if list == nil {
		return
	}
	for _, node := range list.Nodes {
		switch n := node.(type) {
		case *parse.IfNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
		case *parse.WithNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
		case *parse.RangeNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
			if n.List != nil {
				n.List.Nodes = append([]parse.Node{hookCall(hookStep, n.Pos)}, n.List.Nodes...)
			}
		}
	}
}

// hookCall is the parse tree of {{ name }} at pos, so errors point at the loop or template.
func hookCall(name string, pos parse.Pos) *parse.ActionNode {
	ident := parse.NewIdentifier(name).SetPos(pos)
	return &parse.ActionNode{
		NodeType: parse.NodeAction,
		Pos:      pos,
		Pipe: &parse.PipeNode{
			NodeType: parse.NodePipe,
			Pos:      pos,
			Cmds:     []*parse.CommandNode{{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{ident}}},
		},
	}
}
