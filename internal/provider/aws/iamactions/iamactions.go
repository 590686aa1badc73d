package iamactions

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Action is one IAM action Ferry needs.
type Action struct {
	// Name is the IAM action, e.g. "secretsmanager:GetSecretValue".
	Name string
	// Why lists what needs it: the calls, as "path/file.go:line" relative to the module
	// root, or "implied by <action>" for an action AWS checks on another's behalf.
	Why []string
}

// Actions are the IAM actions the ferry binary's code needs.
type Actions struct {
	// Read is what reading needs: ExternalSecrets, store validation, generators, and the
	// reads PushSecret makes before it writes.
	Read []Action
	// Push is what only PushSecret needs; no action of Read is repeated here.
	Push []Action
	// Unneeded are operations Ferry calls that no identity policy has to allow.
	Unneeded []Action
	// Events is what only a store's change feed needs (calls made in changefeed_*.go
	// files): granted to the store's identity when a store names a queue (docs/events.md).
	Events []Action
}

// ReadNames returns the names of a.Read, sorted.
func (a Actions) ReadNames() []string { return names(a.Read) }

// PushNames returns the names of a.Push, sorted.
func (a Actions) PushNames() []string { return names(a.Push) }

func names(actions []Action) []string {
	out := make([]string, 0, len(actions))
	for _, a := range actions {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

const (
	// sdkModule prefixes every AWS SDK for Go v2 package.
	sdkModule = "github.com/aws/aws-sdk-go-v2/"
	// sdkServices prefixes the SDK's service client packages.
	sdkServices = sdkModule + "service/"
	// ferryBinary is the package whose linked code is scanned: the operator the IAM role is for.
	ferryBinary = "./cmd/ferry"
)

// servicePrefixes maps an SDK service package to its IAM action prefix. A call into a service
// missing here fails Derive, so a new service cannot slip past the policy tests.
var servicePrefixes = map[string]string{
	"secretsmanager": "secretsmanager",
	"ssm":            "ssm",
	"sts":            "sts",
	"ecr":            "ecr",
	"ecrpublic":      "ecr-public",
	"sqs":            "sqs",
	"acm":            "acm",
	// The Resource Groups Tagging API, which finds the certificates PushSecret imported.
	"resourcegroupstaggingapi": "tag",
}

// batchActions are SDK operations that IAM authorizes under another action's name.
var batchActions = map[string]string{
	"sqs:DeleteMessageBatch": "sqs:DeleteMessage",
}

// helpers are SDK functions that make a call for their caller.
var helpers = map[string]string{
	sdkModule + "credentials/stscreds.NewAssumeRoleProvider":      "sts:AssumeRole",
	sdkModule + "credentials/stscreds.NewWebIdentityRoleProvider": "sts:AssumeRoleWithWebIdentity",
}

// paginator matches the SDK's paginator constructors, which call the operation they name.
var paginator = regexp.MustCompile(`^New(\w+)Paginator$`)

// noPermission are operations that an identity policy does not govern.
var noPermission = map[string]string{
	// AWS answers it for any valid credentials, even under an explicit deny.
	"sts:GetCallerIdentity": "no permission is required",
	// The request is unsigned: the role's trust policy decides, not the caller's policy.
	"sts:AssumeRoleWithWebIdentity": "authorized by the role's trust policy",
	// Called with an IAM user's keys (STSSessionToken generator); needs no permission.
	"sts:GetSessionToken": "no permission is required",
}

// implied are actions AWS checks on top of an operation, in the way Ferry calls it.
var implied = map[string][]string{
	// Secrets and SecureStrings under a customer-managed key are decrypted with the caller's
	// rights on the key.
	"secretsmanager:GetSecretValue": {"kms:Decrypt"},
	// BatchGetSecretValue also checks GetSecretValue on each secret.
	"secretsmanager:BatchGetSecretValue": {"secretsmanager:GetSecretValue", "kms:Decrypt"},
	"ssm:GetParameter":                   {"kms:Decrypt"},
	"ssm:GetParameters":                  {"kms:Decrypt"},
	"ssm:GetParametersByPath":            {"kms:Decrypt"},
	// PushSecret creates secrets with the managed-by tag, which checks TagResource, and
	// with the replicas of the metadata's replicationLocations, which checks
	// ReplicateSecretToRegions.
	"secretsmanager:CreateSecret": {"secretsmanager:TagResource", "secretsmanager:ReplicateSecretToRegions",
		"kms:GenerateDataKey", "kms:Decrypt"},
	"secretsmanager:PutSecretValue": {"kms:GenerateDataKey", "kms:Decrypt"},
	// Standard SecureStrings are encrypted with Encrypt, advanced ones with a data key.
	"ssm:PutParameter": {"kms:Encrypt", "kms:GenerateDataKey"},
	// ECR Public hands out its token through an STS service bearer token.
	"ecr-public:GetAuthorizationToken": {"sts:GetServiceBearerToken"},
	// PushSecret imports certificates with the managed-by tag, which checks
	// AddTagsToCertificate.
	"acm:ImportCertificate": {"acm:AddTagsToCertificate"},
	// A store's role may be assumed with session tags.
	"sts:AssumeRole": {"sts:TagSession"},
}

// anyResource are the actions whose policy statement must name "*": AWS defines no
// resource for them.
var anyResource = map[string]bool{
	"secretsmanager:ListSecrets":         true,
	"secretsmanager:BatchGetSecretValue": true,
	"ssm:DescribeParameters":             true,
	"ecr:GetAuthorizationToken":          true,
	"ecr-public:GetAuthorizationToken":   true,
	"sts:GetServiceBearerToken":          true,
	"tag:GetResources":                   true,
}

// AnyResource reports whether action applies to no particular resource, so that a policy
// statement granting it must name "Resource": "*".
func AnyResource(action string) bool { return anyResource[action] }

// Derive reads the Go packages linked into the ferry binary of the module rooted at dir and
// returns the IAM actions their AWS SDK calls need.
func Derive(dir string) (Actions, error) {
	paths, err := awsPackages(dir)
	if err != nil {
		return Actions{}, err
	}
	pkgs, err := packages.Load(&packages.Config{Dir: dir, Mode: packages.NeedName | packages.NeedFiles |
		packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo}, paths...)
	if err != nil {
		return Actions{}, fmt.Errorf("loading %s: %w", strings.Join(paths, ", "), err)
	}
	found := calls{}
	for _, pkg := range pkgs {
		if len(pkg.Errors) > 0 {
			return Actions{}, fmt.Errorf("loading %s: %w", pkg.PkgPath, pkg.Errors[0])
		}
		if err := found.collect(dir, pkg); err != nil {
			return Actions{}, err
		}
	}
	return found.actions(), nil
}

// awsPackages returns the import paths of the module's packages, linked into the ferry
// binary, that import an AWS SDK package.
func awsPackages(dir string) ([]string, error) {
	roots, err := packages.Load(&packages.Config{Dir: dir,
		Mode: packages.NeedName | packages.NeedImports | packages.NeedDeps | packages.NeedModule}, ferryBinary)
	if err != nil {
		return nil, fmt.Errorf("listing the packages of %s: %w", ferryBinary, err)
	}
	var paths []string
	var listErr error
	packages.Visit(roots, nil, func(pkg *packages.Package) {
		if len(pkg.Errors) > 0 && listErr == nil {
			listErr = fmt.Errorf("listing %s: %w", pkg.PkgPath, pkg.Errors[0])
		}
		if pkg.Module == nil || !pkg.Module.Main {
			return
		}
		for path := range pkg.Imports {
			if strings.HasPrefix(path, sdkModule) {
				paths = append(paths, pkg.PkgPath)
				return
			}
		}
	})
	if listErr != nil {
		return nil, listErr
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no package of %s imports the AWS SDK: is %s Ferry's module root?", ferryBinary, dir)
	}
	sort.Strings(paths)
	return paths, nil
}

// calls maps each called action to where it is called, by reading and by pushing code.
type calls map[string]*callSites

type callSites struct{ read, push, events []string }

// collect records the SDK calls of one package.
func (c calls) collect(dir string, pkg *packages.Package) error {
	for _, file := range pkg.Syntax {
		name := pkg.Fset.Position(file.Pos()).Filename
		push := strings.HasPrefix(filepath.Base(name), "push_")
		events := strings.HasPrefix(filepath.Base(name), "changefeed_")
		var err error
		ast.Inspect(file, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || err != nil {
				return err == nil
			}
			var action string
			if action, err = sdkAction(pkg.TypesInfo, sel); err != nil || action == "" {
				return true
			}
			c.add(action, position(dir, pkg.Fset, sel.Sel.Pos()), push, events)
			return true
		})
		if err != nil {
			return fmt.Errorf("%s: %w", position(dir, pkg.Fset, file.Pos()), err)
		}
	}
	return nil
}

func (c calls) add(action, where string, push, events bool) {
	sites := c[action]
	if sites == nil {
		sites = &callSites{}
		c[action] = sites
	}
	switch {
	case events:
		sites.events = append(sites.events, where)
	case push:
		sites.push = append(sites.push, where)
	default:
		sites.read = append(sites.read, where)
	}
}

// sdkAction returns the IAM action that sel calls (or takes as a method value), or "".
func sdkAction(info *types.Info, sel *ast.SelectorExpr) (string, error) {
	if selection, ok := info.Selections[sel]; ok {
		fn, ok := selection.Obj().(*types.Func)
		if !ok || selection.Kind() == types.FieldVal {
			return "", nil
		}
		return operationOf(fn)
	}
	// A qualified identifier: pkg.Func.
	fn, ok := info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil {
		return "", nil
	}
	path := fn.Pkg().Path()
	if action, ok := helpers[path+"."+fn.Name()]; ok {
		return action, nil
	}
	if m := paginator.FindStringSubmatch(fn.Name()); m != nil && strings.HasPrefix(path, sdkServices) {
		return iamAction(path, m[1])
	}
	return "", nil
}

// operationOf returns the action of a method whose parameters include a pointer to the
// method's <Name>Input type of an SDK service package: an SDK client method, or a method of
// an interface Ferry declares in front of one.
func operationOf(fn *types.Func) (string, error) {
	sig, ok := fn.Type().(*types.Signature)
	if !ok {
		return "", nil
	}
	for i := range sig.Params().Len() {
		ptr, ok := sig.Params().At(i).Type().(*types.Pointer)
		if !ok {
			continue
		}
		named, ok := ptr.Elem().(*types.Named)
		if !ok || named.Obj().Pkg() == nil || named.Obj().Name() != fn.Name()+"Input" {
			continue
		}
		if path := named.Obj().Pkg().Path(); strings.HasPrefix(path, sdkServices) {
			return iamAction(path, fn.Name())
		}
	}
	return "", nil
}

// iamAction maps an operation of the service package at path to its IAM action.
func iamAction(path, operation string) (string, error) {
	service, _, _ := strings.Cut(strings.TrimPrefix(path, sdkServices), "/")
	prefix, ok := servicePrefixes[service]
	if !ok {
		return "", fmt.Errorf("%s calls %s of AWS service %q, which iamactions does not know: add its IAM prefix to servicePrefixes", path, operation, service)
	}
	action := prefix + ":" + operation
	if renamed, ok := batchActions[action]; ok {
		return renamed, nil
	}
	return action, nil
}

func position(dir string, fset *token.FileSet, pos token.Pos) string {
	p := fset.Position(pos)
	if rel, err := filepath.Rel(dir, p.Filename); err == nil {
		p.Filename = filepath.ToSlash(rel)
	}
	return fmt.Sprintf("%s:%d", p.Filename, p.Line)
}

// actions splits the calls into read, push-only and unneeded actions and adds the
// actions they imply.
func (c calls) actions() Actions {
	read, push, unneeded, events := map[string][]string{}, map[string][]string{}, map[string][]string{}, map[string][]string{}
	for action, sites := range c {
		if len(sites.events) > 0 {
			events[action] = append(events[action], sites.events...)
		}
		switch {
		case len(sites.read) == 0 && len(sites.push) == 0:
			// Only a change feed calls it.
		case noPermission[action] != "":
			unneeded[action] = append(append(sites.read, sites.push...), noPermission[action])
		case len(sites.read) > 0:
			read[action] = append(read[action], sites.read...)
		default:
			push[action] = append(push[action], sites.push...)
		}
	}
	addImplied(read)
	addImplied(push)
	for action := range read {
		delete(push, action)
	}
	return Actions{Read: list(read), Push: list(push), Unneeded: list(unneeded), Events: list(events)}
}

func addImplied(set map[string][]string) {
	var called []string
	for action := range set {
		called = append(called, action)
	}
	for _, action := range called {
		for _, extra := range implied[action] {
			set[extra] = append(set[extra], "implied by "+action)
		}
	}
}

func list(set map[string][]string) []Action {
	out := make([]Action, 0, len(set))
	for name, why := range set {
		// Calls ("path:line") first, then what implies it, then notes.
		sort.SliceStable(why, func(i, j int) bool {
			return whyRank(why[i]) < whyRank(why[j]) || whyRank(why[i]) == whyRank(why[j]) && why[i] < why[j]
		})
		out = append(out, Action{Name: name, Why: why})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func whyRank(why string) int {
	switch {
	case strings.HasPrefix(why, "implied by "):
		return 1
	case strings.Contains(why, ".go:"):
		return 0
	default:
		return 2
	}
}
