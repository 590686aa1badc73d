// Command kubectl-ferry is Ferry's kubectl plugin: put it on your PATH and run
//
//	kubectl ferry status [-n NAMESPACE | -A]
//	kubectl ferry sync NAME... [-n NAMESPACE]
//	kubectl ferry explain NAME [-n NAMESPACE]
//	kubectl ferry preflight [-f PATH | -n NAMESPACE] [-o json]
//	kubectl ferry version
//
// The ferry binary serves the same commands ("ferry status", ...).
package main

import (
	"fmt"
	"os"

	"github.com/ferryhq/ferry/internal/cli"
	"github.com/ferryhq/ferry/internal/version"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "version" || os.Args[1] == "--version") {
		fmt.Println(version.Get())
		return
	}
	if err := cli.Main(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kubectl ferry:", err)
		os.Exit(cli.ExitCode(err))
	}
}
