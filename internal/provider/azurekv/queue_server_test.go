package azurekv

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// testQueue is the Storage queue the fake serves, at <server>/<testQueue> as
// https://ACCOUNT.queue.core.windows.net/<queue> is on Azure.
const testQueue = "ferry-changes"

// fakeQueue is the Queue service of Azure Storage, written from its public REST reference:
// Get Messages (GET /{queue}/messages?numofmessages&visibilitytimeout, answering a
// QueueMessagesList of MessageId, PopReceipt, MessageText...), Delete Message
// (DELETE /{queue}/messages/{id}?popreceipt, 204), Entra ID bearer tokens for
// https://storage.azure.com with x-ms-version 2017-11-09 or later, and errors as
// <Error><Code>…</Code><Message>…</Message></Error> with the code in x-ms-error-code.
type fakeQueue struct {
	messages []fakeQueued
	receipts map[string]string // MessageId → PopReceipt of a received, undeleted message
	next     int
	gets     int
	deny     bool // answer every request 403 AuthorizationPermissionMismatch
}

type fakeQueued struct {
	id, text string
}

func storageError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>the request was refused</Message></Error>`, code)
}

// enqueue adds a message, as Event Grid's delivery would. Callers hold no lock.
func (f *fakeAzure) enqueue(text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue.next++
	f.queue.messages = append(f.queue.messages, fakeQueued{id: fmt.Sprintf("m-%d", f.queue.next), text: text})
}

// serveQueue answers the Queue service's calls; f.mu is held.
func (f *fakeAzure) serveQueue(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !f.tokens[token] || !strings.Contains(" "+f.scopes[token]+" ", " https://storage.azure.com/.default "):
		storageError(w, http.StatusUnauthorized, "InvalidAuthenticationInfo")
		return
	case r.Header.Get("x-ms-version") < "2017-11-09" || r.Header.Get("x-ms-date") == "":
		storageError(w, http.StatusBadRequest, "MissingRequiredHeader")
		return
	case f.queue.deny:
		storageError(w, http.StatusForbidden, "AuthorizationPermissionMismatch")
		return
	}
	q := &f.queue
	id, isMessage := strings.CutPrefix(r.URL.Path, "/"+testQueue+"/messages/")
	switch {
	case r.Method == http.MethodGet && !isMessage:
		q.gets++
		n := 1
		_, _ = fmt.Sscan(r.URL.Query().Get("numofmessages"), &n)
		if n < 1 || n > 32 || r.URL.Query().Get("visibilitytimeout") == "" {
			storageError(w, http.StatusBadRequest, "OutOfRangeQueryParameterValue")
			return
		}
		type message struct {
			MessageID   string `xml:"MessageId"`
			PopReceipt  string `xml:"PopReceipt"`
			DequeueCnt  int    `xml:"DequeueCount"`
			MessageText string `xml:"MessageText"`
		}
		out := struct {
			XMLName  xml.Name  `xml:"QueueMessagesList"`
			Messages []message `xml:"QueueMessage"`
		}{}
		for len(q.messages) > 0 && len(out.Messages) < n {
			m := q.messages[0]
			q.messages = q.messages[1:]
			receipt := "pr-" + newID()
			q.receipts[m.id] = receipt
			out.Messages = append(out.Messages, message{MessageID: m.id, PopReceipt: receipt, DequeueCnt: 1, MessageText: m.text})
		}
		w.Header().Set("Content-Type", "application/xml")
		_ = xml.NewEncoder(w).Encode(out)
	case r.Method == http.MethodDelete && isMessage:
		if receipt, ok := q.receipts[id]; !ok || receipt != r.URL.Query().Get("popreceipt") {
			storageError(w, http.StatusNotFound, "MessageNotFound")
			return
		}
		delete(q.receipts, id)
		w.WriteHeader(http.StatusNoContent)
	default:
		storageError(w, http.StatusBadRequest, "UnsupportedHttpVerb")
	}
}
