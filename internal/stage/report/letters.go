package report

import (
	"fmt"
	"strings"
)

// Letter is one fill-in-ready text for people who must be told.
type Letter struct {
	Name  string // dpa, people, abuse, management
	File  string // file name in the letters folder
	Title string
	Text  string
}

// Fill marks what the operator must still fill in.
func Fill(what string) string { return "[FILL: " + what + "]" }

// Letters writes the letters the case calls for: the data protection authority (GDPR Art. 33),
// the affected people (Art. 34) when personal data may be at risk, the hosting provider or the
// upstream network (an abuse report with the indicators), and management (one page). Facts come
// from the case; what only the operator knows is marked with Fill.
func (r *Report) Letters() []Letter {
	r = r.visibleCopy()
	var out []Letter
	out = append(out, Letter{Name: "dpa", File: "letter-data-protection-authority.txt", Title: "Data protection authority (GDPR Art. 33)", Text: r.letterDPA()})
	if r.PersonalData.Status != "not-indicated" {
		out = append(out, Letter{Name: "people", File: "letter-affected-people.txt", Title: "Affected people (GDPR Art. 34)", Text: r.letterPeople()})
	}
	out = append(out, Letter{Name: "abuse", File: "letter-abuse-report.txt", Title: "Hosting provider or upstream network (abuse report)", Text: r.letterAbuse()})
	out = append(out, Letter{Name: "management", File: "letter-management.txt", Title: "Management (one page)", Text: r.letterManagement()})
	return out
}

const letterHead = "DRAFT: check it with your legal counsel before sending; nowwhat is not a lawyer.\nWhat is marked [FILL: ...] is for you to complete; the rest comes from the case: check it.\n\n"

func (r *Report) host() string { return firstNonEmpty(r.Host.Name, Fill("the server's name")) }

func (r *Report) texts(ss []Statement) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString("  - " + s.Text)
		if rs := refList(s.Refs); rs != "" {
			b.WriteString(" [" + rs + "]")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (r *Report) wayIn() string {
	if !r.Entry.Known || r.Entry.Vector == "unknown" {
		return Fill("how the intruder got in: not established by the investigation")
	}
	s := firstNonEmpty(vectorWords[r.Entry.Vector], r.Entry.Vector)
	if len(r.Entry.Addresses) > 0 {
		s += ", from " + strings.Join(r.Entry.Addresses, ", ")
	}
	if !r.Entry.Time.IsZero() {
		s += ", at " + stamp(r.Entry.Time)
	}
	return s + " (" + r.Entry.Confidence + " confidence)"
}

func (r *Report) firstSign() string {
	for _, e := range r.Timeline {
		if e.Phase == PhaseHostile {
			return stamp(e.Time)
		}
	}
	return Fill("when it started: the case has no dated sign of the intruder")
}

// measures lists what was done and what is still to do, for the letters.
func (r *Report) measures() string {
	var b strings.Builder
	done := map[string]int{}
	for _, a := range r.Actions {
		done[a.Step]++
	}
	words := map[string]string{
		"contain": "The affected part of the server was cut off from the intruder",
		"collect": "The evidence was secured in a sealed archive",
		"clean":   "What the intruder left was removed and changed files restored",
		"rotate":  "Passwords, keys and other credentials on the server were changed",
		"harden":  "The way in was closed and the server hardened",
		"verify":  "The server was checked again before going back into service",
	}
	for _, s := range []string{"contain", "collect", "clean", "rotate", "harden", "verify"} {
		if done[s] > 0 {
			fmt.Fprintf(&b, "  - Done: %s (%d recorded actions).\n", words[s], done[s])
		}
	}
	planned := map[string]string{
		"contain": "cut the affected part of the server off from the intruder",
		"collect": "secure the evidence in a sealed archive",
		"clean":   "remove what the intruder left and restore the files they changed",
		"rotate":  "change every password, key and other credential the server holds",
		"harden":  "close the way in and harden the server",
		"verify":  "check the server again before it goes back into service",
	}
	for _, s := range r.Steps {
		if !s.Ran && s.Section == nil && planned[s.Name] != "" {
			fmt.Fprintf(&b, "  - Planned: %s, by %s.\n", planned[s.Name], Fill("date"))
		}
	}
	b.WriteString("  - " + Fill("other measures: e.g. notifying users, resetting their passwords, monitoring") + "\n")
	return b.String()
}

func (r *Report) letterDPA() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	b.WriteString(letterHead)
	p("To: %s\nFrom: %s\nDate: %s\nSubject: Notification of a personal data breach (GDPR Article 33)\n\n",
		Fill("the data protection authority competent for you"), Fill("the controller: organisation, address, registration number"), Fill("date of sending"))
	if c := r.Clock; c != nil {
		p("Deadline: we became aware of the breach on %s, when our incident response first confirmed the compromise [%s]. The 72 hours of Article 33(1) end on %s (%s at %s). %s\n\n",
			stamp(c.Aware), refList([]Ref{c.Ref}), stamp(c.Deadline), c.Left, stamp(c.Now),
			Fill("if you knew of the breach earlier, count from then and correct these times"))
	} else {
		p("Deadline: 72 hours from when you became aware of the breach: %s. (No compromised verdict is recorded in the case journal to start the clock.)\n\n", Fill("date and time you became aware"))
	}
	p("1. Nature of the breach (Article 33(3)(a))\n\n")
	p("Our server %s was accessed without authorisation. The first sign of the intruder dates from %s. They got in %s.\n\n", r.host(), r.firstSign(), r.wayIn())
	p("What the intruder could reach:\n%s", r.texts(r.Affected.Data))
	p("  - Personal data on the server: %s\n\n", Fill("which personal data the server holds, e.g. customer names, e-mail addresses, orders, password hashes"))
	p("Categories of data subjects concerned: %s\n", Fill("e.g. customers, newsletter subscribers, employees"))
	p("Approximate number of data subjects concerned: %s\n", Fill("number"))
	p("Categories of personal data records concerned: %s\n", Fill("e.g. contact data, account data, payment data"))
	p("Approximate number of personal data records concerned: %s\n\n", Fill("number"))
	p("2. Contact point (Article 33(3)(b))\n\n%s\n\n", Fill("name and contact details of the data protection officer, or of another contact point"))
	p("3. Likely consequences (Article 33(3)(c))\n\n")
	switch r.PersonalData.Status {
	case "at-risk":
		p("The intruder had the access to read the personal data the server holds. Likely consequences for the people concerned: %s\n\n", Fill("e.g. phishing using their contact data, misuse of their accounts or passwords they reuse elsewhere, fraud"))
	case "possible":
		p("Whether the intruder read personal data is not established. Possible consequences: %s\n\n", Fill("assess them for the data the server holds"))
	default:
		p("Nothing in our investigation shows that personal data was reached. %s\n\n", Fill("your assessment"))
	}
	p("4. Measures taken or proposed (Article 33(3)(d))\n\n%s\n", r.measures())
	if r.Clock != nil && r.Clock.Passed {
		p("5. Reasons for the delay (Article 33(1))\n\nThis notification is made after the 72 hours, which ended on %s. The reasons for the delay: %s\n\n", stamp(r.Clock.Deadline), Fill("why it could not be made sooner"))
	}
	p("Where information is not yet available, we will provide it in phases as our investigation goes on (Article 33(4)). The incident report and the evidence's chain of custody are available on request.\n\n%s\n", Fill("name, role, signature"))
	return b.String()
}

func (r *Report) letterPeople() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	b.WriteString(letterHead)
	p("Send this only when the breach is likely to result in a high risk to the people concerned (GDPR Article 34); your counsel decides with you.\n\n")
	p("Subject: Important: a security incident affecting your data at %s\n\nDear %s,\n\n", Fill("your organisation"), Fill("name"))
	p("What happened\nOn %s we found that an intruder had got into one of our servers (%s). The first sign of them dates from %s. We cut them off and are cleaning up.\n\n",
		stamp(r.Verdict.FirstAt), r.host(), r.firstSign())
	p("What information was involved\n%s\n\n", Fill("which of this person's data the server held: e.g. your name, e-mail address, order history, your password in scrambled (hashed) form"))
	p("What this can mean for you\n%s\n\n", Fill("likely consequences in plain words: e.g. e-mails that pretend to come from us, attempts to log in with your password elsewhere"))
	p("What we are doing\n%s\n", r.measures())
	p("What you can do\n  - If you used the same password elsewhere, change it there.\n  - Be careful with e-mails or calls about this incident that ask for passwords or payments: we will never ask for them.\n  - %s\n\n", Fill("anything else specific to your service"))
	p("Questions\n%s\n\n%s\n", Fill("contact point: name, e-mail, phone"), Fill("name, role"))
	return b.String()
}

func (r *Report) letterAbuse() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	b.WriteString(letterHead)
	var addrs []Indicator
	for _, in := range r.Indicators {
		if in.Type == "ipv4" || in.Type == "ipv6" {
			addrs = append(addrs, in)
		}
	}
	p("To: %s\nSubject: Abuse report: intrusion into %s from %s\n\n", Fill("the abuse contact of the network each address belongs to (see its whois record), or your hosting provider"),
		r.host(), strings.Join(indicatorValues(addrs), ", "))
	p("Hello,\n\nOur server %s (%s) was broken into. The addresses below took part in the intrusion; all times are UTC. Please stop the abuse from them and keep your logs for these times.\n\n",
		r.host(), Fill("its public address"))
	if len(addrs) == 0 {
		p("%s\n\n", Fill("no attacker address is recorded in the case: list the addresses you know"))
	}
	for _, in := range addrs {
		p("  %s  %s", in.Value, in.Context)
		if !in.First.IsZero() {
			p(" (first seen %s", stamp(in.First))
			if in.Last.After(in.First) {
				p(", last %s", stamp(in.Last))
			}
			p(")")
		}
		p("\n")
	}
	var other []Indicator
	for _, in := range r.Indicators {
		if in.Type == "domain" || in.Type == "url" || in.Type == "sha256" || in.Type == "md5" {
			other = append(other, in)
		}
	}
	if len(other) > 0 {
		p("\nOther indicators of the same intrusion:\n")
		for _, in := range other {
			p("  %s %s\n", in.Type, in.Value)
		}
	}
	if r.Entry.Known && len(r.Entry.Evidence) > 0 {
		p("\nLog lines (from our server, unedited):\n")
		for i, e := range r.Entry.Evidence {
			if i == 10 {
				break
			}
			p("  %s\n", Visible(e, 400))
		}
	}
	p("\nThe indicators are attached in STIX 2.1 and MISP formats. %s\n\n%s\n", Fill("what you ask them to do, and a reference number if you have one"), Fill("name, organisation, contact"))
	return b.String()
}

func indicatorValues(in []Indicator) []string {
	var out []string
	for _, x := range in {
		out = append(out, x.Value)
	}
	if len(out) == 0 {
		return []string{Fill("address")}
	}
	return out
}

func (r *Report) letterManagement() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	b.WriteString(letterHead)
	p("To: %s\nSubject: Security incident on %s: where we stand (%s)\n\n", Fill("management"), r.host(), stamp(r.Generated))
	p("What happened\n%s\n", r.texts(r.Summary))
	p("Where we stand: %s.\n\n", r.State)
	p("What it may cost us\n  - Service: %s\n  - Data: personal data %s. %s\n  - Reputation and customers: %s\n\n", Fill("what was offline, and for how long"), r.PersonalData.Status,
		Fill("what the server holds"), Fill("who must be told"))
	if c := r.Clock; c != nil {
		p("Deadline\n  The data protection authority must be notified by %s (%s), unless counsel concludes the breach is unlikely to put anyone at risk.\n\n", stamp(c.Deadline), c.Left)
	}
	p("Done so far\n%s\n", r.measures())
	var missing []string
	for _, s := range r.Steps {
		if !s.Ran && s.Section == nil {
			missing = append(missing, s.Name)
		}
	}
	if len(missing) > 0 {
		p("Still to do: %s.\n\n", strings.Join(missing, ", "))
	}
	p("Decisions needed\n  - Notify the data protection authority and the people concerned? %s\n  - Rebuild the server from scratch, or clean it in place? %s\n  - %s\n\n", Fill("decision"), Fill("decision"), Fill("other"))
	p("%s\n", Fill("name, role"))
	return b.String()
}
