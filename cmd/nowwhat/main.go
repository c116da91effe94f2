// Command nowwhat answers "Server compromised. Now what?" for a Linux administrator.
// The work is done by the packages under internal/; this is only the entry point.
package main

import (
	"os"

	"github.com/nowwhat/nowwhat/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
