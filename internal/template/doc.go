// Package template renders the templates of an ExternalSecret's spec.target.template
// (data, templateFrom and metadata) with External Secrets Operator's two engines:
//
//   - v2: Go text/template over the fetched values as strings (.KEY), with the sprig
//     functions and ESO's helpers (pkcs12key, pemToPkcs12, filterPEM, filterCertChain,
//     certSANs, rsaDecrypt, toYaml, ...): exactly ESO v2.9's function set. The default of
//     external-secrets.io/v1beta1 and v1.
//   - v1: Go text/template over the values as bytes, with ESO's original small function
//     set (base64decode, fromJSON, pemCertificate, toString, ...). The default of
//     v1alpha1 objects; kept so old manifests render as they always did.
//
// Both engines use missingkey=error: a template that names a key that was not fetched
// fails instead of rendering "<no value>".
//
// The package is pure: it makes no Kubernetes API calls and reads nothing from the
// process, the host or the network beyond what sprig's functions need by nature (the
// clock, randomness, the time-zone database). The controller fetches the values and the
// ConfigMap/Secret templates, makes one Renderer per sync (New), calls Render for
// template.data and each templateFrom entry and RenderMetadata for labels and
// annotations, and decides where the results go (Data, Annotations or Labels).
//
// # Functions removed from sprig
//
// The v2 engine offers sprig's text/template function map (sprig v3) minus every
// function that reads the operator's own environment, files, network or DNS:
//
//   - env, expandenv: would copy the operator's environment variables (which may hold
//     cloud credentials) into a tenant's Secret.
//   - getHostByName: a DNS lookup from the operator's network position, which can block
//     for the resolver's timeout and answers differently from one call to the next.
//
// sprig reads no files but the time-zone database (dateInZone), which is public system
// data, so those functions stay. genPrivateKey refuses "dsa": generating DSA parameters
// can take minutes of CPU in one call, which no time limit can interrupt. The functions
// that are random or read the clock (randAlphaNum, uuidv4, now, bcrypt, htpasswd, genCA,
// ...) are kept for compatibility with ESO; they make the rendered value change on every
// refresh, which docs/templates.md explains.
//
// # What it must not do
//
// A secret value must never reach an error message: errors name the template key, the
// line and the function, never an argument. Errors from sprig functions and from
// text/template that could quote a value are replaced by a fixed text; any fetched value
// left in a message (the template author's own fail "...") is replaced by [redacted].
// Parse errors quote the template text, which is not a fetched value.
//
// A template must not be able to exhaust the operator: execution is bounded in output
// (MaxOutputBytes per key), in the size of every intermediate value, in loop iterations
// and template calls, in nesting, and in time. See limits.go.
package template
