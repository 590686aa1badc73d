package pushsecret

import (
	"regexp"
	"strconv"
	"unicode/utf8"
)

// unicodeEscape is how an ExternalSecret's conversionStrategy Unicode writes a character
// that a Secret key cannot hold: "_U" and its code point in hex, then "_".
var unicodeEscape = regexp.MustCompile(`_U([0-9a-fA-F]{4,6})_`)

// reverseUnicode undoes conversionStrategy Unicode, so a key read as "db_U002e_host"
// is pushed back as "db.host" (conversionStrategy ReverseUnicode).
func reverseUnicode(key string) string {
	return unicodeEscape.ReplaceAllStringFunc(key, func(m string) string {
		n, err := strconv.ParseUint(m[2:len(m)-1], 16, 24) // at most 6 hex digits
		if err != nil || !utf8.ValidRune(rune(n)) {        //nolint:gosec // below 2^24, it fits a rune
			return m
		}
		return string(rune(n)) //nolint:gosec // below 2^24, it fits a rune
	})
}
