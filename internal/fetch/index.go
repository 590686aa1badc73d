package fetch

import (
	"cmp"
	"slices"
	"sync"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Reader names an object that reads through the fetcher, so that a change of a remote key
// can be traced back to the objects that read it.
type Reader struct {
	Kind, Namespace, Name string
}

// StoreID names a store across its generations: kind, namespace (empty for a
// ClusterSecretStore) and name.
type StoreID struct {
	Kind, Namespace, Name string
}

// StoreIDOf returns the StoreID of store.
func StoreIDOf(store esv1.GenericStore) StoreID {
	id := StoreID{Kind: store.GetKind(), Name: store.GetName()}
	if id.Kind != esv1.ClusterSecretStoreKind {
		id.Namespace = store.GetNamespace()
	}
	return id
}

// wholeStore is the index key of reads that may cover any key of a store (find).
const wholeStore = "\x00find"

// index maps (store, remote key) to the objects that read it, and remembers when a change
// of a key was reported, so that reads of that key are served only by reads that started
// after the report.
type index struct {
	mu       sync.Mutex
	byKey    map[StoreID]map[string]map[Reader]time.Time // last time each reader read the key
	byReader map[Reader]map[indexEntry]bool
	marks    map[indexEntry]time.Time // when a change of the key was reported
}

type indexEntry struct {
	store StoreID
	key   string
}

func newIndex() *index {
	return &index{byKey: map[StoreID]map[string]map[Reader]time.Time{}, byReader: map[Reader]map[indexEntry]bool{},
		marks: map[indexEntry]time.Time{}}
}

// record notes that r read keys of store at now.
func (x *index) record(r Reader, store StoreID, now time.Time, keys ...string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	byKey := x.byKey[store]
	if byKey == nil {
		byKey = map[string]map[Reader]time.Time{}
		x.byKey[store] = byKey
	}
	entries := x.byReader[r]
	if entries == nil {
		entries = map[indexEntry]bool{}
		x.byReader[r] = entries
	}
	for _, k := range keys {
		readers := byKey[k]
		if readers == nil {
			readers = map[Reader]time.Time{}
			byKey[k] = readers
		}
		readers[r] = now
		entries[indexEntry{store, k}] = true
	}
}

// markedAt returns the latest reported change of any of keys of store; zero if none.
func (x *index) markedAt(store StoreID, keys ...string) time.Time {
	x.mu.Lock()
	defer x.mu.Unlock()
	var latest time.Time
	for _, k := range keys {
		if t := x.marks[indexEntry{store, k}]; t.After(latest) {
			latest = t
		}
	}
	return latest
}

// changed marks the keys of store that some object reads as changed at at, and returns
// those objects, sorted. Keys nobody reads leave no trace.
func (x *index) changed(store StoreID, keys []string, at time.Time) []Reader {
	x.mu.Lock()
	defer x.mu.Unlock()
	seen := map[Reader]bool{}
	mark := func(k string) {
		readers := x.byKey[store][k]
		if len(readers) == 0 {
			return
		}
		x.marks[indexEntry{store, k}] = at
		for r := range readers {
			seen[r] = true
		}
	}
	for _, k := range keys {
		if k != wholeStore {
			mark(k)
		}
	}
	if len(keys) > 0 {
		mark(wholeStore)
	}
	return sortedReaders(seen)
}

// readersOf returns every object that read from store, sorted.
func (x *index) readersOf(store StoreID) []Reader {
	x.mu.Lock()
	defer x.mu.Unlock()
	seen := map[Reader]bool{}
	for _, readers := range x.byKey[store] {
		for r := range readers {
			seen[r] = true
		}
	}
	return sortedReaders(seen)
}

// prune forgets what r read before before.
func (x *index) prune(r Reader, before time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for e := range x.byReader[r] {
		readers := x.byKey[e.store][e.key]
		if t, ok := readers[r]; ok && !t.Before(before) {
			continue
		}
		delete(readers, r)
		delete(x.byReader[r], e)
		if len(readers) == 0 {
			delete(x.byKey[e.store], e.key)
			delete(x.marks, e)
		}
		if len(x.byKey[e.store]) == 0 {
			delete(x.byKey, e.store)
		}
	}
	if len(x.byReader[r]) == 0 {
		delete(x.byReader, r)
	}
}

// sweep forgets reports of changes older than before: every read since started after them.
func (x *index) sweep(before time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for e, t := range x.marks {
		if t.Before(before) {
			delete(x.marks, e)
		}
	}
}

func sortedReaders(set map[Reader]bool) []Reader {
	out := make([]Reader, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Reader) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Changed reports that keys of store changed at the provider: the next read of each key,
// for any object, is served only by a read that starts after now (no cached value, no read
// in flight, no version check). It returns the objects that read those keys — and those
// whose finds cover the store — for the caller to refresh. Keys no object reads are ignored.
// A report is a hint: it changes no value, it only makes the next read go to the provider.
func (f *Fetcher) Changed(store StoreID, keys []string) []Reader {
	return f.index.changed(store, keys, f.now())
}

// Wrote notes that src's reader writes keys of its store (a PushSecret's remote keys), so
// that a reported change of one of them (another writer's, a rotation) reaches the writer,
// which then puts its value back. Reads and writes share the index: Prune and ForgetReader
// serve both.
func (f *Fetcher) Wrote(src Source, keys ...string) { f.track(src, keys...) }

// ReadersOf returns the objects that read from store, e.g. to reschedule them when the
// store's change feed comes up or fails.
func (f *Fetcher) ReadersOf(store StoreID) []Reader { return f.index.readersOf(store) }

// Prune forgets the reads of r made before before: a sync calls it when it succeeds, with
// its own start, so that keys its object no longer reads stop routing changes to it.
func (f *Fetcher) Prune(r Reader, before time.Time) { f.index.prune(r, before) }

// ForgetReader forgets every read of r, e.g. when the object is deleted.
func (f *Fetcher) ForgetReader(r Reader) { f.index.prune(r, maxTime) }

var maxTime = time.Unix(1<<62, 0)

// track records src's reader (if any, and if the store is indexed) under keys, and returns the latest reported change
// of those keys.
func (f *Fetcher) track(src Source, keys ...string) time.Time {
	if src.Store == nil {
		return time.Time{}
	}
	id := StoreIDOf(src.Store)
	if src.Reader != (Reader{}) && (f.indexed == nil || f.indexed(src.Store)) {
		f.index.record(src.Reader, id, f.now(), keys...)
	}
	return f.index.markedAt(id, keys...)
}

// Now is the fetcher's clock: the time base of Changed, Prune and the reads they concern.
func (f *Fetcher) Now() time.Time { return f.now() }
