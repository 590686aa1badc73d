// Package ntlm is an HTTP client transport that authenticates with NTLMv2, written from
// Microsoft's public specification of the protocol, [MS-NLMP]: the NEGOTIATE, CHALLENGE and
// AUTHENTICATE messages, carried in "Authorization: NTLM <base64>" (or "Negotiate", when the
// server offers only that) and "WWW-Authenticate" headers.
//
// It is what the webhook provider's auth.ntlm runs on. It answers only with NTLMv2 (no
// NTLMv1, no LM), signs and seals nothing (HTTP needs neither), and sends no channel
// bindings, so a server that requires Extended Protection for Authentication refuses it.
//
// It must never send the password anywhere, nor put it, the user name or any message of the
// handshake in an error: a server that does not offer NTLM gets no credentials at all (no
// fall-back to Basic authentication), and a redirect to another host is followed without
// authenticating.
//
// [MS-NLMP]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/
package ntlm
