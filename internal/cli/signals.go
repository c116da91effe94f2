package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Stopping on SIGINT and SIGTERM. The first signal cancels the run's context (every long piece
// of work watches it) and starts a clock: whatever has not stopped within stopGrace is ended by
// the process itself, after the cleanups registered with onInterrupt ran (decrypted evidence,
// half-written snapshots). A second signal ends it at once, cleanups included. Only a changing
// action (contain --apply) holds the end back until its journal says what it did (critical).

// stopGrace is how long work has to stop by itself after the first signal.
const stopGrace = time.Second

// finishGrace is the extra time a command that writes its record of the interruption (collect's
// final manifest) may take, after it said so with finishing.
const finishGrace = 3 * time.Second

var (
	runCtx, runCancel = context.WithCancelCause(context.Background())

	sigMu      sync.Mutex
	cleanups   = map[int]func(){}
	nextID     int
	critical   int
	extended   bool
	normalStop bool
	caughtSig  os.Signal
)

// interruptible gives the context of a command's work: cancelled on SIGINT or SIGTERM.
func interruptible() (context.Context, context.CancelFunc) {
	return context.WithCancel(runCtx)
}

// onInterrupt registers fn to run if the process is ended by a signal before the command's own
// deferred cleanup runs; release unregisters it (call it from that cleanup).
func onInterrupt(fn func()) (release func()) {
	sigMu.Lock()
	defer sigMu.Unlock()
	nextID++
	id := nextID
	cleanups[id] = fn
	return func() {
		sigMu.Lock()
		delete(cleanups, id)
		sigMu.Unlock()
	}
}

// criticalSection holds the forced end back while a change to the host is being applied and
// journaled; done releases it.
func criticalSection() (done func()) {
	sigMu.Lock()
	critical++
	sigMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			sigMu.Lock()
			critical--
			sigMu.Unlock()
		})
	}
}

// finishing gives a command finishGrace more to write what it needs to after an interruption.
func finishing() {
	sigMu.Lock()
	extended = true
	sigMu.Unlock()
}

// stopIsNormal says the command runs until it is told to stop (a server): a signal is then
// its normal end, and its own exit status stands.
func stopIsNormal() {
	sigMu.Lock()
	normalStop = true
	sigMu.Unlock()
}

// interrupted reports the signal that stopped the run, if one did and it was not the normal
// end of the command.
func interrupted() (os.Signal, bool) {
	sigMu.Lock()
	defer sigMu.Unlock()
	return caughtSig, caughtSig != nil && !normalStop
}

// exitCodeOf is the shell's status for a death by signal: 128 + its number.
func exitCodeOf(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// handleSignals starts watching SIGINT and SIGTERM for the whole process (Main calls it).
func handleSignals() {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		sigMu.Lock()
		caughtSig = sig
		sigMu.Unlock()
		runCancel(fmt.Errorf("interrupted by %s", sigName(sig)))
		fmt.Fprintf(os.Stderr, "\nnowwhat: %s received: stopping\n", sigName(sig))
		deadline := time.Now().Add(stopGrace)
		for {
			select {
			case s := <-ch:
				fmt.Fprintf(os.Stderr, "nowwhat: %s again: ending now\n", sigName(s))
				forceExit(sig, true)
			case <-time.After(20 * time.Millisecond):
			}
			sigMu.Lock()
			ext, crit := extended, critical
			sigMu.Unlock()
			limit := deadline
			if ext {
				limit = deadline.Add(finishGrace)
			}
			if time.Now().After(limit) && crit == 0 {
				forceExit(sig, false)
			}
		}
	}()
}

// forceExit runs the registered cleanups and ends the process.
func forceExit(sig os.Signal, now bool) {
	sigMu.Lock()
	fns := make([]func(), 0, len(cleanups))
	for _, fn := range cleanups {
		fns = append(fns, fn)
	}
	cleanups = map[int]func(){}
	sigMu.Unlock()
	for _, fn := range fns {
		fn()
	}
	if stopProfile != nil {
		stopProfile()
	}
	if !now {
		fmt.Fprintf(os.Stderr, "nowwhat: stopped (%s); what was left unfinished is not to be trusted as complete\n", sigName(sig))
	}
	os.Exit(exitCodeOf(sig))
}

func sigName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}
