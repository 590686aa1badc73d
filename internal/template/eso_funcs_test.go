package template

import (
	"maps"
	"slices"
	"testing"
)

// esoV2Helpers are the functions ESO v2.9 adds to sprig for engineVersion v2: the function map
// of runtime/template/v2/template.go in external-secrets/external-secrets, documented in
// docs/guides/templating.md ("Helper functions"). getSecretKey is not among them: ESO removed
// it (external-secrets PR #5738, December 2025) because it let any ExternalSecret read a
// Secret of another namespace with the operator's rights. fromProperties is not either: it
// was proposed after v2.9.0 and not merged.
var esoV2Helpers = []string{
	"pkcs12key", "pkcs12keyPass", "pkcs12cert", "pkcs12certPass",
	"pemToPkcs12", "pemToPkcs12Pass", "fullPemToPkcs12", "fullPemToPkcs12Pass",
	"pemTruststoreToPKCS12", "pemTruststoreToPKCS12Pass",
	"filterPEM", "filterCertChain", "certSANs",
	"jwkPublicKeyPem", "jwkPrivateKeyPem",
	"toYaml", "fromYaml",
	"rsaDecrypt",
}

// esoV2Sprig is ESO v2.9's own copy of sprig (runtime/template/v2/sprig/functions.go, copied
// from Masterminds/sprig v3.3.1-0.20241028115027-8cb06fe3c8b0): sprig's function map without
// env, expandenv and getHostByName, plus hexdec (external-secrets PR #6422, June 2026).
var esoV2Sprig = []string{
	"hello",
	// Dates.
	"ago", "date", "date_in_zone", "date_modify", "dateInZone", "dateModify", "duration", "durationRound",
	"htmlDate", "htmlDateInZone", "must_date_modify", "mustDateModify", "mustToDate", "now", "toDate", "unixEpoch",
	// Strings.
	"abbrev", "abbrevboth", "trunc", "trim", "upper", "lower", "title", "untitle", "substr", "repeat", "trimall",
	"trimAll", "trimSuffix", "trimPrefix", "nospace", "initials", "randAlphaNum", "randAlpha", "randAscii",
	"randNumeric", "swapcase", "shuffle", "snakecase", "camelcase", "kebabcase", "wrap", "wrapWith", "contains",
	"hasPrefix", "hasSuffix", "quote", "squote", "cat", "indent", "nindent", "replace", "plural", "sha1sum",
	"sha256sum", "sha512sum", "adler32sum", "toString",
	// Numbers and lists of strings.
	"atoi", "int64", "int", "float64", "seq", "toDecimal", "split", "splitList", "splitn", "toStrings", "until",
	"untilStep", "add1", "add", "sub", "div", "mod", "mul", "randInt", "add1f", "addf", "subf", "divf", "mulf",
	"biggest", "max", "min", "maxf", "minf", "ceil", "floor", "round", "join", "sortAlpha",
	// Defaults and JSON.
	"default", "empty", "coalesce", "all", "any", "compact", "mustCompact", "fromJson", "toJson", "toPrettyJson",
	"toRawJson", "mustFromJson", "mustToJson", "mustToPrettyJson", "mustToRawJson", "ternary", "deepCopy",
	"mustDeepCopy",
	// Reflection and paths.
	"typeOf", "typeIs", "typeIsLike", "kindOf", "kindIs", "deepEqual", "base", "dir", "clean", "ext", "isAbs",
	"osBase", "osClean", "osDir", "osExt", "osIsAbs",
	// Encodings.
	"b64enc", "b64dec", "b32enc", "b32dec", "hexdec",
	// Dicts and lists.
	"tuple", "list", "dict", "get", "set", "unset", "hasKey", "pluck", "keys", "pick", "omit", "merge",
	"mergeOverwrite", "mustMerge", "mustMergeOverwrite", "values", "append", "push", "mustAppend", "mustPush",
	"prepend", "mustPrepend", "first", "mustFirst", "rest", "mustRest", "last", "mustLast", "initial",
	"mustInitial", "reverse", "mustReverse", "uniq", "mustUniq", "without", "mustWithout", "has", "mustHas",
	"slice", "mustSlice", "concat", "dig", "chunk", "mustChunk",
	// Crypto, UUIDs, semver, flow control.
	"bcrypt", "htpasswd", "genPrivateKey", "derivePassword", "buildCustomCert", "genCA", "genCAWithKey",
	"genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey", "encryptAES",
	"decryptAES", "randBytes", "uuidv4", "semver", "semverCompare", "fail",
	// Regular expressions and URLs.
	"regexMatch", "mustRegexMatch", "regexFindAll", "mustRegexFindAll", "regexFind", "mustRegexFind",
	"regexReplaceAll", "mustRegexReplaceAll", "regexReplaceAllLiteral", "mustRegexReplaceAllLiteral",
	"regexSplit", "mustRegexSplit", "regexQuoteMeta", "urlParse", "urlJoin",
}

// TestV2FunctionsAreESOs checks that v2 offers exactly ESO v2.9's functions: a manifest that
// ESO renders never fails here for a missing function, and Ferry adds none of its own.
func TestV2FunctionsAreESOs(t *testing.T) {
	want := slices.Sorted(slices.Values(slices.Concat(esoV2Helpers, esoV2Sprig)))
	if len(slices.Compact(slices.Clone(want))) != len(want) {
		t.Fatal("the ESO lists name a function twice")
	}
	got := slices.Sorted(maps.Keys(v2Funcs()))
	for _, name := range want {
		if _, found := slices.BinarySearch(got, name); !found {
			t.Errorf("ESO's %s is missing from v2", name)
		}
	}
	for _, name := range got {
		if _, found := slices.BinarySearch(want, name); !found {
			t.Errorf("v2 offers %s, which ESO v2.9 does not", name)
		}
	}
	// The functions ESO removed fail as an unknown function, at admission too.
	for _, name := range []string{"getSecretKey", "env", "expandenv", "getHostByName"} {
		if err := Check(EngineV2, "t", `{{ `+name+` "a" "b" "c" }}`); err == nil {
			t.Errorf("%s is accepted", name)
		}
	}
}

func TestHexdec(t *testing.T) {
	tests := []struct{ template, want string }{
		// ESO's example: a hash as base64 rather than hex.
		{`{{ "abc" | sha256sum | hexdec | b64enc }}`, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="},
		{`{{ "666572727921" | hexdec }}`, "ferry!"},
		{`{{ "" | hexdec }}`, ""},
		// Like b64dec, an input that does not decode renders the decoder's message.
		{`{{ "abc" | hexdec }}`, "encoding/hex: odd length hex string"},
	}
	for _, tt := range tests {
		if got := mustRender(t, EngineV2, tt.template, nil); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.template, got, tt.want)
		}
	}
}
