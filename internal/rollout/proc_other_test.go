//go:build !linux

package rollout_test

import "os/exec"

// dieWithParent has no portable equivalent outside Linux; stop relies on the test's cleanup.
func dieWithParent(*exec.Cmd) {}
