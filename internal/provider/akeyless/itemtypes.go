package akeyless

import (
	"sync"
	"time"
)

// itemTypeLife is how long an item's type is trusted: types almost never change, and
// knowing it saves a /describe-item per read; a read that finds the item gone forgets it.
const itemTypeLife = 10 * time.Minute

// itemTypes caches the types of the items one client has read.
type itemTypes struct {
	now func() time.Time

	mu      sync.Mutex
	byName  map[string]string
	expires map[string]time.Time
}

func newItemTypes(now func() time.Time) *itemTypes {
	if now == nil {
		now = time.Now
	}
	return &itemTypes{now: now, byName: map[string]string{}, expires: map[string]time.Time{}}
}

func (t *itemTypes) get(name string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	typ, ok := t.byName[name]
	if !ok || !t.now().Before(t.expires[name]) {
		return "", false
	}
	return typ, true
}

func (t *itemTypes) set(name, typ string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byName[name], t.expires[name] = typ, t.now().Add(itemTypeLife)
}

func (t *itemTypes) forget(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byName, name)
	delete(t.expires, name)
}
