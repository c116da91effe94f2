package wseval

import (
	"time"

	"github.com/nowwhat/nowwhat/internal/detect/webshell"
)

// Classify is webshell.Scan as a Verdict.
func Classify(s Sample) Verdict {
	return verdictOf(webshell.Scan(s.Path, s.Content))
}

func verdictOf(r webshell.Result) Verdict {
	return Verdict{Webshell: r.Verdict == webshell.VerdictWebshell, Suspicious: r.Verdict == webshell.VerdictSuspicious, Tool: r.Tool, Language: r.Language}
}

// ContextOf turns what the host knows into webshell.Context.
func ContextOf(h Host) webshell.Context {
	return webshell.Context{Package: h.Package, ModTime: h.ModTime, ChangeTime: h.ChangeTime, AppChangeTime: h.AppChangeTime,
		Owner: h.Owner, AppOwner: h.AppOwner, HasOwner: h.HasOwner, WebUser: h.WebUser, HasWebUser: true}
}

// EvaluateContext runs webshell.Scan then webshell.Judge with the host's context: the benign
// files as installed in mode, the web shells as planted by the web server's account three days
// after the deployment.
func EvaluateContext(shells, benign []Sample, mode string) Report {
	apps := AppChangeTimes(benign)
	deployed := time.Now()
	for _, t := range apps {
		deployed = t
		break
	}
	return Evaluate(shells, benign, func(s Sample) Verdict {
		r := webshell.Scan(s.Path, s.Content)
		h := Planted(deployed)
		if s.Installed != nil {
			h = HostOf(s, apps)
		}
		return verdictOf(webshell.Judge(r, ContextOf(h)))
	})
}
