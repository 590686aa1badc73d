package provider

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// ErrNoFindCondition is returned for a dataFrom.find that selects nothing in particular:
// Ferry never reads a whole store by accident.
var ErrNoFindCondition = errors.New("dataFrom.find: set at least one of name.regexp, path or tags")

// Find is a compiled dataFrom.find: the conditions a remote secret must all meet. Every
// provider matches names, paths and tags through it, so find means the same everywhere.
type Find struct {
	// Path is find.path, a prefix of the remote names; "" when unset.
	Path string
	// Tags must all be present with these values.
	Tags        map[string]string
	name        *regexp.Regexp
	pathIsScope bool
}

// FindOptions say what a backend can select by.
type FindOptions struct {
	// NoPaths names the backend when it has no paths: a find.path is then refused with a
	// message that says to use name or tags instead.
	NoPaths string
	// PathIsScope says that the backend searches below find.path itself (a folder it
	// walks), so names are matched by the regexp alone.
	PathIsScope bool
	// EmptySelectsAll lets a find without conditions select every secret, for backends
	// that always served it that way (ESO does for them too).
	EmptySelectsAll bool
}

// CompileFind checks and compiles find for a backend, naming the field at fault.
func CompileFind(find esv1.ExternalSecretFind, opts FindOptions) (*Find, error) {
	f := &Find{Tags: find.Tags, pathIsScope: opts.PathIsScope}
	if find.Path != nil {
		f.Path = *find.Path
	}
	if f.Path != "" && opts.NoPaths != "" {
		return nil, fmt.Errorf("dataFrom.find.path: %s has no paths; select by name.regexp or tags", opts.NoPaths)
	}
	if find.Name != nil && find.Name.RegExp != "" {
		re, err := regexp.Compile(find.Name.RegExp)
		if err != nil {
			return nil, fmt.Errorf("dataFrom.find.name.regexp: %w", err)
		}
		f.name = re
	}
	if f.Path == "" && f.name == nil && len(f.Tags) == 0 && !opts.EmptySelectsAll {
		return nil, ErrNoFindCondition
	}
	return f, nil
}

// MatchName says whether a remote name is under the path and matches the name regexp.
func (f *Find) MatchName(name string) bool {
	return (f.pathIsScope || strings.HasPrefix(name, f.Path)) && (f.name == nil || f.name.MatchString(name))
}

// MatchTags says whether tags hold every tag the find asks for.
func (f *Find) MatchTags(tags map[string]string) bool {
	for k, v := range f.Tags {
		if got, ok := tags[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Match says whether a remote secret with this name and these tags is selected.
func (f *Find) Match(name string, tags map[string]string) bool {
	return f.MatchName(name) && f.MatchTags(tags)
}
