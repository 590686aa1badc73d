package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// onOff parses "on"/"off" (and true/false) into *enabled.
func onOff(enabled *bool) func(string) error {
	return func(v string) error {
		switch strings.ToLower(v) {
		case "on", "true":
			*enabled = true
		case "off", "false":
			*enabled = false
		default:
			return fmt.Errorf("want on or off, not %q", v)
		}
		return nil
	}
}

// shardingFlagsUsed rejects shard flags given without --sharding=on: they would do nothing,
// and the operator who wrote them meant something.
func shardingFlagsUsed(fs *flag.FlagSet, enabled bool) error {
	if enabled {
		return nil
	}
	var used []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "shard-count" || f.Name == "shard-key" {
			used = append(used, "--"+f.Name)
		}
	})
	if len(used) > 0 {
		return fmt.Errorf("%s: only with --sharding=on", strings.Join(used, ", "))
	}
	return nil
}

// replicaName is the default of --replica-name: the pod's name, else the host's first label,
// lowercased.
func replicaName() string {
	if name := os.Getenv("POD_NAME"); name != "" {
		return strings.ToLower(name)
	}
	name, _ := os.Hostname()
	name, _, _ = strings.Cut(name, ".") // a fully qualified host name is not a Lease name
	return strings.ToLower(name)
}
