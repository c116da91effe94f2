package webshell

// collectGeneric finds the assignments and calls of a token stream; languages add their own
// forms (foreach loops, paren-less calls) through their hooks.
func collectGeneric(u *unit) {
	t := u.t
	for i := 0; i < len(t); i++ {
		tk := &t[i]
		switch tk.k {
		case tkOp:
			if u.p.assignOps[tk.s] {
				u.addAssign(i)
			}
		case tkIdent:
			if u.p.keywordNoValue[tk.lc] && !u.isOp(i+1, "(") {
				continue
			}
			if u.isOp(i+1, "(") {
				c := u.closeOf(i + 1)
				if c < 0 {
					continue
				}
				cl := call{name: tk.lc, at: i, open: i + 1, close: c, args: u.splitArgs(i+2, c)}
				switch {
				case u.newChain(i):
					cl.kind = cNew
				case i > 0 && u.memberOp(i-1):
					cl.kind = cMethod
					cl.recv, cl.recvLo = u.receiver(i - 1)
				case i > 0 && u.t[i-1].k == tkIdent && (u.t[i-1].lc == "function" || u.t[i-1].lc == "def" || u.t[i-1].lc == "sub"):
					continue // a definition
				default:
					cl.kind = cPlain
				}
				u.calls = append(u.calls, cl)
				// list.add(x), map.put(k, x), arr.push(x), sb.append(x): the container holds x
				if cl.kind == cMethod && containerAdd[tk.lc] && len(cl.args) > 0 && cl.recvLo == i-2 && (t[i-2].k == tkIdent || t[i-2].k == tkVar) {
					u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(i-2, t[i-2].lc)}, lo: i + 2, hi: c, op: "=", elem: true})
				}
				// in.read(buf), reader.readFully(buf): buf takes what the stream gives
				if cl.kind == cMethod && (tk.lc == "read" || tk.lc == "readfully" || tk.lc == "readbytes") && len(cl.args) > 0 {
					a := cl.args[0]
					if a[1] == a[0]+1 && (u.tk(a[0]).k == tkIdent || u.tk(a[0]).k == tkVar) && cl.recvLo < i-1 {
						u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(a[0], u.tk(a[0]).lc)}, lo: cl.recvLo, hi: i - 1, op: "=", outParam: true})
					}
				}
				continue
			}
		case tkVar:
			if u.p.varCalls && u.isOp(i+1, "(") {
				c := u.closeOf(i + 1)
				if c < 0 {
					continue
				}
				if i > 0 && u.isIdent(i-1, "new") {
					continue // new $class(...): an object, no call
				}
				if i > 0 && (u.isOp(i-1, "->") || u.isOp(i-1, "::")) {
					// $obj->$method(...): one of the object's own methods, named by a variable
					// (an application's dispatch to its handlers), no function of PHP's
					u.calls = append(u.calls, call{name: tk.lc, kind: cVar, at: i, open: i + 1, close: c, args: u.splitArgs(i+2, c), callee: [2]int{i, i + 1}, method: true})
					continue
				}
				u.calls = append(u.calls, call{name: tk.lc, kind: cVar, at: i, open: i + 1, close: c, args: u.splitArgs(i+2, c), callee: [2]int{i, i + 1}})
			}
		}
		// $a['f'](...), $o->$m['x'](...), ($f)(...): a function named by an expression
		if u.p.varCalls && tk.k == tkOp && tk.s == "(" && i > 0 && (u.isOp(i-1, "]") || u.isOp(i-1, "}")) {
			c := u.closeOf(i)
			o := u.closeOf(i - 1)
			if c < 0 || o < 1 {
				continue
			}
			lo := o
			for lo > 0 && (u.t[lo-1].k == tkVar || u.isOp(lo-1, "->") || u.isOp(lo-1, "$")) {
				lo--
			}
			if lo == o && lo > 0 && u.isOp(lo-1, "}") {
				// ${'_GET'}['f'](...): the array named by an expression
				if b := u.closeOf(lo - 1); b >= 0 && b < lo-1 && u.t[b].s == "${" {
					lo = b
				}
			}
			if lo > 0 && u.isIdent(lo-1, "new") {
				continue // new $a['class'](...): an object, no call
			}
			if lo < o && u.t[lo].k == tkVar || lo < o && u.isOp(lo, "$") || lo < o && u.t[lo].s == "${" {
				u.calls = append(u.calls, call{name: u.t[lo].lc, kind: cVar, at: lo, open: i, close: c, args: u.splitArgs(i+1, c), callee: [2]int{lo, i}})
			}
		}
	}
}

// addAssign records the assignment whose operator is token i.
func (u *unit) addAssign(i int) {
	lo := u.lhsStart(i)
	if lo >= i {
		return
	}
	if u.p.noAssignStart != nil && u.t[lo].k == tkIdent && u.p.noAssignStart[u.t[lo].lc] {
		return
	}
	var keys []vkey
	var elem bool
	if u.p.lhsVars != nil {
		keys, elem = u.p.lhsVars(u, lo, i)
	} else {
		keys, elem = u.lhsDefault(lo, i)
	}
	if len(keys) == 0 {
		return
	}
	end := u.stmtEnd(i + 1)
	dyn := false
	if elem {
		// $h{$name} = ..., $h[$i] = ...: an element named by a variable
		for k := lo + 1; k < i; k++ {
			if u.isOp(k, "{") || u.isOp(k, "[") {
				if c := u.closeOf(k); c == k+2 && u.t[k+1].k == tkVar || c == k+3 && u.t[k+2].k == tkVar && u.isOp(k+1, "$") {
					dyn = true
				}
				break
			}
		}
	}
	u.asg = append(u.asg, assign{lhs: keys, lo: i + 1, hi: end, op: u.t[i].s, elem: elem, dynKey: dyn})
}

// lhsStart returns the first token of the left-hand side of the assignment at i.
func (u *unit) lhsStart(i int) int {
	k := i - 1
	for k >= 0 {
		t := &u.t[k]
		switch t.k {
		case tkOp:
			switch t.s {
			case ")", "]", "}":
				o := u.closeOf(k)
				if o < 0 || o >= k {
					return k + 1
				}
				if t.s == "}" && !u.p.varSigil {
					return k + 1 // a block's end
				}
				if t.s == "}" && u.p.name == "php" && !(o > 0 && (u.t[o-1].k == tkVar || u.isOp(o-1, "->") || u.t[o].s == "${")) {
					return k + 1
				}
				if t.s == "}" && u.p.name == "perl" && !(o > 0 && (u.t[o-1].k == tkVar || u.isOp(o-1, "->") || u.isOp(o-1, "$") || u.isOp(o-1, "@") || u.isOp(o-1, "%") || u.isOp(o-1, "}") || u.isOp(o-1, "]"))) {
					return k + 1 // a block's end, not a hash's key
				}
				k = o - 1
				continue
			case "->", "?->", "::", ".", "$", "&", "\\", "?.":
				if t.s == "." && u.p.dotConcat {
					return k + 1
				}
				k--
				continue
			case ",":
				if u.p.name == "python" || u.p.name == "ruby" {
					k--
					continue
				}
				return k + 1
			case "*":
				if u.p.name == "python" {
					k--
					continue
				}
			case "<", ">":
				if u.p.name == "java" || u.p.name == "c" {
					k-- // generic type arguments
					continue
				}
			}
			return k + 1
		case tkNL, tkHTML:
			return k + 1
		case tkVar, tkIdent:
			if t.k == tkIdent && u.p.stmtWords[t.lc] {
				return k + 1
			}
			k--
			continue
		default:
			return k + 1
		}
	}
	return 0
}

// lhsDefault reads the variables of a left-hand side: with sigils, the variables at its top
// level (all of them in a list, the first one otherwise); without, the last name before an
// index or the "=" (the declared or assigned name, "cmd" in "String cmd" and "this.cmd").
func (u *unit) lhsDefault(lo, hi int) ([]vkey, bool) {
	var keys []vkey
	elem := false
	if u.p.varSigil {
		// list(...) and [..] and (...) lists
		if (u.isIdent(lo, "list") && u.isOp(lo+1, "(")) || (u.isOp(lo, "[") || u.isOp(lo, "(")) && u.closeOf(lo) == hi-1 {
			for k := lo; k < hi; k++ {
				if u.t[k].k == tkVar {
					keys = append(keys, u.varKey(k, u.t[k].lc))
				}
			}
			return keys, false
		}
		for k := lo; k < hi; k++ {
			t := &u.t[k]
			switch {
			case t.k == tkVar:
				if len(keys) == 0 {
					if u.p.fieldKey != nil {
						if name, next, ok := u.p.fieldKey(u, k); ok {
							keys = append(keys, u.varKey(k, name))
							elem = next < hi
							k = next - 1
							continue
						}
					}
					keys = append(keys, u.varKey(k, t.lc))
					if k+1 < hi {
						elem = true
					}
				}
			case t.k == tkOp && (t.s == "(" || t.s == "[" || t.s == "{"):
				if c := u.closeOf(k); c > k {
					if len(keys) == 0 && t.s == "(" {
						// my ($a, $b) = ...
						for j := k + 1; j < c; j++ {
							if u.t[j].k == tkVar {
								keys = append(keys, u.varKey(j, u.t[j].lc))
							}
						}
						return keys, false
					}
					k = c
				}
			}
		}
		return keys, elem
	}
	// names: split a tuple (Python, Ruby) at top-level commas
	parts := [][2]int{{lo, hi}}
	if u.p.name == "python" || u.p.name == "ruby" {
		parts = u.splitArgs(lo, hi)
	}
	for _, p := range parts {
		name, at, el := "", -1, false
		for k := p[0]; k < p[1]; k++ {
			t := &u.t[k]
			switch {
			case t.k == tkIdent || t.k == tkVar:
				if t.k == tkIdent && u.p.name == "vb" && t.lc == "as" {
					k = p[1]
					continue
				}
				name, at, el = t.lc, k, false
			case t.k == tkOp && (t.s == "(" || t.s == "["):
				if c := u.closeOf(k); c > k {
					if name != "" {
						el = true
					}
					k = c
				}
			case t.k == tkOp && (t.s == "." || t.s == "->"):
				if name != "" {
					el = false
				}
			}
		}
		if name != "" {
			keys = append(keys, u.varKey(at, name))
			if el {
				elem = true
			}
		}
	}
	return keys, elem
}

// receiver returns the last name of the receiver chain that ends at the member operator at
// token k, and where the chain starts.
func (u *unit) receiver(k int) (string, int) {
	name := ""
	j := k - 1
	lo := k
	for j >= 0 {
		t := &u.t[j]
		switch {
		case t.k == tkIdent || t.k == tkVar:
			if name == "" {
				name = t.lc
			}
			lo = j
			j--
		case t.k == tkOp && (t.s == ")" || t.s == "]"):
			o := u.closeOf(j)
			if o < 0 || o >= j {
				return name, lo
			}
			if name == "" && t.s == ")" && o > 0 && u.t[o-1].k == tkIdent {
				name = u.t[o-1].lc // a call's result: the called name
			}
			lo = o
			j = o - 1
		case t.k == tkOp && (t.s == "." && !u.p.dotConcat || t.s == "->" || t.s == "::" || t.s == "?->" || t.s == "?."):
			lo = j
			j--
		case t.k == tkStr:
			if name == "" {
				name = "\"" // a literal's method
			}
			lo = j
			j--
		default:
			return name, lo
		}
		if j >= 0 && u.t[j].k != tkOp && (u.t[j+1].k == tkIdent || u.t[j+1].k == tkVar) {
			if u.t[j].k == tkIdent && u.t[j].lc == "new" {
				lo = j
			}
			return name, lo
		}
	}
	return name, lo
}

// funcDefsC finds C-family method definitions: a name and a parameter list right after a type
// (a name, '>' or ']'), followed by a body (maybe after throws ...).
func funcDefsC(u *unit) {
	t := u.t
	for i := 1; i+1 < len(t); i++ {
		if t[i].k != tkIdent || !u.isOp(i+1, "(") {
			continue
		}
		prev := &t[i-1]
		if !(prev.k == tkIdent && !cNotType[prev.lc] || prev.k == tkOp && (prev.s == ">" || prev.s == "]")) {
			continue
		}
		if cNotType[t[i].lc] {
			continue
		}
		c := u.closeOf(i + 1)
		if c < 0 {
			continue
		}
		b := c + 1
		if b < len(t) && t[b].k == tkIdent && t[b].lc == "throws" {
			for b < len(t) && !u.isOp(b, "{") && !u.isOp(b, ";") {
				b++
			}
		}
		if !u.isOp(b, "{") {
			continue
		}
		e := u.closeOf(b)
		if e < 0 {
			continue
		}
		var params []string
		for _, a := range u.splitArgs(i+2, c) {
			name := ""
			for k := a[0]; k < a[1]; k++ {
				if t[k].k == tkIdent {
					name = t[k].lc
				}
			}
			if name != "" {
				params = append(params, name)
			}
		}
		u.funcs = append(u.funcs, &fdef{name: t[i].lc, params: params, lo: i + 1, hi: e + 1})
	}
}

var cNotType = set("new", "return", "else", "if", "while", "for", "switch", "catch", "synchronized", "throw", "case", "do", "try", "foreach", "using", "lock", "await", "yield", "in", "is", "as", "typeof", "sizeof", "nameof", "function", "delete", "void")

// returnsAfter returns the expressions after the word "return" inside a function's body that
// belong to it (not to a nested function).
func returnsAfter(u *unit, f *fdef) [][2]int {
	var out [][2]int
	for k := f.lo; k < f.hi && k < len(u.t); k++ {
		if u.scope[k] != f.scope {
			continue
		}
		if u.t[k].k == tkIdent && u.t[k].lc == "return" {
			e := u.stmtEnd(k + 1)
			if e > k+1 {
				out = append(out, [2]int{k + 1, e})
			}
		}
	}
	return out
}

// memberOp reports whether token k is a member access (->, ::, ?->, ?., &., or '.' where it
// is not concatenation).
func (u *unit) memberOp(k int) bool {
	t := &u.t[k]
	if t.k != tkOp {
		return false
	}
	switch t.s {
	case "->", "?->", "::", "?.", "&.":
		return true
	case ".":
		return !u.p.dotConcat
	}
	return false
}

// newChain reports whether the name at token i ends a "new a.b.Name" chain.
func (u *unit) newChain(i int) bool {
	k := i - 1
	for k >= 1 && u.isOp(k, ".") && u.t[k-1].k == tkIdent {
		k -= 2
	}
	return k >= 0 && u.isIdent(k, "new")
}

// containerAdd are the methods that put their arguments into the object they are called on.
var containerAdd = set("add", "addall", "put", "putall", "push", "append", "insert", "addelement", "offer", "unshift",
	"extend", "setproperty", "setattribute", "putvalue", "setvalue")
