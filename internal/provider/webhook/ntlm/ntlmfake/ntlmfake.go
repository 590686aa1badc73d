package ntlmfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5" //nolint:gosec // NTLMv2 is defined over HMAC-MD5
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"golang.org/x/crypto/md4" //nolint:staticcheck,gosec // NTOWFv2 is defined over MD4
)

// Account is the one user the server knows, in the domain its CHALLENGE names.
type Account struct {
	Domain, User, Password string
}

// Exchange is one request the server received.
type Exchange struct {
	// RemoteAddr is the client's address and port: one per connection.
	RemoteAddr string
	// Scheme is the Authorization header's scheme, "" without one.
	Scheme string
	// Message is the NTLM message type the request carried: 0 none, 1 NEGOTIATE,
	// 3 AUTHENTICATE.
	Message int
	// Body is the request body as received.
	Body string
	// Passed: the request reached the guarded handler.
	Passed bool
	// MIC: the AUTHENTICATE message carried a MIC, and it matched.
	MIC bool
	// Refusal says why an AUTHENTICATE message was refused.
	Refusal string
}

// Server guards a handler with NTLM. Build it with New.
type Server struct {
	account             Account
	next                http.Handler
	schemes             []string
	perRequest          bool
	closeAfterChallenge bool
	noTimestamp         bool

	mu        sync.Mutex
	conns     map[string]*connState
	exchanges []Exchange
}

// connState is the handshake of one connection.
type connState struct {
	negotiate, challenge, serverChallenge, targetInfo []byte
	authenticated                                     bool
}

// Option changes how the server behaves.
type Option func(*Server)

// Offer sets the schemes the server's 401 answers offer, in order; the default is NTLM
// and Negotiate, as IIS's Windows authentication offers them.
func Offer(schemes ...string) Option { return func(s *Server) { s.schemes = schemes } }

// PerRequest makes every request run a handshake of its own, as IIS does with
// authPersistSingleRequest; by default a connection stays authenticated.
func PerRequest() Option { return func(s *Server) { s.perRequest = true } }

// CloseAfterChallenge closes the connection after each CHALLENGE, as a proxy that does
// not keep connections alive would.
func CloseAfterChallenge() Option { return func(s *Server) { s.closeAfterChallenge = true } }

// NoTimestamp leaves MsvAvTimestamp out of the CHALLENGE's target info, as servers before
// Windows Vista did: the client then uses its own clock and sends an LMv2 response.
func NoTimestamp() Option { return func(s *Server) { s.noTimestamp = true } }

// New returns a server that lets requests through to next for account only.
func New(account Account, next http.Handler, opts ...Option) *Server {
	s := &Server{account: account, next: next, schemes: []string{"NTLM", "Negotiate"}, conns: map[string]*connState{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Exchanges returns the requests received so far, in order.
func (s *Server) Exchanges() []Exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Exchange(nil), s.exchanges...)
}

// ServeHTTP runs the server's side of the handshake, and the guarded handler for a request
// on an authenticated connection or with an AUTHENTICATE message that verifies.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	ex := Exchange{RemoteAddr: r.RemoteAddr, Body: string(body)}
	msg := s.message(r.Header.Get("Authorization"), &ex)
	s.mu.Lock()
	st := s.conns[r.RemoteAddr]
	if st == nil {
		st = &connState{}
		s.conns[r.RemoteAddr] = st
	}
	switch ex.Message {
	case 1:
		s.sendChallenge(w, st, ex.Scheme, msg)
	case 3:
		ex.MIC, ex.Passed, ex.Refusal = s.verify(st, msg)
		st.authenticated = ex.Passed && !s.perRequest
	default:
		ex.Passed = ex.Scheme == "" && st.authenticated
	}
	s.exchanges = append(s.exchanges, ex)
	s.mu.Unlock()
	switch {
	case ex.Passed:
		s.next.ServeHTTP(w, r)
	case ex.Message != 1:
		for _, scheme := range s.schemes {
			w.Header().Add("WWW-Authenticate", scheme)
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}
}

// message decodes the NTLM message of an Authorization header of an offered scheme.
func (s *Server) message(header string, ex *Exchange) []byte {
	scheme, token, _ := strings.Cut(header, " ")
	ex.Scheme = scheme
	msg, err := base64.StdEncoding.DecodeString(token)
	offered := false
	for _, o := range s.schemes {
		offered = offered || o == scheme
	}
	if err != nil || !offered || len(msg) < 12 || string(msg[:8]) != "NTLMSSP\x00" {
		return nil
	}
	ex.Message = int(binary.LittleEndian.Uint32(msg[8:]))
	return msg
}

// sendChallenge answers a NEGOTIATE message (MS-NLMP 3.2.5.1.1).
func (s *Server) sendChallenge(w http.ResponseWriter, st *connState, scheme string, negotiate []byte) {
	*st = connState{negotiate: negotiate, serverChallenge: make([]byte, 8)}
	_, _ = rand.Read(st.serverChallenge)
	st.targetInfo = s.targetInfo()
	st.challenge = s.challengeMessage(st.serverChallenge, st.targetInfo)
	w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(st.challenge))
	if s.closeAfterChallenge {
		w.Header().Set("Connection", "close")
	}
	w.WriteHeader(http.StatusUnauthorized)
}

// targetInfo is the server's AV_PAIR list: NetBIOS and DNS names, its time, MsvAvEOL.
func (s *Server) targetInfo() []byte {
	var b []byte
	add := func(id uint16, value []byte) {
		b = binary.LittleEndian.AppendUint16(b, id)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(value))) //nolint:gosec // short names
		b = append(b, value...)
	}
	dnsDomain := strings.ToLower(s.account.Domain) + ".test"
	add(2, unicode(s.account.Domain))
	add(1, unicode("WEB01"))
	add(4, unicode(dnsDomain))
	add(3, unicode("web01."+dnsDomain))
	if !s.noTimestamp {
		const unixEpochInFileTime = 116444736000000000
		add(7, binary.LittleEndian.AppendUint64(nil, uint64(time.Now().UnixNano()/100)+unixEpochInFileTime)) //nolint:gosec // now
	}
	return append(b, 0, 0, 0, 0)
}

// challengeMessage lays out a CHALLENGE message (MS-NLMP 2.2.1.2): 48 bytes of header,
// then the target name (the domain) and the target info.
func (s *Server) challengeMessage(serverChallenge, targetInfo []byte) []byte {
	const (
		unicodeFlag, requestTarget, ntlmFlag, alwaysSign = 0x1, 0x4, 0x200, 0x8000
		domainTarget, extendedSecurity, targetInfoFlag   = 0x10000, 0x80000, 0x800000
		bits128, bits56                                  = 0x20000000, 0x80000000
	)
	name := unicode(s.account.Domain)
	m := make([]byte, 48, 48+len(name)+len(targetInfo))
	copy(m, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(m[8:], 2)
	putField(m[12:], len(name), 48)
	binary.LittleEndian.PutUint32(m[20:], unicodeFlag|requestTarget|ntlmFlag|alwaysSign|domainTarget|
		extendedSecurity|targetInfoFlag|bits128|bits56)
	copy(m[24:32], serverChallenge)
	putField(m[40:], len(targetInfo), 48+len(name))
	return append(append(m, name...), targetInfo...)
}

func putField(b []byte, length, offset int) {
	binary.LittleEndian.PutUint16(b, uint16(length))     //nolint:gosec // short payloads
	binary.LittleEndian.PutUint16(b[2:], uint16(length)) //nolint:gosec // short payloads
	binary.LittleEndian.PutUint32(b[4:], uint32(offset)) //nolint:gosec // short payloads
}

// verify checks an AUTHENTICATE message against the connection's CHALLENGE (MS-NLMP
// 3.2.5.1.2): it returns whether a MIC was verified, whether the user is authenticated,
// and why not.
func (s *Server) verify(st *connState, msg []byte) (mic, ok bool, refusal string) {
	if st.challenge == nil {
		return false, false, "no CHALLENGE was sent on this connection"
	}
	defer func() { *st = connState{} }()
	payload := func(at int) []byte {
		n, off := int(binary.LittleEndian.Uint16(msg[at:])), int(binary.LittleEndian.Uint32(msg[at+4:]))
		if off+n > len(msg) {
			return nil
		}
		return msg[off : off+n]
	}
	if len(msg) < 88 {
		return false, false, "AUTHENTICATE message too short"
	}
	nt, domain, user := payload(20), decode(payload(28)), decode(payload(36))
	if !strings.EqualFold(user, s.account.User) || !strings.EqualFold(domain, s.account.Domain) {
		return false, false, "unknown user " + domain + `\` + user
	}
	if len(nt) < 16+28+4 || nt[16] != 1 || nt[17] != 1 {
		return false, false, "not an NTLMv2 response"
	}
	key := ntowfv2(s.account.Password, user, domain)
	proof, blob := nt[:16], nt[16:]
	if !hmac.Equal(proof, hmacMD5(key, st.serverChallenge, blob)) {
		return false, false, "the NTLMv2 response does not match the password"
	}
	echoed := blob[28 : len(blob)-4]
	if !hasPairsOf(echoed, st.targetInfo) {
		return false, false, "the target info was not sent back as the CHALLENGE gave it"
	}
	if !micFlagged(echoed) {
		return false, true, ""
	}
	zeroed := bytes.Clone(msg)
	clear(zeroed[72:88])
	want := hmacMD5(hmacMD5(key, proof), st.negotiate, st.challenge, zeroed)
	if !hmac.Equal(msg[72:88], want) {
		return false, false, "the MIC does not match"
	}
	return true, true, ""
}

// hasPairsOf: every AV_PAIR of sent (but MsvAvFlags, which the client may change) is in echoed.
func hasPairsOf(echoed, sent []byte) bool {
	got := string(echoed)
	for _, p := range pairs(sent) {
		if binary.LittleEndian.Uint16(p) != 6 && !strings.Contains(got, string(p)) {
			return false
		}
	}
	return true
}

// micFlagged: MsvAvFlags says a MIC follows.
func micFlagged(info []byte) bool {
	for _, p := range pairs(info) {
		if binary.LittleEndian.Uint16(p) == 6 && len(p) == 8 && binary.LittleEndian.Uint32(p[4:])&2 != 0 {
			return true
		}
	}
	return false
}

// pairs splits target info into its AV_PAIRs, each with its id and length, up to MsvAvEOL.
func pairs(info []byte) [][]byte {
	var out [][]byte
	for len(info) >= 4 && binary.LittleEndian.Uint16(info) != 0 {
		end := 4 + int(binary.LittleEndian.Uint16(info[2:]))
		if end > len(info) {
			break
		}
		out = append(out, info[:end])
		info = info[end:]
	}
	return out
}

func ntowfv2(password, user, domain string) []byte {
	h := md4.New() //nolint:gosec // as the protocol requires
	h.Write(unicode(password))
	return hmacMD5(h.Sum(nil), unicode(strings.ToUpper(user)+domain))
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, d := range data {
		h.Write(d)
	}
	return h.Sum(nil)
}

func unicode(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func decode(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
