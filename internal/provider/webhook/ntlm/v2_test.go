package ntlm

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestKnownAnswers checks the NTLMv2 computations against the worked example of MS-NLMP
// 4.2.4: user "User", domain "Domain", password "Password", server challenge
// 0123456789abcdef, client challenge aa…aa, time 0, target info naming the NetBIOS domain
// "Domain" and computer "Server".
func TestKnownAnswers(t *testing.T) {
	key := ntowfv2("Password", "User", "Domain")
	info := encodeAVPairs([]avPair{{id: 2, value: toUTF16LE("Domain")}, {id: 1, value: toUTF16LE("Server")}})
	r := computeV2(key, unhex(t, "0123456789abcdef"), unhex(t, "aaaaaaaaaaaaaaaa"), 0, info)
	for _, tt := range []struct {
		name      string
		got, want []byte
	}{
		{"NTOWFv2 (4.2.4.1.1)", key, unhex(t, "0c868a403bfd7a93a3001ef22ef02e3f")},
		{"session base key (4.2.4.1.2)", r.sessionBaseKey, unhex(t, "8de40ccadbc14a82f15cb0ad0de95ca3")},
		{"LMv2 response (4.2.4.2.1)", r.lm, unhex(t, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")},
		{"NTProofStr (4.2.4.2.2)", r.nt[:16], unhex(t, "68cd0ab851e51c96aabc927bebef6a1c")},
	} {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s = %x, want %x", tt.name, tt.got, tt.want)
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSplitUser(t *testing.T) {
	for _, tt := range []struct {
		name string
		want credentials
	}{
		{`CORP\svc-ferry`, credentials{user: "svc-ferry", domain: "CORP", password: "pw"}},
		{`svc-ferry@corp.example`, credentials{user: "svc-ferry@corp.example", password: "pw"}},
		{`svc-ferry`, credentials{user: "svc-ferry", serverDomain: true, password: "pw"}},
		{`CORP\odd\name`, credentials{user: `odd\name`, domain: "CORP", password: "pw"}},
	} {
		if got := splitUser(tt.name, "pw"); got != tt.want {
			t.Errorf("splitUser(%q) = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestParseChallengeRefusesMalformed: a CHALLENGE that is short, not NTLM, points outside
// itself or does not agree to Unicode is refused, never read past its end.
func TestParseChallengeRefusesMalformed(t *testing.T) {
	valid := func() []byte {
		m := make([]byte, 48)
		copy(m, signature)
		m[8] = typeChallenge
		m[20] = byte(flagUnicode)
		return m
	}
	if _, err := parseChallenge(valid()); err != nil {
		t.Fatalf("a minimal CHALLENGE is refused: %v", err)
	}
	short := valid()[:40]
	notNTLM := valid()
	notNTLM[0] = 'X'
	negotiate := valid()
	negotiate[8] = typeNegotiate
	outside := valid()
	outside[40], outside[44] = 8, 44 // 8 bytes of target info at 44, in a 48-byte message
	oem := valid()
	oem[20] = byte(flagOEM)
	truncatedPair := append(valid(), 2, 0, 10, 0, 'x')
	truncatedPair[40], truncatedPair[44] = 5, 48
	for name, m := range map[string][]byte{"short": short, "not NTLM": notNTLM, "NEGOTIATE": negotiate,
		"field outside": outside, "OEM": oem, "truncated AV pair": truncatedPair} {
		if _, err := parseChallenge(m); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
