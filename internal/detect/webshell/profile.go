package webshell

// sinkKind is what a sink does with an argument.
type sinkKind uint8

const (
	skNone        sinkKind = iota
	skCode                 // runs the argument as code (eval, assert, ScriptEngine.eval, Execute)
	skExec                 // runs the argument as an operating-system command
	skCallback             // calls the function the argument names
	skInclude              // loads the file the argument names as code
	skClassLoad            // defines or loads a class from the argument (bytes, URLs, names)
	skReflect              // reaches a class or method by the name in the argument
	skWrite                // writes a file: path argument, data argument
	skUpload               // saves an uploaded file: source and destination
	skSQL                  // runs the argument as SQL
	skDBConnect            // connects to a database with the arguments
	skSocket               // opens a network connection to the argument
	skListen               // listens for network connections
	skRead                 // reads (and shows) the file the argument names
	skList                 // lists the folder the argument names
	skDelete               // removes, renames or changes the mode of the file the argument names
	skMail                 // sends mail to the argument
	skFdDup                // joins a socket to the standard streams (dup2, open(STDIN, ">&S"))
	skDeserialize          // rebuilds objects from the argument's bytes (Java serialization)
)

// sinkSpec tells which arguments of a sink matter.
type sinkSpec struct {
	kind sinkKind
	arg  int // the argument that matters (the path for skWrite, the source for skUpload; -1: all)
	arg2 int // the second argument that matters (data for skWrite, destination for skUpload; -1: none)
	recv []string
}

func sink(k sinkKind, arg int) sinkSpec        { return sinkSpec{kind: k, arg: arg, arg2: -1} }
func sink2(k sinkKind, arg, arg2 int) sinkSpec { return sinkSpec{kind: k, arg: arg, arg2: arg2} }
func sinkOn(k sinkKind, arg int, recv ...string) sinkSpec {
	return sinkSpec{kind: k, arg: arg, arg2: -1, recv: recv}
}

// profile is what the engine needs to know of a language.
type profile struct {
	name      string
	varSigil  bool // variables are tkVar tokens (PHP, Perl); otherwise names are variables
	varCalls  bool // $f(...) calls a function named by a variable (PHP)
	dotConcat bool // '.' joins strings (PHP, Perl), it is not a member access
	lineStmt  bool // a line end ends a statement
	commaEnds bool // ',' ends a declaration (int a = 1, b = 2)
	braceEnds bool // '{' ends an expression (Perl's and Ruby's blocks after a call)
	// callParens: '(' after a value calls it (Python, Ruby, JavaScript)
	callParens     bool
	globalFallback bool // a name not found in a function's scope is looked up at the top level
	// paramHashes: a hash filled under names from the request with values from it is the
	// request's parameters (a CGI script's own form parser)
	paramHashes bool

	assignOps      map[string]bool
	joinOps        map[string]bool // operators whose result joins its operands (concatenation, arithmetic)
	valueOrOps     map[string]bool // operators giving one of their operands (??, Perl's ||)
	boolOps        map[string]bool // comparison and logic: the result is a truth value
	boolWords      map[string]bool
	valueOrWords   map[string]bool
	concatOps      map[string]bool // string concatenation, for folding
	stmtWords      map[string]bool // words that end an expression (Perl's "or die", "if" modifiers)
	keywordNoValue map[string]bool
	noAssignStart  map[string]bool // a statement starting with these is no assignment (VB's If x = 1)

	funcs   map[string]sinkSpec
	methods map[string]sinkSpec
	ctors   map[string]sinkSpec
	// callbacks: functions that call a function named by an argument: the index of that
	// argument (the others are the data it gets)
	callbacks map[string]int

	sanitizers map[string]bool // calls whose result carries no input (numbers, truth values, escaped arguments)
	wrappers   map[string]bool // calls that pass an argument through (trim, stripslashes)
	decoders   map[string]bool // calls that decode an argument (base64, gzinflate, rot13)
	wrapArgOf  map[string]int  // the argument wrappers and decoders pass (0 when absent)
	danger     map[string]bool // function names that run code or commands (for names built at run time)
	execDanger map[string]bool // the functions of danger that run code or commands themselves
	watch      map[string]bool // other names whose assembly at run time is hiding (decoders, request arrays)

	foldCall   map[string]foldFn // constant folding of calls
	foldMethod map[string]foldFn // constant folding of methods (receiver first)
	// netMakers are the calls, methods and constructors that open a network connection (what
	// is read from it is the other end's)
	netMakers map[string]bool
	// netReaders read from a connection (its data is the other end's)
	netReaders map[string]bool

	source       func(u *unit, i int) (end int, what string, upload bool)
	interpSource func(name string) (val, bool) // a variable interpolated in a string that is input ($_GET)
	isGlobal     func(name string) bool        // superglobals
	funcDefs     func(u *unit)
	returns      func(u *unit, f *fdef) [][2]int
	funcWord     func(u *unit, k int) bool // an anonymous function starts at token k
	castClean    func(u *unit, lo, hi int) bool
	parenless    func(u *unit, k, hi int) (end int, v val, ok bool)
	// callHook gives the value of a call of a plain function the language treats specially
	// (Perl's split without an expression reads $_)
	callHook     func(u *unit, name string, at, lo, hi int) (val, bool)
	collect      func(u *unit)
	prepare      func(u *unit)
	features     func(u *unit)
	features2    func(u *unit)                                 // a language's own features, after the shared script ones
	sinkHook     func(u *unit, c *call) (sinkSpec, bool, bool) // a language's own sinks (handled, spec, ok)
	nest         func(u *unit, code string)                    // analyse decoded code
	embeddedCode func(s string) bool                           // a string literal that holds a page's code
	lhsVars      func(u *unit, lo, hi int) ([]vkey, bool)
	// fieldKey names the variable a field access at token k stands for ("this->x" for
	// $this->x, "x" for $GLOBALS['x']) and the token after it
	fieldKey func(u *unit, k int) (string, int, bool)
}

func (p *profile) wrapArg(name string) int { return p.wrapArgOf[name] }

// dangerName reports whether s names a function that runs code or commands or calls others.
func (p *profile) dangerName(s string) bool {
	if len(s) > 40 {
		return false
	}
	return p.danger[lowerTrim(s)]
}

// sinkOf returns the sink a call is, if any.
func (p *profile) sinkOf(u *unit, c *call) (sinkSpec, bool) {
	if p.sinkHook != nil {
		if spec, ok, handled := p.sinkHook(u, c); handled {
			return spec, ok
		}
	}
	switch c.kind {
	case cPlain, cKeyword:
		if spec, ok := p.funcs[c.name]; ok {
			return spec, true
		}
		if i, ok := p.callbacks[c.name]; ok {
			return sink(skCallback, i), true
		}
		if p.name == "java" || p.name == "c" {
			// a method called without a receiver: this.method()
			if spec, ok := p.methods[c.name]; ok && spec.recv == nil && spec.arg != recvArg {
				return spec, true
			}
		}
	case cMethod:
		if spec, ok := p.methods[c.name]; ok {
			if spec.recv == nil || u.recvIs(c, spec.recv) {
				return spec, true
			}
		}
	case cNew:
		if spec, ok := p.ctors[c.name]; ok {
			return spec, true
		}
	case cVar:
		if c.method {
			return sinkSpec{}, false
		}
		// a function named by a variable: what it resolves to
		if name, built := u.resolveVarCall(c); name != "" {
			if p.execDanger[name] {
				u.an.add("obf.dynamic-call", wDynamicCall, u.evidence(c.at, c.close+1))
			}
			if built {
				u.an.add("obf.built-name", wBuiltName, u.evidence(c.at, c.close+1))
			}
			rc := *c
			rc.name, rc.kind = name, cPlain
			if p.sinkHook != nil {
				if spec, ok, handled := p.sinkHook(u, &rc); handled {
					return spec, ok
				}
			}
			if spec, ok := p.funcs[name]; ok {
				return spec, true
			}
			if i, ok := p.callbacks[name]; ok {
				return sink(skCallback, i), true
			}
		}
		// the function's name itself may be input: $_GET['f']($_GET['a'])
		return sinkSpec{kind: skCallback, arg: -2, arg2: -1}, true
	}
	return sinkSpec{}, false
}

// recvIs reports whether the receiver chain of a method call holds one of the names.
func (u *unit) recvIs(c *call, names []string) bool {
	for _, n := range names {
		if c.recv == n {
			return true
		}
	}
	for k := c.recvLo; k < c.at && k < len(u.t); k++ {
		if u.t[k].k == tkIdent || u.t[k].k == tkVar {
			for _, n := range names {
				if u.t[k].lc == n {
					return true
				}
			}
		}
	}
	return false
}

// resolveVarCall returns the function name a variable call resolves to (its constant), and
// whether that name was assembled.
func (u *unit) resolveVarCall(c *call) (string, bool) {
	if c.callee[1] > c.callee[0]+1 || c.callee[1] == 0 {
		if c.callee[1] == 0 {
			return "", false
		}
		if s, fi, ok := u.fold(c.callee[0], c.callee[1]); ok && u.p.dangerName(s) {
			return lowerTrim(s), true || fi.built
		}
		return "", false
	}
	t := &u.t[c.at]
	vi := u.lookup(c.at, t.lc)
	if vi == nil {
		return "", false
	}
	for _, n := range vi.names {
		if u.p.dangerName(n) {
			return n, vi.built
		}
	}
	if vi.hasConst && u.p.dangerName(vi.konst) {
		return lowerTrim(vi.konst), vi.built
	}
	return "", false
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
