// Package ioc exports what an incident report found for other teams' tools: a STIX 2.1 bundle
// (TcM1911/stix2), a MISP event in MISP's JSON import format, and the timeline as Timesketch
// JSONL. Ids are derived from the case and the values (UUIDv5), so exporting the same case
// twice gives the same objects and an importer updates instead of duplicating.
package ioc

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/TcM1911/stix2"
	"github.com/google/uuid"

	"github.com/nowwhat/nowwhat/internal/stage/report"
)

// namespace is the UUIDv5 namespace of the ids nowwhat gives to STIX and MISP objects.
var namespace = uuid.MustParse("4f1b3a52-7c2e-5d8e-9a61-6e6f77776861")

// id derives a stable id for an object of a type from the case and a key.
func id(r *report.Report, typ stix2.STIXType, key string) stix2.Identifier {
	return stix2.Identifier(string(typ) + "--" + uuid.NewSHA1(namespace, []byte(r.Case+"\x00"+r.Host.Name+"\x00"+string(typ)+"\x00"+key)).String())
}

// Pattern writes the STIX pattern that matches an indicator; ok is false for kinds STIX has no
// observable for (an SSH key fingerprint).
func Pattern(in report.Indicator) (string, bool) {
	q := quote(in.Value)
	switch in.Type {
	case "ipv4":
		return "[ipv4-addr:value = " + q + "]", true
	case "ipv6":
		return "[ipv6-addr:value = " + q + "]", true
	case "domain":
		return "[domain-name:value = " + q + "]", true
	case "url":
		return "[url:value = " + q + "]", true
	case "sha256":
		return "[file:hashes.'SHA-256' = " + q + "]", true
	case "md5":
		return "[file:hashes.MD5 = " + q + "]", true
	case "path":
		dir, name := path.Split(in.Value)
		if name == "" {
			return "", false
		}
		if dir == "" {
			return "[file:name = " + q + "]", true
		}
		return "[file:name = " + quote(name) + " AND file:parent_directory_ref.path = " + quote(strings.TrimSuffix(dir, "/")+"") + "]", true
	}
	return "", false
}

// quote writes a STIX pattern string literal: single quotes, with ' and \ escaped.
func quote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `'`, `\'`) + "'"
}

// malwareTypes guesses the STIX malware type of a finding from its rule.
func malwareTypes(rule, title string) []string {
	s := strings.ToLower(rule + " " + title)
	switch {
	case strings.Contains(s, "webshell") || strings.Contains(s, "web shell") || strings.Contains(s, "web-shell"):
		return []string{"webshell"}
	case strings.Contains(s, "rootkit") || strings.Contains(s, "ld-preload") || strings.Contains(s, "kmod"):
		return []string{"rootkit"}
	case strings.Contains(s, "miner"):
		return []string{"resource-exploitation"}
	case strings.Contains(s, "reverse") || strings.Contains(s, "backdoor") || strings.Contains(s, "implant"):
		return []string{"backdoor"}
	}
	return nil
}

// knownTools are programs intruders bring that are tools, not malware.
var knownTools = map[string]string{"nmap": "network-capture", "masscan": "network-capture", "hydra": "credential-exploitation",
	"socat": "remote-access", "ncat": "remote-access", "netcat": "remote-access", "chisel": "remote-access", "frpc": "remote-access",
	"gost": "remote-access", "ngrok": "remote-access", "mimipenguin": "credential-exploitation", "linpeas.sh": "information-gathering"}

// STIX builds the bundle: an identity for the reporter, an indicator (with a valid pattern) and
// the observed data behind it for each indicator, malware and tools where the findings name
// them, an attack pattern per ATT&CK technique, courses of action from the findings' advice,
// and the relationships between them.
func STIX(r *report.Report) (*stix2.Bundle, error) {
	ts := &stix2.Timestamp{Time: r.Generated.UTC().Truncate(time.Millisecond)}
	var objs []stix2.STIXObject
	host := r.Host.Name
	if host == "" {
		host = "the examined host"
	}
	ident, err := stix2.NewIdentity("nowwhat incident response: "+host, stix2.OptionCreated(ts), stix2.OptionModified(ts),
		stix2.OptionDescription("Case "+r.Case+"; exported by nowwhat report"))
	if err != nil {
		return nil, err
	}
	ident.ID = id(r, stix2.TypeIdentity, "reporter")
	ident.Class = "organization"
	objs = append(objs, ident)
	common := func(typ stix2.STIXType, key string) []stix2.STIXOption {
		return []stix2.STIXOption{stix2.OptionCreated(ts), stix2.OptionModified(ts), stix2.OptionCreatedBy(ident.ID)}
	}
	var rels []stix2.STIXObject
	related := map[string]bool{}
	relate := func(kind stix2.RelationshipType, src, dst stix2.Identifier) error {
		if k := string(src) + string(kind) + string(dst); related[k] {
			return nil
		} else {
			related[k] = true
		}
		rel, err := stix2.NewRelationship(kind, src, dst, stix2.OptionCreated(ts), stix2.OptionModified(ts), stix2.OptionCreatedBy(ident.ID))
		if err != nil {
			return fmt.Errorf("relationship %s %s %s: %w", src, kind, dst, err)
		}
		rel.ID = id(r, stix2.TypeRelationship, string(src)+string(kind)+string(dst))
		rels = append(rels, rel)
		return nil
	}
	// Attack patterns.
	apByID := map[string]stix2.Identifier{}
	for _, t := range r.Techniques {
		ext, err := stix2.NewExternalReference("mitre-attack", "", report.AttackURL(t.ID), t.ID, nil)
		if err != nil {
			return nil, err
		}
		opts := append(common(stix2.TypeAttackPattern, t.ID), stix2.OptionExternalReferences([]*stix2.ExternalReference{ext}))
		if t.Tactic != "unknown" && t.Tactic != "" {
			kc, err := stix2.NewKillChainPhase("mitre-attack", t.Tactic)
			if err == nil {
				opts = append(opts, stix2.OptionKillChainPhase([]*stix2.KillChainPhase{kc}))
			}
		}
		ap, err := stix2.NewAttackPattern(t.Name, opts...)
		if err != nil {
			return nil, err
		}
		ap.ID = id(r, stix2.TypeAttackPattern, t.ID)
		apByID[t.ID] = ap.ID
		objs = append(objs, ap)
	}
	// Malware and tools from the findings.
	findingObj := map[string][]stix2.Identifier{}
	coaSeen := map[string]stix2.Identifier{}
	for _, f := range r.Findings {
		if f.Explained || !(f.Strong || f.Severity == "high" || f.Severity == "critical") {
			continue
		}
		name := path.Base(f.Path)
		if f.Path == "" {
			name = f.Title
		}
		var obj stix2.Identifier
		if kind, ok := knownTools[strings.ToLower(path.Base(f.Path))]; ok && f.Path != "" {
			tool, err := stix2.NewTool(name, append(common(stix2.TypeTool, f.ID), stix2.OptionDescription(f.Title+" ("+f.Rule+", finding "+f.ID+")"))...)
			if err != nil {
				return nil, err
			}
			tool.ID = id(r, stix2.TypeTool, f.ID)
			tool.Types = []string{kind}
			objs = append(objs, tool)
			obj = tool.ID
		} else if mt := malwareTypes(f.Rule, f.Title); mt != nil {
			mw, err := stix2.NewMalware(false, append(common(stix2.TypeMalware, f.ID), stix2.OptionDescription(f.Title+" ("+f.Rule+", finding "+f.ID+")"))...)
			if err != nil {
				return nil, err
			}
			mw.ID = id(r, stix2.TypeMalware, f.ID)
			mw.Name = name
			mw.Types = mt
			objs = append(objs, mw)
			obj = mw.ID
		}
		if obj != "" {
			findingObj[f.ID] = append(findingObj[f.ID], obj)
			for _, a := range f.Attack {
				if ap, ok := apByID[a]; ok {
					if err := relate(stix2.RelationshipTypeUses, obj, ap); err != nil {
						return nil, err
					}
				}
			}
		}
		// Course of action: the finding's advice, once per text.
		if adv := strings.TrimSpace(f.Action); adv != "" {
			coa, ok := coaSeen[adv]
			if !ok {
				c, err := stix2.NewCourseOfAction(clip(adv, 120), append(common(stix2.TypeCourseOfAction, adv), stix2.OptionDescription(adv))...)
				if err != nil {
					return nil, err
				}
				c.ID = id(r, stix2.TypeCourseOfAction, adv)
				coa = c.ID
				coaSeen[adv] = coa
				objs = append(objs, c)
			}
			for _, a := range f.Attack {
				if ap, ok := apByID[a]; ok {
					if err := relate(stix2.RelationshipTypeMitigates, coa, ap); err != nil {
						return nil, err
					}
				}
			}
			for _, o := range findingObj[f.ID] {
				if err := relate(stix2.RelationshipTypeRemediates, coa, o); err != nil {
					return nil, err
				}
			}
		}
	}
	// Indicators with their observed data.
	for _, in := range r.Indicators {
		pat, ok := Pattern(in)
		if !ok {
			continue
		}
		key := in.Type + ":" + in.Value
		first, last := in.First, in.Last
		if first.IsZero() {
			first = r.Generated
		}
		if last.Before(first) {
			last = first
		}
		from := &stix2.Timestamp{Time: first.UTC().Truncate(time.Millisecond)}
		sco, refs, err := observable(in)
		if err != nil {
			return nil, fmt.Errorf("observable %s: %w", key, err)
		}
		objs = append(objs, sco...)
		od, err := stix2.NewObservedData(from, &stix2.Timestamp{Time: last.UTC().Truncate(time.Millisecond)}, 1, refs, common(stix2.TypeObservedData, key)...)
		if err != nil {
			return nil, fmt.Errorf("observed-data %s: %w", key, err)
		}
		od.ID = id(r, stix2.TypeObservedData, key)
		objs = append(objs, od)
		ind, err := stix2.NewIndicator(pat, stix2.PatternTypeSTIX, from, append(common(stix2.TypeIndicator, key),
			stix2.OptionDescription(in.Context+" (evidence: "+refString(in.Refs)+")"))...)
		if err != nil {
			return nil, fmt.Errorf("indicator %s: %w", key, err)
		}
		ind.ID = id(r, stix2.TypeIndicator, key)
		ind.Name = in.Type + " " + in.Value
		ind.Types = []string{stix2.IndicatorTypeMaliciousActivity}
		ind.PatternVersion = "2.1"
		objs = append(objs, ind)
		if err := relate(stix2.RelationshipTypeBasedOn, ind.ID, od.ID); err != nil {
			return nil, err
		}
		seen := map[stix2.Identifier]bool{}
		for _, a := range in.Attack {
			if ap, ok := apByID[a]; ok && !seen[ap] {
				seen[ap] = true
				if err := relate(stix2.RelationshipTypeIndicates, ind.ID, ap); err != nil {
					return nil, err
				}
			}
		}
		for _, ref := range in.Refs {
			for _, o := range findingObj[ref.Finding] {
				if !seen[o] {
					seen[o] = true
					if err := relate(stix2.RelationshipTypeIndicates, ind.ID, o); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	objs = append(objs, rels...)
	b, err := stix2.NewBundle(objs...)
	if err != nil {
		return nil, err
	}
	b.ID = id(r, stix2.TypeBundle, "bundle")
	return b, nil
}

// observable makes the cyber observables an indicator is about, and the refs observed-data
// lists.
func observable(in report.Indicator) ([]stix2.STIXObject, []stix2.Identifier, error) {
	switch in.Type {
	case "ipv4":
		o, err := stix2.NewIPv4Address(in.Value)
		return one(o, err)
	case "ipv6":
		o, err := stix2.NewIPv6Address(in.Value)
		return one(o, err)
	case "domain":
		o, err := stix2.NewDomainName(in.Value)
		return one(o, err)
	case "url":
		o, err := stix2.NewURL(in.Value)
		return one(o, err)
	case "sha256":
		o, err := stix2.NewFile("", stix2.Hashes{stix2.SHA256: in.Value})
		return one(o, err)
	case "md5":
		o, err := stix2.NewFile("", stix2.Hashes{stix2.MD5: in.Value})
		return one(o, err)
	case "path":
		dir, name := path.Split(in.Value)
		if dir == "" {
			o, err := stix2.NewFile(name, nil)
			return one(o, err)
		}
		d, err := stix2.NewDirectory(strings.TrimSuffix(dir, "/") + "")
		if err != nil {
			return nil, nil, err
		}
		f, err := stix2.NewFile(name, nil, stix2.OptionParentDirectory(d.ID))
		if err != nil {
			return nil, nil, err
		}
		return []stix2.STIXObject{d, f}, []stix2.Identifier{f.ID, d.ID}, nil
	}
	return nil, nil, fmt.Errorf("no observable for %s", in.Type)
}

func one(o stix2.STIXObject, err error) ([]stix2.STIXObject, []stix2.Identifier, error) {
	if err != nil {
		return nil, nil, err
	}
	return []stix2.STIXObject{o}, []stix2.Identifier{o.GetID()}, nil
}

func refString(rs []report.Ref) string {
	var out []string
	for _, r := range rs {
		if s := r.String(); s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// WriteSTIX writes the bundle as indented JSON.
func WriteSTIX(w io.Writer, r *report.Report) error {
	b, err := STIX(r)
	if err != nil {
		return fmt.Errorf("STIX bundle: %w", err)
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("STIX bundle: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
