package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// removedFuncs read the operator's environment or network, which a store's author must not
// reach through a template.
var removedFuncs = []string{"env", "expandenv", "getHostByName"}

func funcMap() template.FuncMap {
	funcs := sprig.TxtFuncMap()
	for _, name := range removedFuncs {
		delete(funcs, name)
	}
	return funcs
}

// templates are the parsed templates of one store.
type templates struct {
	url, body, jsonPath *template.Template
	headers             map[string]*template.Template
}

func parseTemplates(url, body, jsonPath string, headers map[string]string) (*templates, error) {
	t := &templates{headers: map[string]*template.Template{}}
	var err error
	if t.url, err = parse("url", url); err != nil {
		return nil, err
	}
	if t.body, err = parse("body", body); err != nil {
		return nil, err
	}
	if t.jsonPath, err = parse("result.jsonPath", jsonPath); err != nil {
		return nil, err
	}
	for name, text := range headers {
		if t.headers[name], err = parse("headers."+name, text); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func parse(field, text string) (*template.Template, error) {
	t, err := template.New(field).Option("missingkey=error").Funcs(funcMap()).Parse(text)
	if err != nil {
		// Parse errors quote the template, which is the store's spec, not a secret.
		return nil, fmt.Errorf("%s.%s: %w", specField, field, err)
	}
	return t, nil
}

// templateData is what the templates see: .remoteRef and the store's secrets by name.
type templateData struct {
	values map[string]any
	// secrets are every value the templates can see, to scrub from error messages.
	secrets []string
}

func newTemplateData(secrets map[string]map[string]string, key, version, property string) *templateData {
	d := &templateData{values: map[string]any{}}
	for name, keys := range secrets {
		d.values[name] = keys
		for _, v := range keys {
			d.secrets = append(d.secrets, v)
		}
	}
	d.values["remoteRef"] = map[string]string{
		"key": url.QueryEscape(key), "version": url.QueryEscape(version), "property": url.QueryEscape(property),
	}
	return d
}

// execute renders t. Its errors are scrubbed of every secret value, since sprig's and
// text/template's messages may quote arguments.
func (d *templateData) execute(t *template.Template) (string, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, d.values); err != nil {
		return "", fmt.Errorf("%s.%s: %w", specField, t.Name(), errors.New(d.scrub(err.Error())))
	}
	return buf.String(), nil
}

func (d *templateData) scrub(msg string) string {
	for _, v := range d.secrets {
		if len(v) >= 3 {
			msg = strings.ReplaceAll(msg, v, "[redacted]")
		}
	}
	return msg
}
