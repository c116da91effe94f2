package webshell

import (
	"sort"
	"strings"
)

// The engine reads a token stream the way a taint analysis does, for every language alike:
//
//   - brackets are matched, function definitions found and their bodies made scopes;
//   - assignments (x = ..., x .= ..., foreach ... as, list(...) = ...) are collected;
//   - values flow from request input (the language's sources) through assignments, function
//     parameters and return values until nothing changes (flow-insensitive, bounded rounds);
//   - every call of a sink (code or command execution, callbacks, includes, class loading, file
//     writes, SQL, sockets, ...) is checked for input in the arguments that matter;
//   - constant strings are folded (concatenation, chr(), decoders), so a function named by a
//     computed string and code hidden in layered encodings are seen (and decoded code is read
//     again as code).

// val is what the engine knows about a value.
type val struct {
	in   bool   // it carries request input
	pure bool   // it is request input as it came (maybe trimmed or decoded), nothing put around it
	dec  bool   // it came out of a decoder (base64, gzinflate, str_rot13, ...)
	up   bool   // it is an uploaded file (its temporary file or client name)
	src  string // where the input came from (for the evidence)
	// hops counts the assignments, parameters and returns the input went through (dhops, the
	// decoded data): past maxHops the trail is dropped, so that a request value passed through
	// a big application's layers does not count as reaching a sink in another corner of it.
	hops, dhops uint8
	obj         bool // an object made with new (never a function's name)
	// sock: it is a network connection the code opened; net: it was read from one (a
	// remote controller's commands), counted in nhops like hops
	sock, net bool
	nhops     uint8
}

// maxHops bounds how many assignments, parameter passes and returns input is followed through.
const maxHops = 5

func (v *val) merge(o val) bool {
	changed := false
	if o.in {
		if !v.in {
			v.in, v.hops, changed = true, o.hops, true
			if v.src == "" {
				v.src = o.src
			}
		} else if o.hops < v.hops {
			v.hops, changed = o.hops, true
		}
	}
	if o.pure && !v.pure {
		v.pure, changed = true, true
	}
	if o.dec {
		if !v.dec {
			v.dec, v.dhops, changed = true, o.dhops, true
		} else if o.dhops < v.dhops {
			v.dhops, changed = o.dhops, true
		}
	}
	if o.up && !v.up {
		v.up, changed = true, true
	}
	if o.obj && !v.obj {
		v.obj, changed = true, true
	}
	if o.sock && !v.sock {
		v.sock, changed = true, true
	}
	if o.net {
		if !v.net {
			v.net, v.nhops, changed = true, o.nhops, true
		} else if o.nhops < v.nhops {
			v.nhops, changed = o.nhops, true
		}
	}
	return changed
}

// step is v passed on once more (through an assignment, a parameter or a return).
func step(v val) val {
	v.hops++
	v.dhops++
	if v.hops > maxHops {
		v.in, v.pure, v.up, v.src = false, false, false, ""
	}
	if v.dhops > maxHops {
		v.dec = false
	}
	v.nhops++
	if v.nhops > maxHops {
		v.net, v.sock = false, false
	}
	return v
}

// vkey names a variable in a scope (0 is the top level).
type vkey struct {
	scope int32
	name  string
}

type vinfo struct {
	v val
	// constants: the value after the last assignment read in order, and every constant the
	// variable was given that names a dangerous function
	konst    string
	hasConst bool
	names    []string
	built    bool // a constant given was assembled (concatenation, decoding, chr())
	assigned bool
	// alts are the constants a loop variable takes (foreach over a constant array)
	alts []string
	// params: a hash the script fills with the request's parameters, each under the name
	// the request gave it ($FORM{$name} = $value in a CGI script's own parser): reading it
	// is reading the request
	params bool
}

type assign struct {
	lhs    []vkey
	lo, hi int // the right-hand side's tokens
	op     string
	elem   bool // an element or field of the variable is assigned
	each   bool // foreach/for-in: the variables take the elements of the right-hand side
	// outParam: read(STDIN, $buf), in.read(buf): the variable is filled by the call
	outParam bool
	// dynKey: an element named by a variable is assigned ($form{$name} = $value)
	dynKey bool
}

// fdef is a function or method defined in the unit.
type fdef struct {
	name   string // lower case
	params []string
	rest   string // a parameter that takes every argument past the named ones (Perl's @_)
	scope  int32
	lo, hi int // body tokens
	ret    val
}

// callKind tells how a function is called.
type callKind uint8

const (
	cPlain   callKind = iota // name(args)
	cMethod                  // recv.name(args), recv->name(args), Recv::name(args)
	cVar                     // $f(args): a function named by a variable
	cNew                     // new Name(args)
	cKeyword                 // include x, eval x, system x (no parentheses)
)

// call is one call site.
type call struct {
	name   string // lower case
	kind   callKind
	at     int // the name's token (the variable's for cVar)
	open   int // '(' token, or the first argument token for cKeyword
	close  int // ')' token, or the end of the arguments
	args   [][2]int
	recv   string // the receiver's last name, lower case (cMethod)
	recvLo int    // first token of the receiver chain (cMethod)
	// callee is the expression that gives the function's name (cVar): a variable, or
	// $a['f'], $obj->$m, (...)
	callee [2]int
	method bool // $obj->$name(...): a method of the object named by a variable (cVar)
}

// unit is one piece of code under analysis: a file, or code decoded out of it.
type unit struct {
	p      *profile
	src    []byte
	t      []tok
	match  []int32
	scope  []int32
	funcs  []*fdef
	byName map[string][]*fdef
	vars   map[vkey]*vinfo
	asg    []assign
	calls  []call
	// dynAssign are $$k = ... assignments: variables named by a value (the request's keys
	// when k is input: the request fills variables)
	dynAssign  [][3]int // the key variable's token, the right-hand side
	fileFields map[string]bool
	reqNames   map[string]bool // variables declared as a request (Java); ReadParse seen (Perl)
	stdinBody  bool            // the request body is read from standard input (Perl)
	an         *analysis
	depth      int
	// globals are the variables a function declared global (PHP), by scope
	globals map[vkey]bool
	// globalsInput: the request fills variables the code never assigns (register_globals,
	// extract($_REQUEST))
	globalsInput bool
	formFields   map[string]bool
	evalBudget   int
	// topics are the ranges of tokens where Perl's $_ has a name of its own (a loop's)
	topics []topicRange
	// foldUserDepth: calls of the page's own functions being folded (see foldUser)
	foldUserDepth int
	// el are the code offsets of a JSP page's Expression Language expressions
	el [][2]int
	// spread are the arguments of calls that make a variable of each key of an array
	// (extract($a)): the request's when the array is
	spread [][2]int
	// controls are an ASP.NET page's form controls by id (true: an upload control)
	controls map[string]bool
}

type topicRange struct {
	lo, hi int
	n      string
}

func newUnit(p *profile, src []byte, toks []tok, an *analysis, depth int) *unit {
	u := &unit{p: p, src: src, t: toks, an: an, depth: depth, vars: map[vkey]*vinfo{}, byName: map[string][]*fdef{}, globals: map[vkey]bool{}}
	u.matchBrackets()
	u.scope = make([]int32, len(toks))
	if p.funcDefs != nil {
		p.funcDefs(u)
		sort.Slice(u.funcs, func(i, j int) bool { return u.funcs[i].lo < u.funcs[j].lo })
		for i, f := range u.funcs {
			f.scope = int32(i + 1)
			for k := f.lo; k < f.hi && k < len(u.scope); k++ {
				u.scope[k] = f.scope
			}
			u.byName[f.name] = append(u.byName[f.name], f)
		}
		// a parameter list belongs to its function's scope too
	}
	return u
}

// matchBrackets pairs ( [ { with their closers (PHP's "${" opens a brace); a closer pops
// openers of other kinds left unclosed (broken or partial code), and a stray closer is left
// unmatched.
func (u *unit) matchBrackets() {
	u.match = make([]int32, len(u.t))
	var stack []int
	for i := range u.t {
		u.match[i] = -1
		t := &u.t[i]
		if t.k != tkOp {
			continue
		}
		switch t.s {
		case "(", "[", "{", "${":
			stack = append(stack, i)
		case ")", "]", "}":
			want := "("
			if t.s == "]" {
				want = "["
			} else if t.s == "}" {
				want = "{"
			}
			for d := len(stack) - 1; d >= 0 && d >= len(stack)-4; d-- {
				o := u.t[stack[d]].s
				if o == want || o == "${" && want == "{" {
					u.match[stack[d]], u.match[i] = int32(i), int32(stack[d])
					stack = stack[:d]
					break
				}
			}
		}
	}
}

// closeOf returns the index of the bracket closing the one at i (-1 when none).
func (u *unit) closeOf(i int) int {
	if i < 0 || i >= len(u.match) {
		return -1
	}
	return int(u.match[i])
}

func (u *unit) isOp(i int, s string) bool {
	return i >= 0 && i < len(u.t) && u.t[i].k == tkOp && u.t[i].s == s
}

func (u *unit) isIdent(i int, lc string) bool {
	return i >= 0 && i < len(u.t) && u.t[i].k == tkIdent && u.t[i].lc == lc
}

// stmtEnd returns the index just past the expression that starts at i: the next statement
// end at its own bracket depth (';', a line end in line languages, a closing bracket of an
// enclosing pair, ',' where it separates declarations, or a word that starts a modifier).
func (u *unit) stmtEnd(i int) int {
	for k := i; k < len(u.t); k++ {
		t := &u.t[k]
		switch t.k {
		case tkOp:
			switch t.s {
			case ";":
				return k
			case "(", "[", "{", "${":
				if c := u.closeOf(k); c > k {
					k = c
					continue
				}
				if t.s == "{" && u.p.braceEnds {
					return k
				}
			case ")", "]", "}":
				return k
			case ",":
				if u.p.commaEnds {
					return k
				}
			}
		case tkNL:
			if u.p.lineStmt {
				return k
			}
		case tkHTML:
			return k
		case tkIdent:
			if u.p.stmtWords[t.lc] && k > i {
				return k
			}
		}
	}
	return len(u.t)
}

// splitArgs splits the tokens lo..hi (exclusive) at top-level commas.
func (u *unit) splitArgs(lo, hi int) [][2]int {
	var out [][2]int
	st := lo
	for k := lo; k < hi && k < len(u.t); k++ {
		t := &u.t[k]
		if t.k == tkOp {
			switch t.s {
			case "(", "[", "{", "${":
				if c := u.closeOf(k); c > k && c < hi {
					k = c
				}
				continue
			case ",":
				out = append(out, [2]int{st, k})
				st = k + 1
				if len(out) > 64 {
					return out
				}
			}
		}
	}
	if st < hi || len(out) > 0 {
		out = append(out, [2]int{st, hi})
	}
	return out
}

// varKey is the key of a variable named name used at token i.
func (u *unit) varKey(i int, name string) vkey {
	if strings.HasPrefix(name, "\x01") {
		return vkey{0, name[1:]} // a global named explicitly ($GLOBALS['x'])
	}
	sc := int32(0)
	if i >= 0 && i < len(u.scope) {
		sc = u.scope[i]
	}
	if sc != 0 && (u.p.isGlobal != nil && u.p.isGlobal(name) || u.globals[vkey{sc, name}] || strings.HasPrefix(name, "this->")) {
		sc = 0
	}
	return vkey{sc, name}
}

// lookup returns what is known of a variable used at token i (nil when nothing).
func (u *unit) lookup(i int, name string) *vinfo {
	k := u.varKey(i, name)
	if v := u.vars[k]; v != nil {
		return v
	}
	if k.scope != 0 && u.p.globalFallback {
		return u.vars[vkey{0, name}]
	}
	return nil
}

func (u *unit) info(k vkey) *vinfo {
	v := u.vars[k]
	if v == nil {
		v = &vinfo{}
		u.vars[k] = v
	}
	return v
}

// run analyses the unit: assignments, calls, constants, the taint fixpoint, then the sinks.
func (u *unit) run() {
	u.evalBudget = 4_000_000
	u.p.collect(u)
	u.constants()
	u.constParams()
	if u.p.prepare != nil {
		u.p.prepare(u)
	}
	u.fixpoint()
	u.sinks()
	if u.p.features != nil {
		u.p.features(u)
	}
}

// fixpoint propagates input through assignments, parameters and returns until nothing
// changes (at most a few rounds: flow-insensitive, so each round only widens).
func (u *unit) fixpoint() {
	for round := 0; round < 8; round++ {
		changed := false
		for _, a := range u.asg {
			v := u.eval(a.lo, a.hi)
			if a.op != "=" && a.op != "" || a.elem {
				// x .= input, x[k] = input: x holds input, it is not the input as it came
				v.pure = false
			}
			if !a.each && !a.outParam {
				// a loop over a value and a read into a buffer pass it on as it is
				v = step(v)
			}
			for _, k := range a.lhs {
				vi := u.info(k)
				vi.assigned = true
				if vi.v.merge(v) {
					changed = true
				}
				if a.dynKey && v.in && u.p.paramHashes && !vi.params {
					vi.params, changed = true, true
				}
			}
		}
		// parameters take what the calls pass; returns give what the bodies return
		for ci := range u.calls {
			c := &u.calls[ci]
			fs := u.byName[c.name]
			if len(fs) == 0 || c.kind == cVar || c.kind == cNew && u.p.name != "java" && u.p.name != "c" {
				continue
			}
			for _, f := range fs {
				for ai, a := range c.args {
					name := f.rest
					if ai < len(f.params) {
						name = f.params[ai]
					}
					if name == "" {
						break
					}
					v := u.eval(a[0], a[1])
					if !v.in && !v.dec {
						continue
					}
					vi := u.info(vkey{f.scope, name})
					vi.assigned = true
					if vi.v.merge(step(v)) {
						changed = true
					}
				}
			}
		}
		for _, f := range u.funcs {
			if u.p.returns == nil {
				continue
			}
			for _, r := range u.p.returns(u, f) {
				if f.ret.merge(step(u.eval(r[0], r[1]))) {
					changed = true
				}
			}
		}
		for _, r := range u.spread {
			if v := u.eval(r[0], r[1]); !u.globalsInput && v.in && v.pure {
				u.globalsInput, changed = true, true
			}
		}
		for _, d := range u.dynAssign {
			k := d[0]
			if u.globalsInput {
				break
			}
			if u.lookupVal(k, u.t[k].lc).in {
				u.globalsInput, changed = true, true
				continue
			}
			rhs := u.eval(d[1], d[2])
			if !rhs.in {
				continue
			}
			// $$name = $_POST[$name]: the variables the names stand for are input
			vi := u.lookup(k, u.t[k].lc)
			if vi == nil || len(vi.alts) == 0 {
				u.globalsInput, changed = true, true
				continue
			}
			for _, a := range vi.alts {
				ai := u.info(u.varKey(k, asciiLower(a)))
				ai.assigned = true
				if ai.v.merge(step(rhs)) {
					changed = true
				}
			}
		}
		if !changed || u.evalBudget <= 0 {
			break
		}
	}
}

// constants folds the constant strings assigned to variables, in the order of the text.
func (u *unit) constants() {
	for _, a := range u.asg {
		if a.each || len(a.lhs) != 1 {
			continue
		}
		k := a.lhs[0]
		vi := u.info(k)
		if a.elem {
			continue
		}
		if a.op == "=" {
			u.keyedConstants(k, a.lo, a.hi)
		}
		s, f, ok := u.fold(a.lo, a.hi)
		if !ok {
			if a.op == "=" {
				vi.hasConst = false
			}
			continue
		}
		switch a.op {
		case "=", "":
			vi.konst, vi.hasConst = s, true
		default:
			if !vi.hasConst {
				continue
			}
			vi.konst += s
		}
		if f.built {
			vi.built = true
		}
		if len(vi.konst) <= 64 {
			if u.p.dangerName(vi.konst) {
				vi.names = append(vi.names, lowerTrim(vi.konst))
			}
			if (u.p.dangerName(vi.konst) || u.p.watch[lowerTrim(vi.konst)]) && (vi.built || f.built || f.escaped) {
				u.an.add("obf.built-name", wBuiltName, u.evidence(a.lo, a.hi))
			}
		}
		if len(vi.konst) > maxConst {
			vi.hasConst = false
			vi.konst = ""
		}
	}
}

// keyedConstants gives the elements of a constant array with constant keys (array('c' =>
// 'system')) to the fields they stand for ($a['c'], $GLOBALS['c']).
func (u *unit) keyedConstants(k vkey, lo, hi int) {
	if u.p.fieldKey == nil {
		return
	}
	open := -1
	switch {
	case u.isIdent(lo, "array") && u.isOp(lo+1, "("):
		open = lo + 1
	case u.isOp(lo, "["):
		open = lo
	}
	if open < 0 || u.closeOf(open) != hi-1 {
		return
	}
	for _, e := range u.splitArgs(open+1, hi-1) {
		arrow := -1
		for j := e[0]; j < e[1]; j++ {
			if u.isOp(j, "=>") {
				arrow = j
				break
			}
		}
		if arrow != e[0]+1 || u.t[e[0]].k != tkStr && u.t[e[0]].k != tkNum {
			continue
		}
		v, fi, ok := u.fold(arrow+1, e[1])
		if !ok || len(v) > maxConst {
			continue
		}
		name := k.name + "['" + u.t[e[0]].s + "']"
		key := vkey{k.scope, name}
		if k.name == "globals" {
			key = vkey{0, asciiLower(u.t[e[0]].s)}
		}
		fv := u.info(key)
		fv.konst, fv.hasConst = v, true
		if fi.built || fi.layers > 0 {
			fv.built = true
		}
		if u.p.dangerName(v) {
			fv.names = append(fv.names, lowerTrim(v))
		}
	}
}

// constParams gives a function's parameters the dangerous names its calls pass (sqlsec(assert)
// then $a($_POST[x]) inside it), and loop variables the constants of a constant array.
func (u *unit) constParams() {
	for ci := range u.calls {
		c := &u.calls[ci]
		fs := u.byName[c.name]
		if len(fs) == 0 || c.kind == cVar {
			continue
		}
		for ai, a := range c.args {
			s, fi, ok := u.fold(a[0], a[1])
			if !ok || !u.p.dangerName(s) {
				continue
			}
			for _, f := range fs {
				if ai < len(f.params) {
					vi := u.info(vkey{f.scope, f.params[ai]})
					vi.names = append(vi.names, lowerTrim(s))
					if fi.built || fi.escaped || !u.isPlainLiteral(a[0], a[1]) {
						vi.built = true
					}
				}
			}
		}
	}
	for _, a := range u.asg {
		if !a.each || len(a.lhs) == 0 {
			continue
		}
		if args := u.splitArgs(a.lo, a.hi); len(args) > 1 && len(args) <= 32 {
			// foreach ('a', 'b'): a list of constants
			var el []string
			for _, x := range args {
				v, _, ok := u.fold(x[0], x[1])
				if !ok {
					el = nil
					break
				}
				el = append(el, v)
			}
			if el != nil {
				vi := u.info(a.lhs[len(a.lhs)-1])
				vi.alts = append(vi.alts, el...)
				continue
			}
		}
		s, _, ok := u.fold(a.lo, a.hi)
		if !ok {
			continue
		}
		if el, ok := arrElems(s); ok && len(el) <= 32 {
			vi := u.info(a.lhs[len(a.lhs)-1])
			vi.alts = append(vi.alts, el...)
		}
	}
}

// maxConst bounds a folded constant kept in a variable.
const maxConst = 1 << 20

// eval returns what the expression of tokens lo..hi carries.
func (u *unit) eval(lo, hi int) val {
	u.evalBudget -= hi - lo + 1
	if lo >= hi || u.evalBudget < 0 {
		return val{}
	}
	// outer parentheses
	for u.isOp(lo, "(") && u.closeOf(lo) == hi-1 {
		lo, hi = lo+1, hi-1
	}
	if lo >= hi {
		return val{}
	}
	// a conditional: the condition's value is not the result's
	if q, c := u.ternary(lo, hi); q >= 0 {
		v := u.eval(q+1, c)
		e := u.eval(c+1, hi)
		pure := v.pure || e.pure
		v.merge(e)
		v.pure = pure
		return v
	}
	// top-level operators: a comparison gives a truth value; others join their terms
	var terms [][2]int
	st := lo
	for k := lo; k < hi; k++ {
		t := &u.t[k]
		switch t.k {
		case tkOp:
			switch t.s {
			case "(", "[", "{", "${":
				if c := u.closeOf(k); c > k && c < hi {
					k = c
				}
				continue
			}
			if u.p.boolOps[t.s] {
				return val{}
			}
			if u.p.joinOps[t.s] || u.p.valueOrOps[t.s] {
				if k > st {
					terms = append(terms, [2]int{st, k})
				}
				st = k + 1
			}
		case tkIdent:
			if u.p.boolWords[t.lc] {
				return val{}
			}
			if u.p.valueOrWords[t.lc] {
				if k > st {
					terms = append(terms, [2]int{st, k})
				}
				st = k + 1
			}
		}
	}
	if st < hi {
		terms = append(terms, [2]int{st, hi})
	}
	if len(terms) > 1 && u.p.concatOps != nil {
		// x + "": a conversion to text, the value as it came
		var keep [][2]int
		for _, tm := range terms {
			if !(tm[1] == tm[0]+1 && u.t[tm[0]].k == tkStr && u.t[tm[0]].s == "" && u.t[tm[0]].fl&fInterp == 0) {
				keep = append(keep, tm)
			}
		}
		if len(keep) == 1 && u.onlyConcat(lo, hi) {
			terms = keep
		}
	}
	if len(terms) == 1 {
		return u.term(terms[0][0], terms[0][1])
	}
	var v val
	for _, tm := range terms {
		v.merge(u.term(tm[0], tm[1]))
	}
	// "x || default" keeps x as it came
	v.pure = false
	if len(terms) > 1 && u.orOnly(lo, hi) {
		for _, tm := range terms {
			if tv := u.term(tm[0], tm[1]); tv.pure {
				v.pure = true
			}
		}
	}
	return v
}

// onlyConcat reports whether the top-level operators of lo..hi are all concatenation.
func (u *unit) onlyConcat(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		t := &u.t[k]
		if t.k == tkOp {
			if c := u.closeOf(k); c > k && c < hi && (t.s == "(" || t.s == "[" || t.s == "{") {
				k = c
				continue
			}
			if u.p.joinOps[t.s] && !u.p.concatOps[t.s] {
				return false
			}
		}
	}
	return true
}

// orOnly reports whether the top-level operators of lo..hi are all value-or operators (??, ||
// in Perl/Ruby/JS, //).
func (u *unit) orOnly(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		t := &u.t[k]
		if t.k == tkOp {
			if c := u.closeOf(k); c > k && c < hi && (t.s == "(" || t.s == "[" || t.s == "{") {
				k = c
				continue
			}
			if u.p.joinOps[t.s] {
				return false
			}
		}
	}
	return true
}

// ternary finds a top-level "c ? a : b" in lo..hi: the '?' and ':' tokens, or -1.
func (u *unit) ternary(lo, hi int) (int, int) {
	q := -1
	depth := 0
	for k := lo; k < hi; k++ {
		t := &u.t[k]
		if t.k == tkOp {
			switch t.s {
			case "(", "[", "{", "${":
				if c := u.closeOf(k); c > k && c < hi {
					k = c
				}
				continue
			case "?":
				if q < 0 {
					q = k
				} else {
					depth++
				}
			case ":":
				if q >= 0 {
					if depth == 0 {
						return q, k
					}
					depth--
				}
			}
		}
	}
	return -1, -1
}

// term returns what one operand carries: a source, a variable, a call, a literal, with what
// follows it (indexes, properties, method calls).
func (u *unit) term(lo, hi int) val {
	if lo >= hi {
		return val{}
	}
	if u.p.castClean != nil && u.p.castClean(u, lo, hi) {
		return val{}
	}
	if u.isOp(lo, "(") && u.closeOf(lo) == lo+2 && (u.isIdent(lo+1, "array") || u.isIdent(lo+1, "object")) && lo+3 < hi {
		// a cast to an array or object: no longer text that could be code or a command
		v := u.term(lo+3, hi)
		v.pure = false
		return v
	}
	t := &u.t[lo]
	if t.k == tkOp && (t.s == "!" || t.s == "~") || t.k == tkIdent && u.p.boolWords[t.lc] {
		return val{}
	}
	if t.k == tkOp && (t.s == "@" || t.s == "&" || t.s == "-" || t.s == "+" || t.s == "\\" || t.s == "*") && lo+1 < hi {
		return u.term(lo+1, hi)
	}
	var cur val
	have := false // cur holds the chain's value so far
	for k := lo; k < hi; k++ {
		t := &u.t[k]
		if end, sv, ok := u.source(k); ok && end > k {
			cur, have = sv, true
			k = end - 1
			continue
		}
		switch t.k {
		case tkVar:
			if u.p.varCalls {
				// $f(...) or $a['f'](...) where the name is a constant: that function's value
				fk, next := t.lc, k+1
				if u.p.fieldKey != nil {
					if n, nx, ok := u.p.fieldKey(u, k); ok {
						fk, next = n, nx
					}
				}
				if u.isOp(next, "(") && u.closeOf(next) < hi {
					if vi := u.lookup(k, fk); vi != nil && vi.hasConst {
						if name := lowerTrim(vi.konst); u.p.decoders[name] || u.p.wrappers[name] || u.p.sanitizers[name] {
							c := u.closeOf(next)
							if c > next {
								cur, have = u.callVal(name, k, next+1, c), true
								k = c
								continue
							}
						}
					}
				}
			}
			if u.isOp(k+1, "(") && u.p.varCalls {
				c := u.closeOf(k + 1)
				if c > k && c < hi {
					// $f(...): what a variable function returns; input if its name or
					// arguments are
					v := u.lookupVal(k, t.lc)
					v.merge(u.argsVal(k+2, c))
					v.pure = false
					cur, have = v, true
					k = c
					continue
				}
			}
			if t.sig == '&' {
				// Perl's &name(...): a call
				c := u.closeOf(k + 1)
				if u.isOp(k+1, "(") && c > k {
					cur, have = u.callVal(t.lc, k, k+2, c), true
					k = c
				}
				continue
			}
			if have && k > lo && (u.isOp(k-1, "->") || u.isOp(k-1, "::")) {
				// $obj->$prop: a dynamic property
				cur.merge(u.lookupVal(k, t.lc))
				cur.pure = false
				continue
			}
			if u.p.fieldKey != nil {
				if name, next, ok := u.p.fieldKey(u, k); ok {
					// $obj->prop, $a['key'], $GLOBALS['x']: the field's own value; a field
					// of an object or an element of an array that is input as a whole is
					// input too
					v := u.lookupVal(k, name)
					if t.lc != "this" && t.lc != "globals" {
						o := u.lookupVal(k, t.lc)
						if o.in && (o.pure || strings.Contains(name, "['")) || o.dec && !o.in {
							v.merge(o)
						}
					}
					cur, have = v, true
					k = next - 1
					continue
				}
			}
			cur, have = u.lookupVal(k, t.lc), true
		case tkIdent:
			if t.lc == "new" && k+1 < hi && !(k > lo && (u.isOp(k-1, "->") || u.isOp(k-1, "."))) {
				cls := u.qualifiedLast(k+1, hi)
				o := k + 1
				for o < hi && (u.t[o].k == tkIdent || u.isOp(o, ".") || u.isOp(o, "\\")) {
					o++
				}
				c := u.closeOf(o)
				var v val
				if u.isOp(o, "(") && c > o && c < hi {
					v = u.argsVal(o+1, c)
				} else {
					v = u.argsVal(k+1, hi)
					c = hi
				}
				// new File(x), new URL(x), new String(b): x as it came, in another type
				v.pure = v.pure && (u.p.wrappers[cls] || cls == "file" || cls == "url" || cls == "uri")
				v.obj = true
				if u.p.netMakers[u.tk(k+1).lc] || u.p.netMakers[cls] {
					v.sock = true
				}
				if c < hi && u.isOp(c+1, "{") {
					// an anonymous class's body: analysed as its own functions
					if b := u.closeOf(c + 1); b > c && b < hi {
						c = b
					}
				}
				if c+1 < hi && u.memberOp(c+1) {
					// new X(...).method(...): the chain goes on from the object
					cur, have = v, true
					k = c
					continue
				}
				return v
			}
			if u.p.keywordNoValue[t.lc] {
				continue
			}
			if u.p.funcWord != nil && u.p.funcWord(u, k) {
				// a closure or lambda: its body is analysed on its own; it carries nothing
				return val{}
			}
			afterDot := k > lo && (u.isOp(k-1, ".") && !u.p.dotConcat || u.isOp(k-1, "->") || u.isOp(k-1, "?->") || u.isOp(k-1, "::") || u.isOp(k-1, "?.") || u.isOp(k-1, "&."))
			if u.isOp(k+1, "(") {
				c := u.closeOf(k + 1)
				if c < 0 {
					c = hi
				}
				if afterDot && have {
					cur = u.methodVal(cur, t.lc, k, k+2, c)
				} else if afterDot {
					cur, have = u.methodVal(val{}, t.lc, k, k+2, c), true
				} else {
					cur, have = u.callVal(t.lc, k, k+2, c), true
				}
				k = c
				continue
			}
			if u.p.parenless != nil && !afterDot {
				if end, v, ok := u.p.parenless(u, k, hi); ok {
					cur, have = v, true
					k = end - 1
					continue
				}
			}
			if afterDot {
				if have {
					// a property: of an input value, still input; a field of an object
					// named like a variable we know, that variable
					if !u.p.varSigil {
						if vi := u.lookup(k, t.lc); vi != nil && !cur.in {
							cur.merge(vi.v)
						}
					}
				} else if !u.p.varSigil {
					cur, have = u.lookupVal(k, t.lc), true
				}
				continue
			}
			if !u.p.varSigil {
				cur, have = u.lookupVal(k, t.lc), true
			}
		case tkStr, tkCmd:
			if t.k == tkCmd {
				cur, have = val{}, true
				continue
			}
			v := val{}
			vars := 0
			for _, p := range t.parts {
				if p.v != "" {
					vars++
					v.merge(u.lookupVal(k, asciiLower(p.v)))
					if sv, ok := u.interpSource(p.v); ok {
						v.merge(sv)
					}
				}
			}
			v.pure = v.in && vars == 1 && len(t.parts) == 1
			if have && cur.in {
				cur.merge(v)
			} else {
				cur, have = v, true
			}
		case tkOp:
			switch t.s {
			case "[", "{":
				// an index or a key: the element of an input array is input
				c := u.closeOf(k)
				if c > k && t.s == "{" && have && !u.p.varSigil {
					// an array's initializer (new String[]{...}): what its elements carry
					a := u.argsVal(k+1, c)
					a.pure = false
					cur.merge(a)
					cur.pure = false
					k = c
					continue
				}
				if c > k {
					if !have {
						// an array literal: what its elements carry
						cur, have = u.argsVal(k+1, c), true
						cur.pure = false
					}
					k = c
				}
			case "(":
				c := u.closeOf(k)
				if c > k {
					if have && u.p.callParens {
						// a call of what the chain gave (Python, JS): its arguments join
						a := u.argsVal(k+1, c)
						a.pure = false
						if !cur.in {
							cur.merge(a)
							cur.pure = false
						}
					} else {
						v := u.eval(k+1, c)
						if have {
							cur.merge(v)
						} else {
							cur, have = v, true
						}
					}
					k = c
				}
			}
		case tkRegex:
			// a pattern applied to a value: s/// keeps it, m// tests it
		}
	}
	return cur
}

func (u *unit) lookupVal(i int, name string) val {
	if vi := u.lookup(i, name); vi != nil {
		if vi.params {
			u.an.input = true
			return val{in: true, pure: true, src: "%" + name + " (the request's parameters, parsed by the script)"}
		}
		if u.formFields != nil && (i >= len(u.scope) || u.scope[i] == 0) {
			if f, ok := u.formInput(name); ok {
				v := vi.v
				v.merge(f)
				return v
			}
		}
		return vi.v
	}
	if u.formFields != nil && (i >= len(u.scope) || u.scope[i] == 0) {
		if f, ok := u.formInput(name); ok {
			return f
		}
	}
	if u.globalsInput && u.p.varSigil && !u.assignedAnywhere(name) && name != "this" {
		return val{in: true, pure: true, src: "$" + name + " (filled by the request)"}
	}
	return val{}
}

// formInput is what a variable named like a form field of the page carries when the code reads
// it before it assigns it: with register_globals (what old shells are written for) the request
// fills it.
func (u *unit) formInput(name string) (val, bool) {
	if !u.formFields[name] || !u.p.varSigil || name == "this" || !u.readFirst(name) {
		return val{}, false
	}
	return val{in: true, pure: true, up: u.fileFields[name], src: "$" + name + " (a form field, register_globals)"}, true
}

// readFirst reports whether the first use of the top-level variable name reads it.
func (u *unit) readFirst(name string) bool {
	for i := range u.t {
		t := &u.t[i]
		if t.k != tkVar || t.lc != name || u.scope[i] != 0 {
			continue
		}
		if i > 0 && (u.isOp(i-1, "->") || u.isOp(i-1, "::")) {
			continue
		}
		n := i + 1
		return !(n < len(u.t) && u.t[n].k == tkOp && u.p.assignOps[u.t[n].s])
	}
	return false
}

func (u *unit) assignedAnywhere(name string) bool {
	for k, vi := range u.vars {
		if k.name == name && vi.assigned {
			return true
		}
	}
	return false
}

// argsVal joins what the arguments lo..hi carry.
func (u *unit) argsVal(lo, hi int) val {
	var v val
	n := 0
	for _, a := range u.splitArgs(lo, hi) {
		v.merge(u.eval(a[0], a[1]))
		n++
	}
	if n != 1 {
		v.pure = false
	}
	return v
}

// callVal is what a call of a plain function returns.
func (u *unit) callVal(name string, at, lo, hi int) val {
	v := u.callVal0(name, at, lo, hi)
	v.obj = false
	return v
}

func (u *unit) callVal0(name string, at, lo, hi int) val {
	if u.p.callHook != nil {
		if v, ok := u.p.callHook(u, name, at, lo, hi); ok {
			return v
		}
	}
	if u.p.netMakers[name] && name != "new" && name != "open" {
		// a connection opened: what is read from it comes from the other end
		return val{sock: true, obj: true}
	}
	if u.p.netReaders[name] {
		if a := u.argsVal(lo, hi); a.sock || a.net {
			return val{net: true, nhops: a.nhops}
		}
	}
	switch {
	case u.p.sanitizers[name]:
		return val{}
	case u.p.wrappers[name] || u.p.decoders[name]:
		args := u.splitArgs(lo, hi)
		if len(args) == 0 {
			return val{}
		}
		ai := u.p.wrapArg(name)
		if ai >= len(args) {
			return val{}
		}
		v := u.eval(args[ai][0], args[ai][1])
		if u.p.decoders[name] {
			v.dec = true
		}
		return v
	}
	if fs := u.byName[name]; len(fs) > 0 {
		var v val
		for _, f := range fs {
			v.merge(f.ret)
		}
		return v
	}
	// an unknown function: its result is made from its arguments, not the input as it came
	v := u.argsVal(lo, hi)
	v.pure = false
	return v
}

// methodVal is what recv.name(args) returns (a value, not the object it was called on).
func (u *unit) methodVal(recv val, name string, at, lo, hi int) val {
	v := u.methodVal0(recv, name, at, lo, hi)
	v.obj = false
	return v
}

func (u *unit) methodVal0(recv val, name string, at, lo, hi int) val {
	if u.p.sanitizers[name] {
		return val{}
	}
	if u.p.netMakers[name] && (name != "new" && name != "open" || u.p.netMakers[u.tk(at-2).lc]) {
		// socket.socket(), serverSocket.accept(), TCPSocket.new, IO::Socket::INET->new
		return val{sock: true, obj: true}
	}
	if u.p.netReaders[name] && (recv.sock || recv.net) {
		// sock.recv(), in.readLine(), $sock->getline: what the other end sent
		return val{net: true, nhops: recv.nhops}
	}
	if u.p.decoders[name] {
		v := u.argsVal(lo, hi)
		v.merge(recv)
		v.dec = true
		return v
	}
	if lo >= hi {
		// recv.trim(), recv.getBytes(), recv.readLine(): the receiver's value
		return recv
	}
	if u.p.wrappers[name] {
		if !recv.in && !recv.dec && !recv.net {
			// encoding.GetString(bytes), Encoding.UTF8.GetString(x): the argument's value
			a := u.argsVal(lo, hi)
			a.obj = false
			return a
		}
		return recv
	}
	if fs := u.byName[name]; len(fs) > 0 {
		var v val
		for _, f := range fs {
			v.merge(f.ret)
		}
		return v
	}
	a := u.argsVal(lo, hi)
	a.pure = false
	recv.merge(a)
	recv.pure = recv.pure && !a.in
	return recv
}

// qualifiedLast is the last name of a dotted or :: name starting at token k (java.net.Socket:
// "socket").
func (u *unit) qualifiedLast(k, hi int) string {
	last := ""
	for ; k < hi && k < len(u.t); k++ {
		if u.t[k].k == tkIdent {
			last = u.t[k].lc
			if u.isOp(k+1, ".") || u.isOp(k+1, "::") {
				k++
				continue
			}
		}
		break
	}
	return last
}

// source reports request input starting at token i.
func (u *unit) source(i int) (int, val, bool) {
	if u.p.source == nil {
		return 0, val{}, false
	}
	end, what, up := u.p.source(u, i)
	if end <= i {
		return 0, val{}, false
	}
	u.an.input = true
	return end, val{in: true, pure: true, up: up, src: what}, true
}

// evidence returns the source text of tokens lo..hi, clipped.
func (u *unit) evidence(lo, hi int) string {
	if lo < 0 || lo >= len(u.t) {
		return ""
	}
	hi = min(hi, len(u.t))
	if hi <= lo {
		hi = lo + 1
	}
	a, b := int(u.t[lo].pos), int(u.t[hi-1].end)
	if b-a > maxEvidence {
		b = a + maxEvidence
	}
	if a < 0 || b > len(u.src) || a >= b {
		return ""
	}
	return clip(u.src[a:b])
}

// sinks checks every call of a sink.
func (u *unit) sinks() {
	for ci := range u.calls {
		c := &u.calls[ci]
		spec, ok := u.p.sinkOf(u, c)
		if !ok {
			continue
		}
		u.checkSink(c, spec)
	}
}

func lowerTrim(s string) string {
	b := []byte(s)
	lo, hi := 0, len(b)
	for lo < hi && isSpace(b[lo]) {
		lo++
	}
	for hi > lo && isSpace(b[hi-1]) {
		hi--
	}
	return asciiLower(string(b[lo:hi]))
}

// interpSource reports a variable interpolated in a string that is request input by name.
func (u *unit) interpSource(name string) (val, bool) {
	if u.p.interpSource == nil {
		return val{}, false
	}
	return u.p.interpSource(name)
}

// noTok stands for a token past the end.
var noTok tok

// tk returns token i, or an empty token when i is out of range (an empty argument at the end).
func (u *unit) tk(i int) *tok {
	if i >= 0 && i < len(u.t) {
		return &u.t[i]
	}
	return &noTok
}
