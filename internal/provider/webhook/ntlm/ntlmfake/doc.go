// Package ntlmfake is an in-process NTLM server for Ferry's tests, written from
// Microsoft's public specification of the protocol, [MS-NLMP], independently of the client
// in package ntlm so that the one checks the other: an http.Handler that lets a request
// through to another handler only on a connection that completed an NTLMv2 handshake for
// its one account. It answers a NEGOTIATE message with a CHALLENGE carrying a random server
// challenge and target info (with its time), and verifies the AUTHENTICATE message as a
// Windows server does: the NTLMv2 response is recomputed from the account's password, the
// target info must come back as it was sent, and a MIC, when the client says it sent one,
// must match.
//
// It is never part of the operator binary. No Windows or IIS server was reached to write
// it, and it knows no NTLMv1, Kerberos or channel bindings.
//
// [MS-NLMP]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/
package ntlmfake
