package ntlm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"unicode/utf16"
)

// signature starts every NTLM message (MS-NLMP 2.2.1).
var signature = []byte("NTLMSSP\x00")

// Message types (MS-NLMP 2.2.1).
const (
	typeNegotiate    = 1
	typeChallenge    = 2
	typeAuthenticate = 3
)

// Negotiate flags (MS-NLMP 2.2.2.5) this client asks for; the AUTHENTICATE message keeps
// those the server's CHALLENGE agreed to. There is no SIGN, SEAL or KEY_EXCH: HTTP
// authenticates the connection and protects nothing with NTLM's keys.
const (
	flagUnicode                 uint32 = 0x00000001
	flagOEM                     uint32 = 0x00000002
	flagRequestTarget           uint32 = 0x00000004
	flagNTLM                    uint32 = 0x00000200
	flagAlwaysSign              uint32 = 0x00008000
	flagExtendedSessionSecurity uint32 = 0x00080000
	flagTargetInfo              uint32 = 0x00800000
	flag128                     uint32 = 0x20000000
	flag56                      uint32 = 0x80000000

	clientFlags = flagUnicode | flagOEM | flagRequestTarget | flagNTLM | flagAlwaysSign |
		flagExtendedSessionSecurity | flagTargetInfo | flag128 | flag56
)

// AV_PAIR ids (MS-NLMP 2.2.2.1) the client reads or writes.
const (
	avEOL       uint16 = 0
	avFlags     uint16 = 6
	avTimestamp uint16 = 7

	// avFlagMIC in MsvAvFlags says the AUTHENTICATE message carries a MIC.
	avFlagMIC uint32 = 0x00000002
)

// Fixed sizes (MS-NLMP 2.2.1): the NEGOTIATE message with its Version field, the smallest
// CHALLENGE message, and the AUTHENTICATE header up to the end of its MIC.
const (
	negotiateLen          = 40
	challengeMinLen       = 48
	authenticateHeaderLen = 88
	micOffset             = 72
)

var errMalformedChallenge = errors.New("the server's NTLM CHALLENGE message is malformed")

// negotiateMessage is the NEGOTIATE message: flags only, no domain or workstation (the
// AUTHENTICATE message names the domain).
func negotiateMessage() []byte {
	m := make([]byte, negotiateLen)
	copy(m, signature)
	binary.LittleEndian.PutUint32(m[8:], typeNegotiate)
	binary.LittleEndian.PutUint32(m[12:], clientFlags)
	// The empty DomainName and Workstation fields point past the header.
	binary.LittleEndian.PutUint32(m[20:], negotiateLen)
	binary.LittleEndian.PutUint32(m[28:], negotiateLen)
	return m
}

// avPair is one entry of a CHALLENGE message's target info (MS-NLMP 2.2.2.1).
type avPair struct {
	id    uint16
	value []byte
}

// challenge is what the client needs of a CHALLENGE message (MS-NLMP 2.2.1.2).
type challenge struct {
	raw             []byte
	flags           uint32
	serverChallenge []byte
	targetName      string
	targetInfo      []avPair
}

// parseChallenge reads a CHALLENGE message. The server must agree to Unicode: this client
// writes no OEM character set.
func parseChallenge(b []byte) (*challenge, error) {
	if len(b) < challengeMinLen || !bytes.Equal(b[:8], signature) || binary.LittleEndian.Uint32(b[8:]) != typeChallenge {
		return nil, errMalformedChallenge
	}
	c := &challenge{raw: b, flags: binary.LittleEndian.Uint32(b[20:]), serverChallenge: b[24:32]}
	if c.flags&flagUnicode == 0 {
		return nil, errors.New("the server's NTLM CHALLENGE does not agree to Unicode, the only character set this client writes")
	}
	name, err := messageField(b, 12)
	if err != nil {
		return nil, err
	}
	c.targetName = fromUTF16LE(name)
	info, err := messageField(b, 40)
	if err != nil {
		return nil, err
	}
	if c.targetInfo, err = parseAVPairs(info); err != nil {
		return nil, err
	}
	return c, nil
}

// messageField returns the payload a field descriptor at offset at points to (a 16-bit
// length, a 16-bit maximum length, a 32-bit offset into the message).
func messageField(msg []byte, at int) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(msg[at:]))
	offset := int(binary.LittleEndian.Uint32(msg[at+4:]))
	if n == 0 {
		return nil, nil
	}
	if offset > len(msg) || n > len(msg)-offset {
		return nil, errMalformedChallenge
	}
	return msg[offset : offset+n], nil
}

// parseAVPairs reads target info up to its MsvAvEOL; empty target info has no pairs.
func parseAVPairs(b []byte) ([]avPair, error) {
	var pairs []avPair
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errMalformedChallenge
		}
		id, n := binary.LittleEndian.Uint16(b), int(binary.LittleEndian.Uint16(b[2:]))
		if id == avEOL {
			return pairs, nil
		}
		if n > len(b)-4 {
			return nil, errMalformedChallenge
		}
		pairs = append(pairs, avPair{id: id, value: b[4 : 4+n]})
		b = b[4+n:]
	}
	// Target info that ends without MsvAvEOL is taken as it is.
	return pairs, nil
}

// encodeAVPairs writes pairs and the closing MsvAvEOL.
func encodeAVPairs(pairs []avPair) []byte {
	var b []byte
	for _, p := range pairs {
		b = binary.LittleEndian.AppendUint16(b, p.id)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(p.value))) //nolint:gosec // values come from a 16-bit length
		b = append(b, p.value...)
	}
	return append(b, 0, 0, 0, 0)
}

// withMICFlag returns the server's target info with MsvAvFlags saying a MIC follows, as
// the client echoes it inside its NTLMv2 response, and the server's timestamp if it sent one.
func withMICFlag(pairs []avPair) (out []avPair, timestamp []byte) {
	flagged := false
	for _, p := range pairs {
		switch p.id {
		case avTimestamp:
			timestamp = p.value
		case avFlags:
			if len(p.value) == 4 {
				p.value = binary.LittleEndian.AppendUint32(nil, binary.LittleEndian.Uint32(p.value)|avFlagMIC)
				flagged = true
			}
		}
		out = append(out, p)
	}
	if !flagged {
		out = append(out, avPair{id: avFlags, value: binary.LittleEndian.AppendUint32(nil, avFlagMIC)})
	}
	return out, timestamp
}

// authenticateMessage lays out an AUTHENTICATE message (MS-NLMP 2.2.1.3) with room for the
// MIC, left zero for the caller to fill. The workstation and the encrypted session key are
// empty.
func authenticateMessage(flags uint32, lm, nt []byte, domain, user string) ([]byte, error) {
	payloads := [][]byte{lm, nt, toUTF16LE(domain), toUTF16LE(user), nil, nil}
	msg := make([]byte, authenticateHeaderLen)
	copy(msg, signature)
	binary.LittleEndian.PutUint32(msg[8:], typeAuthenticate)
	for i, p := range payloads {
		if len(p) > math.MaxUint16 || len(msg) > math.MaxUint32-len(p) {
			return nil, errors.New("the NTLM user name or domain is too long for an AUTHENTICATE message")
		}
		at := 12 + 8*i
		binary.LittleEndian.PutUint16(msg[at:], uint16(len(p)))     //nolint:gosec // bounded just above
		binary.LittleEndian.PutUint16(msg[at+2:], uint16(len(p)))   //nolint:gosec // bounded just above
		binary.LittleEndian.PutUint32(msg[at+4:], uint32(len(msg))) //nolint:gosec // bounded just above
		msg = append(msg, p...)
	}
	binary.LittleEndian.PutUint32(msg[60:], flags)
	return msg, nil
}

func toUTF16LE(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func fromUTF16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
