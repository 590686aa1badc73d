package fetch

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Documents: the current values of whole remote secrets, one per remote key and store
// scope (clientKey), for clients that are provider.BatchReaders.
//
//   - A value is served while it was confirmed current within the asker's MaxAge.
//   - Otherwise, when the client is a provider.ChangeDetector, one version check covers
//     every cached key that needs confirming (a listing, or a few describes: the provider
//     picks the cheaper). Unchanged values are confirmed without being read; changed ones
//     are read at once, in one batch.
//   - Reads are batched by group commit: a read starts at once when none is in flight;
//     keys asked while one is in flight wait and leave together in the next, so there is at
//     most one read call in flight per store scope and a busy fetcher reads many keys per
//     call, while an idle one adds no delay.

// widenLimit caps how many keys a read takes when it takes expected keys along.
const widenLimit = 200

// fillUnit is the batch size the fetcher fills reads to: the keys of one
// BatchGetSecretValue call, the smallest batch of the batch readers (the others read
// whole listings or more keys per call, and lose nothing by it).
const fillUnit = 20

// documents is the cache of one store scope.
type documents struct {
	mu      sync.Mutex
	entries map[string]*document
	// expected: keys some object reads that are not cached, with when that was last said
	// (Fetcher.Expect). A read of an uncached key takes them along, so that a fresh process
	// reads its store in batches rather than one key per object as each comes due.
	expected map[string]time.Time
	forming  *readBatch    // keys waiting for the next read
	reading  *readBatch    // the read in flight
	check    *versionCheck // the version check in flight
}

type document struct {
	doc provider.Document
	// confirmed is the latest instant at which doc was known to be current: the start of
	// the read that returned it or of a version check that found its version unchanged.
	confirmed time.Time
	// used is when it was last asked for; Sweep drops documents unused for long.
	used time.Time
	// changed: a version check saw a newer version; doc must be read again.
	changed bool
}

type readBatch struct {
	keys    map[string]bool
	started time.Time
	done    chan struct{}
	docs    map[string]provider.Document
	err     error
}

type versionCheck struct {
	started time.Time
	done    chan struct{}
	err     error
}

// documentReader returns the client as a BatchReader and the document key of ref when the
// client serves ref from documents, and a nil BatchReader otherwise.
func (f *Fetcher) documentReader(ctx context.Context, src Source, ref esv1.ExternalSecretDataRemoteRef) (provider.BatchReader, string, error) {
	c, err := f.client(ctx, src)
	if err != nil {
		return nil, "", err
	}
	br, ok := c.(provider.BatchReader)
	if !ok {
		return nil, "", nil
	}
	key, ok := br.DocumentKey(ref)
	if !ok {
		return nil, "", nil
	}
	return br, key, nil
}

func (f *Fetcher) documentsOf(key clientKey) *documents {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.docs[key]
	if !ok {
		d = &documents{entries: map[string]*document{}, expected: map[string]time.Time{}}
		f.docs[key] = d
	}
	return d
}

// document returns the current document of key, confirmed within src.MaxAge and not
// before marked (a reported change of the key). A reported change skips the version check:
// the key is known to need reading.
func (f *Fetcher) document(ctx context.Context, src Source, br provider.BatchReader, key string, marked time.Time) (provider.Document, error) {
	d := f.documentsOf(f.keyOf(src))
	now := f.now()
	notBefore := now.Add(-src.MaxAge)
	changeReported := marked.After(notBefore)
	if changeReported {
		notBefore = marked
	}
	if src.MaxAge > 0 {
		if doc, ok := d.fresh(key, now, notBefore); ok {
			f.metrics.CacheHit()
			return doc, nil
		}
		if cd, ok := br.(provider.ChangeDetector); ok && !changeReported && d.confirmable(key) {
			// A failed check leaves the read below to find out.
			if err := f.checkVersions(ctx, src, d, cd, br, notBefore); err == nil {
				if doc, ok := d.fresh(key, now, notBefore); ok {
					return doc, nil
				}
			} else if ctx.Err() != nil {
				return provider.Document{}, ctx.Err()
			}
		}
	}
	return f.readDocument(ctx, src, d, br, key, notBefore)
}

// fresh returns the cached document of key when it was confirmed at or after notBefore,
// and marks it used.
func (d *documents) fresh(key string, now, notBefore time.Time) (provider.Document, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.freshLocked(key, now, notBefore)
}

// freshLocked is fresh for callers that hold d.mu.
func (d *documents) freshLocked(key string, now, notBefore time.Time) (provider.Document, bool) {
	e, ok := d.entries[key]
	if !ok {
		return provider.Document{}, false
	}
	e.used = now
	if e.changed || e.confirmed.Before(notBefore) {
		return provider.Document{}, false
	}
	return e.doc, true
}

// confirmable says whether a version check can confirm the cached document of key.
func (d *documents) confirmable(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[key]
	return ok && !e.changed && e.doc.Err == nil && e.doc.Version != ""
}

// checkVersions waits for a version check that confirms what it can of the cached
// documents: the one in flight, or a new one over every document not confirmed since
// notBefore.
func (f *Fetcher) checkVersions(ctx context.Context, src Source, d *documents, cd provider.ChangeDetector,
	br provider.BatchReader, notBefore time.Time) error {
	d.mu.Lock()
	chk := d.check
	if chk == nil {
		var keys []string
		for k, e := range d.entries {
			if !e.changed && e.doc.Err == nil && e.doc.Version != "" && e.confirmed.Before(notBefore) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		chk = &versionCheck{started: f.now(), done: make(chan struct{})}
		d.check = chk
		go f.runCheck(src, d, cd, br, chk, keys) //nolint:gosec // serves every waiting object, not only this caller
	} else {
		f.metrics.Coalesced()
	}
	d.mu.Unlock()
	select {
	case <-chk.done:
		return chk.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runCheck asks the provider for current versions, confirms the documents whose version
// did not change and reads the changed ones at once.
func (f *Fetcher) runCheck(src Source, d *documents, cd provider.ChangeDetector, br provider.BatchReader, chk *versionCheck, keys []string) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	versions, err := cd.Versions(ctx, keys)
	f.metrics.ProviderCall(providerName(src.Store), "Versions", err)

	asked := make(map[string]bool, len(keys))
	for _, k := range keys {
		asked[k] = true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	chk.err = err
	d.check = nil
	defer close(chk.done)
	if err != nil {
		return
	}
	var changed []string
	for k, e := range d.entries {
		if !e.confirmed.Before(chk.started) || e.changed || e.doc.Err != nil {
			continue // read after the check began, or already known stale
		}
		v, seen := versions[k]
		switch {
		case seen && v == e.doc.Version:
			e.confirmed = chk.started
		case seen || asked[k]:
			// A new version, or gone: read it again.
			e.changed = true
			changed = append(changed, k)
		}
	}
	if len(changed) > 0 {
		f.enqueueRead(src, d, br, changed)
	}
}

// readDocument reads key: it joins the read in flight when that read covers key and began
// at or after notBefore, and the next read otherwise. When the caller accepts a cached
// value, a read that completed since it looked (and began at or after notBefore) serves
// it without another.
func (f *Fetcher) readDocument(ctx context.Context, src Source, d *documents, br provider.BatchReader, key string, notBefore time.Time) (provider.Document, error) {
	d.mu.Lock()
	if src.MaxAge > 0 {
		if doc, ok := d.freshLocked(key, f.now(), notBefore); ok {
			d.mu.Unlock()
			f.metrics.Coalesced()
			return doc, nil
		}
	}
	var b *readBatch
	if r := d.reading; r != nil && r.keys[key] && !r.started.Before(notBefore) {
		b = r
		f.metrics.Coalesced()
	} else {
		if d.forming != nil && d.forming.keys[key] {
			f.metrics.Coalesced()
		}
		b = f.enqueueRead(src, d, br, append([]string{key}, d.takeExpected(key)...))
	}
	d.mu.Unlock()
	select {
	case <-b.done:
	case <-ctx.Done():
		return provider.Document{}, ctx.Err()
	}
	if b.err != nil {
		return provider.Document{}, b.err
	}
	doc, ok := b.docs[key]
	if !ok {
		return provider.Document{}, errors.New("the provider's batch read did not answer for this key")
	}
	return doc, nil
}

// expect notes that an object reads key, unless it is cached or on its way: in the read
// in flight or the next one (taken along earlier, not cached until its read ends).
func (d *documents) expect(key string, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.entries[key]; ok {
		return
	}
	if d.reading != nil && d.reading.keys[key] || d.forming != nil && d.forming.keys[key] {
		return
	}
	d.expected[key] = now
}

// takeExpected returns expected keys to read along with key when key is not cached (a
// cached key is being refreshed: the others wait for their own askers), as many as fill
// the next read up to widenLimit keys, or, when askers' own keys took it past that, up to
// the next multiple of fillUnit: a read is then a whole number of a provider's batch calls
// (AWS: ten of 20), not ten and one of a single key. It forgets the keys it returns.
// Callers hold d.mu.
func (d *documents) takeExpected(key string) []string {
	delete(d.expected, key)
	if _, cached := d.entries[key]; cached || len(d.expected) == 0 {
		return nil
	}
	n := 1 // key
	if d.forming != nil {
		n = len(d.forming.keys)
		if !d.forming.keys[key] {
			n++
		}
	}
	room := max(widenLimit, (n+fillUnit-1)/fillUnit*fillUnit) - n
	var keys []string
	for k := range d.expected {
		if len(keys) >= room {
			break
		}
		delete(d.expected, k)
		if _, ok := d.entries[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// enqueueRead adds keys to the next read, starting it when none is in flight, and returns
// the batch they are in. Callers hold d.mu.
func (f *Fetcher) enqueueRead(src Source, d *documents, br provider.BatchReader, keys []string) *readBatch {
	if d.forming == nil {
		d.forming = &readBatch{keys: map[string]bool{}, done: make(chan struct{})}
	}
	b := d.forming
	for _, k := range keys {
		b.keys[k] = true
	}
	if d.reading == nil {
		f.startRead(src, d, br)
	}
	return b
}

// startRead sends the forming batch. Callers hold d.mu.
func (f *Fetcher) startRead(src Source, d *documents, br provider.BatchReader) {
	b := d.forming
	d.forming = nil
	b.started = f.now()
	d.reading = b
	go f.runRead(src, d, br, b)
}

func (f *Fetcher) runRead(src Source, d *documents, br provider.BatchReader, b *readBatch) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	docs, err := br.ReadDocuments(ctx, slices.Sorted(maps.Keys(b.keys)))
	f.metrics.ProviderCall(providerName(src.Store), "ReadDocuments", err)

	d.mu.Lock()
	defer d.mu.Unlock()
	b.docs, b.err = docs, err
	for k, doc := range docs {
		if doc.Err != nil && !errors.Is(doc.Err, provider.ErrNotFound) {
			// Errors other than "not found" reach this batch's askers only.
			delete(d.entries, k)
			continue
		}
		e, ok := d.entries[k]
		if !ok {
			e = &document{used: b.started}
			d.entries[k] = e
		}
		e.doc, e.confirmed, e.changed = doc, b.started, false
	}
	d.reading = nil
	close(b.done)
	if d.forming != nil {
		f.startRead(src, d, br)
	}
}

// sweep drops documents unused since before and returns how many it kept.
func (d *documents) sweep(before time.Time) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, e := range d.entries {
		if e.used.Before(before) {
			delete(d.entries, k)
		}
	}
	for k, at := range d.expected {
		if at.Before(before) {
			delete(d.expected, k)
		}
	}
	return len(d.entries)
}
