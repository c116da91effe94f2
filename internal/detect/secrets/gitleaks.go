package secrets

import (
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
)

// gitleaksVersion is the rule set's release (the module version in go.mod).
const gitleaksVersion = "v8.30.1"

// The maintained token rule set: gitleaks' default rules (about 220 token formats of cloud and
// SaaS providers, private keys, JWTs), run on the text of every file the server-file readers
// open. Its own logger is silenced: at debug level it would write the secrets it finds.
var (
	rulesOnce sync.Once
	rulesDet  *detect.Detector
	rulesErr  error
	rulesMu   sync.Mutex
)

func detector() (*detect.Detector, error) {
	rulesOnce.Do(func() {
		logging.Logger = zerolog.Nop()
		rulesDet, rulesErr = detect.NewDetectorDefaultConfig()
		if rulesDet != nil {
			rulesDet.MaxDecodeDepth = 0
		}
	})
	return rulesDet, rulesErr
}

func ruleCount() (int, error) {
	d, err := detector()
	if err != nil {
		return 0, err
	}
	return len(d.Config.Rules), nil
}

// ruleHit is one token a rule found.
type ruleHit struct {
	rule   string
	line   int // 1-based
	secret string
}

func ruleHits(text string) []ruleHit {
	d, err := detector()
	if err != nil {
		return nil
	}
	rulesMu.Lock()
	fs := d.DetectString(text)
	rulesMu.Unlock()
	out := make([]ruleHit, 0, len(fs))
	for _, f := range fs {
		out = append(out, ruleHit{rule: f.RuleID, line: f.StartLine + 1, secret: f.Secret})
	}
	return out
}

// rules adds what the token rule set finds in a file that the readers did not already report
// on the same line.
func (s *scanner) rules(base Item, text string) {
	if s.opt.NoRules || !isText([]byte(text)) {
		return
	}
	have := map[int]bool{}
	for _, it := range s.inv.Items {
		if it.Path == base.Path {
			have[it.Line] = true
		}
	}
	for _, h := range ruleHits(text) {
		if have[h.line] || placeholder(h.secret) {
			continue
		}
		it := base
		it.Line = h.line
		it.Name = h.rule
		it.Rule = "gitleaks:" + h.rule
		it.Kind = ruleKind(h.rule, base.Kind)
		s.add(it, h.secret)
		have[h.line] = true
	}
}

// ruleKind sorts a rule's finding: cloud providers' keys are cloud keys; elsewhere the
// location's kind (a token in a crontab is a cron secret).
func ruleKind(rule, locKind string) string {
	switch {
	case strings.HasPrefix(rule, "aws-"), strings.HasPrefix(rule, "gcp-"), strings.HasPrefix(rule, "azure-"),
		strings.HasPrefix(rule, "digitalocean-"), strings.HasPrefix(rule, "alibaba-"), strings.HasPrefix(rule, "heroku-"):
		if locKind == KindHistory || locKind == KindCron {
			return locKind
		}
		return KindCloud
	}
	switch locKind {
	case KindDB, KindAppSecret, KindPassword:
		return KindToken
	}
	return locKind
}
