package ntlm

import (
	"crypto/hmac"
	"crypto/md5" //nolint:gosec // NTLMv2 is defined over HMAC-MD5 (MS-NLMP 3.3.2)
	"encoding/binary"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/md4" //nolint:staticcheck,gosec // NTOWFv2 is defined over MD4 (MS-NLMP 3.3.2)
)

// credentials are a user's, as the store's Secrets hold them.
type credentials struct {
	// user and domain as split by splitUser.
	user, domain string
	// serverDomain: the user name named no domain, so the server's target name is used.
	serverDomain bool
	password     string
}

// splitUser splits a user name as Windows clients read it: DOMAIN\user names its domain; a
// user principal name (user@example.com) is sent whole with an empty domain; a bare name
// is the user of the domain the server's CHALLENGE names (its target name).
func splitUser(name, password string) credentials {
	if domain, user, ok := strings.Cut(name, `\`); ok {
		return credentials{user: user, domain: domain, password: password}
	}
	if strings.Contains(name, "@") {
		return credentials{user: name, password: password}
	}
	return credentials{user: name, serverDomain: true, password: password}
}

// ntowfv2 is NTOWFv2 (MS-NLMP 3.3.2): HMAC_MD5(MD4(UNICODE(password)),
// UNICODE(UPPER(user) + domain)). It is also the LMv2 key.
func ntowfv2(password, user, domain string) []byte {
	h := md4.New() //nolint:gosec // as the protocol requires
	h.Write(toUTF16LE(password))
	return hmacMD5(h.Sum(nil), toUTF16LE(strings.ToUpper(user)+domain))
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// v2Response holds the responses to one CHALLENGE (MS-NLMP 3.3.2).
type v2Response struct {
	nt, lm, sessionBaseKey []byte
}

// computeV2 computes the NTLMv2 and LMv2 responses for responseKey (NTOWFv2) to
// serverChallenge, at filetime (100 ns since 1601), with clientChallenge and the target
// info the client echoes.
func computeV2(responseKey, serverChallenge, clientChallenge []byte, filetime uint64, targetInfo []byte) v2Response {
	temp := []byte{1, 1, 0, 0, 0, 0, 0, 0} // Responserversion, HiResponserversion, Z(6)
	temp = binary.LittleEndian.AppendUint64(temp, filetime)
	temp = append(temp, clientChallenge...)
	temp = append(temp, 0, 0, 0, 0)
	temp = append(temp, targetInfo...)
	temp = append(temp, 0, 0, 0, 0)
	proof := hmacMD5(responseKey, serverChallenge, temp)
	return v2Response{
		nt:             slices.Concat(proof, temp),
		lm:             slices.Concat(hmacMD5(responseKey, serverChallenge, clientChallenge), clientChallenge),
		sessionBaseKey: hmacMD5(responseKey, proof),
	}
}

// fileTime is t as a Windows FILETIME, the clock of NTLMv2 responses.
func fileTime(t time.Time) uint64 {
	const unixEpochInFileTime = 116444736000000000
	return uint64(t.UnixNano()/100) + unixEpochInFileTime //nolint:gosec // times after 1970
}

// answer builds the AUTHENTICATE message for c to ch, which followed negotiate. The MIC
// (MS-NLMP 3.1.5.1.2) binds the three messages together, keyed with the session base key,
// which is the exported session key when no key is exchanged.
func answer(c credentials, negotiate []byte, ch *challenge, clientChallenge []byte, now time.Time) ([]byte, error) {
	domain := c.domain
	if c.serverDomain {
		domain = ch.targetName
	}
	info, timestamp := withMICFlag(ch.targetInfo)
	filetime := fileTime(now)
	if len(timestamp) == 8 {
		filetime = binary.LittleEndian.Uint64(timestamp)
	}
	r := computeV2(ntowfv2(c.password, c.user, domain), ch.serverChallenge, clientChallenge, filetime, encodeAVPairs(info))
	lm := r.lm
	if timestamp != nil {
		// A server that sends its time gets no LMv2 response (MS-NLMP 3.1.5.1.2).
		lm = make([]byte, 24)
	}
	msg, err := authenticateMessage(ch.flags&clientFlags, lm, r.nt, domain, c.user)
	if err != nil {
		return nil, err
	}
	copy(msg[micOffset:], hmacMD5(r.sessionBaseKey, negotiate, ch.raw, msg))
	return msg, nil
}
