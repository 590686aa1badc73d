package vault

import "testing"

func TestLayoutPaths(t *testing.T) {
	tests := []struct {
		name               string
		l                  layout
		key                string
		wantData, wantMeta string
	}{
		{"v2 without mount", layout{v2: true}, "secret/app/db", "secret/data/app/db", "secret/metadata/app/db"},
		{"v2 key copied from the UI", layout{v2: true}, "secret/data/app/db", "secret/data/app/db", "secret/metadata/app/db"},
		{"v2 with mount", layout{mount: "secret", v2: true}, "app/db", "secret/data/app/db", "secret/metadata/app/db"},
		{"v2 key repeats the mount", layout{mount: "secret", v2: true}, "secret/app", "secret/data/app", "secret/metadata/app"},
		{"v2 key repeats mount and data", layout{mount: "secret", v2: true}, "secret/data/app", "secret/data/app", "secret/metadata/app"},
		{"v2 nested mount", layout{mount: "team/kv", v2: true}, "app", "team/kv/data/app", "team/kv/metadata/app"},
		{"v2 leading slash", layout{mount: "secret", v2: true}, "/app", "secret/data/app", "secret/metadata/app"},
		{"v1 without mount", layout{}, "kv/app/db", "kv/app/db", "kv/app/db"},
		{"v1 with mount", layout{mount: "kv"}, "app", "kv/app", "kv/app"},
		{"v1 key repeats the mount", layout{mount: "kv"}, "kv/app", "kv/app", "kv/app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.l.dataPath(tt.key); got != tt.wantData {
				t.Errorf("dataPath(%q) = %q, want %q", tt.key, got, tt.wantData)
			}
			if got := tt.l.metadataPath(tt.key); got != tt.wantMeta {
				t.Errorf("metadataPath(%q) = %q, want %q", tt.key, got, tt.wantMeta)
			}
		})
	}
}

func TestLayoutListRoot(t *testing.T) {
	tests := []struct {
		l                     layout
		findPath              string
		wantMount, wantFolder string
	}{
		{layout{mount: "secret", v2: true}, "", "secret", ""},
		{layout{mount: "secret", v2: true}, "app", "secret", "app"},
		{layout{mount: "secret", v2: true}, "secret/app/", "secret", "app"},
		{layout{v2: true}, "secret/app", "secret", "app"},
		{layout{v2: true}, "secret", "secret", ""},
	}
	for _, tt := range tests {
		mount, folder := tt.l.listRoot(tt.findPath)
		if mount != tt.wantMount || folder != tt.wantFolder {
			t.Errorf("%+v listRoot(%q) = %q, %q; want %q, %q", tt.l, tt.findPath, mount, folder, tt.wantMount, tt.wantFolder)
		}
	}
}
