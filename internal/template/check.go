package template

import "text/template/parse"

// Check parses a template without running it, so that a syntax error or an unknown
// function is refused when the object is admitted, before any value is fetched. The error
// names the template and the line.
func Check(engine Engine, name, text string) error {
	r, err := New(engine, nil)
	if err != nil {
		return err
	}
	if _, err := parse.Parse(name, text, "", "", r.funcs, builtinNames); err != nil {
		return r.parseError(err)
	}
	return nil
}
