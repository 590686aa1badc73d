// Package onboardbasefake is an in-process stand-in for Onboardbase's public API, written
// from Onboardbase's API reference: GET /api/v1/secrets?project=…&environment=…
// authenticated by the API_KEY header, answering the environment's secrets with names and
// values encrypted with the key's passcode as CryptoJS.AES.encrypt does, and the
// documented statuses. It serves on 127.0.0.1 only, for Ferry's tests and `make dev`, and
// is never shipped in the operator binary. No Onboardbase service was reached to write it.
package onboardbasefake
