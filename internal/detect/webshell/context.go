package webshell

import (
	"fmt"
	"time"
)

// Context is what the host knows about a file, beyond its bytes.
type Context struct {
	// Package names the package whose file list holds this file with this content (or whose
	// file this is an identical copy of); Manifest, the application's own record of its files
	// that holds it (a git checkout's index, a signature list).
	Package, Manifest string
	// PackageChanged: a package lists this path, and the content is not the package's.
	PackageChanged bool
	// The file's times and owner, and those most of its application's other files have (the
	// files of its folder and the folders around): zero when unknown.
	ModTime, ChangeTime       time.Time
	AppModTime, AppChangeTime time.Time
	Owner, AppOwner           uint32
	HasOwner                  bool
	// WebUser is the web server's account (www-data, apache, nginx, tomcat): files it owns
	// were written through the web server.
	WebUser    uint32
	HasWebUser bool
}

// Context weights: they raise a file the code already points at; they never make an alarm of a
// file whose code says nothing, nor explain one away (an intruder writes within minutes of a
// deployment, and keeps the times of the files around).
const (
	wCtxChanged  = 30 // a package's file, changed
	wCtxNewer    = 20 // written well after the application around it
	wCtxWebOwner = 20 // owned by the web server's account in an application owned by another
	ctxMinScore  = 30 // what the code must have said for the context to count
	ctxNewerGap  = 24 * time.Hour
)

// Judge weighs a result with what the host knows of the file: a file a package or the
// application's manifest knows with this very content is that release's (information, with
// its name, whatever its code does); a changed package file, a file written well after its
// application, or one the web server's account owns in an application that account does not
// own, weighs more when its code already points at a web shell. Deployments that keep the
// release's modification times (tar, unzip, cp -a, rsync -a) change times together: the
// change time is compared with the application's, not the modification time with the change
// time.
func Judge(r Result, c Context) Result {
	known := c.Package
	if known == "" {
		known = c.Manifest
	}
	if known != "" && !c.PackageChanged {
		if r.Verdict != VerdictClean {
			r.Tool = known
			r.Verdict = VerdictKnown
			r.Reasons = append([]Reason{{Rule: "known.package", Evidence: clip([]byte("the file of " + known + ", unchanged"))}}, r.Reasons...)
		}
		return r
	}
	if r.Verdict == VerdictKnown || r.Score < ctxMinScore {
		return r
	}
	add := func(rule string, w int, ev string) {
		r.Score += w
		r.Reasons = append(r.Reasons, Reason{Rule: rule, Weight: w, Evidence: clip([]byte(ev))})
	}
	if c.PackageChanged {
		add("context.package-changed", wCtxChanged, "a package lists this file; its content is not the package's")
	}
	if !c.ChangeTime.IsZero() && !c.AppChangeTime.IsZero() && c.ChangeTime.Sub(c.AppChangeTime) > ctxNewerGap {
		add("context.newer-than-app", wCtxNewer, fmt.Sprintf("written %s, the application around it %s", c.ChangeTime.UTC().Format("2006-01-02 15:04"), c.AppChangeTime.UTC().Format("2006-01-02 15:04")))
	}
	if c.HasOwner && c.HasWebUser && c.Owner == c.WebUser && c.AppOwner != c.WebUser {
		add("context.web-user-owner", wCtxWebOwner, fmt.Sprintf("owned by the web server's account (uid %d); the application by uid %d", c.Owner, c.AppOwner))
	}
	switch {
	case r.Score >= ScoreWebshell:
		r.Verdict = VerdictWebshell
	case r.Score >= ScoreSuspicious:
		r.Verdict = VerdictSuspicious
	}
	return r
}
