// Package fakehttp serves an http.Handler on a free 127.0.0.1 port, over plain HTTP or over
// TLS with a certificate made at start, for the providers' in-process stand-ins
// (internal/provider/<name>/<name>fake). It is what net/http/httptest does, without
// importing package testing, so `make dev` can start the stand-ins too.
//
// It binds loopback only and is never imported by the operator binary.
package fakehttp
