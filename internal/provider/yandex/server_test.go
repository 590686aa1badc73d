package yandex

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/yandex/yandexfake"
)

const (
	testFolder         = yandexfake.Folder
	testServiceAccount = yandexfake.ServiceAccount
)

var (
	text   = yandexfake.Text
	binary = yandexfake.Binary
)

// fakeYandex is the in-process Yandex Cloud (yandexfake).
type fakeYandex struct {
	*yandexfake.Server
}

// startYandex starts the servers; they stop with the test.
func startYandex(t *testing.T) *fakeYandex {
	t.Helper()
	f, err := yandexfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return &fakeYandex{f}
}

// newKey makes an authorized key for serviceAccount that IAM knows and returns the JSON
// file `yc iam key create` writes.
func (f *fakeYandex) newKey(t *testing.T, id, serviceAccount string) []byte {
	t.Helper()
	file, err := f.NewKey(id, serviceAccount)
	if err != nil {
		t.Fatal(err)
	}
	return file
}
