package externalsecret

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// FuzzFetchedValues feeds what a provider may return (any key name, any bytes, many
// copies) through the steps between the fetch and the write: key conversion, decoding,
// the NUL-byte policy and the checks of what a Secret can hold. Nothing panics; what passes
// is a Secret the API server accepts (valid keys, at most 1 MiB of data); no error quotes a
// value.
func FuzzFetchedValues(f *testing.F) {
	f.Add("API_KEY", []byte("hunter2-value"), uint8(0), uint8(0), uint8(0), uint8(1))
	f.Add("a/b c", []byte("aHVudGVyMi12YWx1ZQ=="), uint8(1), uint8(2), uint8(1), uint8(1))
	f.Add("..", []byte("x"), uint8(0), uint8(0), uint8(0), uint8(1))
	f.Add("ключ", []byte{0xff, 0xfe, 0, 'x'}, uint8(1), uint8(3), uint8(1), uint8(2))
	f.Add("big", bytes.Repeat([]byte("hunter2-"), 9000), uint8(0), uint8(0), uint8(0), uint8(15))
	f.Add("", []byte("AA=="), uint8(0), uint8(1), uint8(1), uint8(1))
	conversions := []esv1.ExternalSecretConversionStrategy{esv1.ConversionDefault, esv1.ConversionUnicode}
	decodings := []esv1.ExternalSecretDecodingStrategy{esv1.DecodingNone, esv1.DecodingBase64, esv1.DecodingBase64URL, esv1.DecodingAuto}
	nulPolicies := []esv1.ExternalSecretNullBytePolicy{esv1.NullBytePolicyIgnore, esv1.NullBytePolicyFail}

	f.Fuzz(func(t *testing.T, key string, value []byte, conv, dec, nul, copies uint8) {
		quotes := func(err error) bool {
			return bytes.Contains(value, []byte("hunter2")) && len(value) >= 8 && strings.Contains(err.Error(), string(value))
		}
		data := convertKeys(conversions[int(conv)%len(conversions)], map[string][]byte{key: value})
		out := map[string][]byte{}
		for k, v := range data {
			decoded, err := decode(decodings[int(dec)%len(decodings)], v)
			if err != nil {
				if quotes(err) {
					t.Errorf("decode error quotes the value: %v", err)
				}
				continue
			}
			if err := checkNullBytes(nulPolicies[int(nul)%len(nulPolicies)], decoded); err != nil {
				if nulPolicies[int(nul)%len(nulPolicies)] != esv1.NullBytePolicyFail || bytes.IndexByte(decoded, 0) < 0 {
					t.Errorf("NUL check failed without reason: %v", err)
				}
				continue
			}
			for i := range int(copies % 16) {
				out[fmt.Sprint(k, i)] = decoded
			}
		}
		secret := &corev1.Secret{Data: out}
		err := checkData(secret)
		if err != nil {
			if quotes(err) {
				t.Errorf("the refusal quotes the value: %v", err)
			}
			return
		}
		size := 0
		for k, v := range out {
			if problems := validation.IsConfigMapKey(k); len(problems) > 0 {
				t.Errorf("key %q passed the checks but the API server refuses it: %v", k, problems)
			}
			size += len(v)
		}
		if size > corev1.MaxSecretSize {
			t.Errorf("%d bytes passed the checks", size)
		}
	})
}
