package azurekv

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// testBusQueue is the Service Bus queue the fake serves, at <server>/<testBusQueue> as
// https://NAMESPACE.servicebus.windows.net/<queue> is on Azure.
const testBusQueue = "ferry-bus-changes"

// fakeBus is a Service Bus queue, written from Service Bus's public REST reference: Receive
// and Delete Message (DELETE /{queue}/messages/head?timeout=N, held until a message arrives
// or the time-out in seconds passes, default 60: 200 with the message as the body and its
// BrokerProperties header, 204 when none arrived, 401 without a valid token, 410 for a
// queue that does not exist), Entra ID bearer tokens for https://servicebus.azure.net, and
// errors as <Error><Code>…</Code><Detail>…</Detail></Error>.
type fakeBus struct {
	messages []string
	arrived  chan struct{}
	receives int  // messages received
	deny     bool // answer every request 401, as a token without the Listen claim is
}

func busError(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<Error><Code>%d</Code><Detail>%s</Detail></Error>`, status, detail)
}

// send adds a message, as Event Grid's delivery would. Callers hold no lock.
func (f *fakeAzure) send(text string) {
	f.mu.Lock()
	f.bus.messages = append(f.bus.messages, text)
	f.mu.Unlock()
	select {
	case f.bus.arrived <- struct{}{}:
	default:
	}
}

// serveBus answers Receive and Delete Message; it takes f.mu only while it looks at the
// queue, so that a receive can wait while messages are sent.
func (f *fakeAzure) serveBus(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	valid := f.tokens[token] && strings.Contains(" "+f.scopes[token]+" ", " https://servicebus.azure.net/.default ")
	deny := f.bus.deny
	f.mu.Unlock()
	switch {
	case !valid:
		busError(w, http.StatusUnauthorized, "InvalidSignature: the token is not valid for this audience")
		return
	case deny:
		busError(w, http.StatusUnauthorized, "Unauthorized access. 'Listen' claim(s) are required to perform this operation")
		return
	case r.Method != http.MethodDelete:
		busError(w, http.StatusMethodNotAllowed, "the method is not allowed on messages/head")
		return
	case r.URL.Path != "/"+testBusQueue+"/messages/head":
		busError(w, http.StatusGone, "the messaging entity could not be found")
		return
	}
	wait := 60 * time.Second
	if raw := r.URL.Query().Get("timeout"); raw != "" {
		seconds, err := strconv.Atoi(raw)
		if err != nil || seconds < 0 {
			busError(w, http.StatusBadRequest, "the timeout is not a number of seconds")
			return
		}
		wait = time.Duration(seconds) * time.Second
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		if len(f.bus.messages) > 0 {
			body := f.bus.messages[0]
			f.bus.messages = f.bus.messages[1:]
			f.bus.receives++
			n := f.bus.receives
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("BrokerProperties", fmt.Sprintf(`{"DeliveryCount":1,"MessageId":"m-%d","SequenceNumber":%d}`, n, n))
			_, _ = w.Write([]byte(body))
			return
		}
		f.mu.Unlock()
		select {
		case <-f.bus.arrived:
		case <-deadline.C:
			w.WriteHeader(http.StatusNoContent)
			return
		case <-r.Context().Done():
			return
		}
	}
}
