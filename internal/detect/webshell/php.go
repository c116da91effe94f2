package webshell

import (
	"bytes"
	"sort"
	"strings"
)

// PHP functions that run an operating-system command.
var phpCmdSinks = map[string]bool{
	"system": true, "exec": true, "shell_exec": true, "passthru": true, "popen": true,
	"proc_open": true, "pcntl_exec": true, "expect_popen": true,
}

// PHP functions that run PHP code given as a string.
var phpCodeSinks = map[string]bool{
	"eval": true, "assert": true, "create_function": true,
}

// PHP functions that call a function named by an argument: the index of that argument.
var phpCallbacks = map[string]int{
	"call_user_func": 0, "call_user_func_array": 0, "array_map": 0, "register_shutdown_function": 0,
	"register_tick_function": 0, "forward_static_call": 0, "forward_static_call_array": 0,
	"ob_start": 0, "array_filter": 1, "array_walk": 1, "array_walk_recursive": 1, "usort": 1,
	"uasort": 1, "uksort": 1, "array_reduce": 1, "iterator_apply": 1, "array_diff_ukey": 2,
	"array_udiff": 2, "array_intersect_ukey": 2, "set_error_handler": 0, "set_exception_handler": 0,
	"preg_replace_callback": 1, "mb_ereg_replace_callback": 1, "header_register_callback": 0,
	"spl_autoload_register": 0,
}

// PHP functions that decode or unpack a string: what obfuscated payloads are wrapped in.
var phpDecoders = map[string]bool{
	"base64_decode": true, "gzinflate": true, "gzuncompress": true, "gzdecode": true,
	"str_rot13": true, "strrev": true, "hex2bin": true, "convert_uudecode": true,
	"rawurldecode": true, "urldecode": true, "htmlspecialchars_decode": true, "pack": true,
	"bzdecompress": true, "lzf_decompress": true, "mcrypt_decrypt": true, "openssl_decrypt": true,
	"gzread": true, "chr": true, "stripslashes": true, "unserialize": true, "xor": true,
}

// Names that, written as a string, mean the code builds a call to a dangerous function.
var phpDangerNames = []string{
	"assert", "eval", "system", "exec", "shell_exec", "passthru", "popen", "proc_open",
	"pcntl_exec", "create_function", "call_user_func", "base64_decode", "gzinflate",
	"gzuncompress", "str_rot13", "preg_replace", "file_put_contents", "move_uploaded_file",
	"_post", "_get", "_request", "_cookie",
}

// Request input as it appears in the compacted, lower-cased view.
var phpSources = []string{
	"$_get", "$_post", "$_request", "$_cookie", "$_files",
	"$_server['http_", `$_server["http_`, "$_server[http_",
	"getallheaders(", "apache_request_headers(", "php://input", "$http_raw_post_data",
	"$http_get_vars", "$http_post_vars", "$http_cookie_vars", "$http_post_files",
	"getenv('http_", `getenv("http_`, `${"_get"}`, `${"_post"}`, `${"_request"}`,
	`${'_get'}`, `${'_post'}`, `${'_request'}`, `${"_cookie"}`, `${'_cookie'}`,
	"$_session", "$globals['_post']", "$globals['_get']", "$globals['_request']", "$globals['_cookie']",
	`$globals["_post"]`, `$globals["_get"]`, `$globals["_request"]`, `$globals["_cookie"]`,
}

var phpSourceMatcher = newMulti(phpSources)

// call is one function call found in the compacted view.
type call struct {
	name        string
	open, close int // parentheses in cp
	args        []span
	varFunc     bool // $name(...)
}

// phpState is what the PHP rules share while scanning one file.
type phpState struct {
	src      []int           // start offsets of request input in cp, sorted
	tainted  map[string]bool // variables assigned from request input
	ctrl     map[string]bool // variables that are request input as it came (maybe decoded)
	decoded  map[string]bool // variables assigned from a decoder call
	funcVars map[string]string
	calls    []call
	assigned map[string]bool // variables the file assigns (or takes as parameters)
}

func (s *scanner) php() {
	st := &phpState{assigned: map[string]bool{}, tainted: map[string]bool{}, ctrl: map[string]bool{}, decoded: map[string]bool{}, funcVars: map[string]string{}}
	cp := s.cp
	phpSourceMatcher.each(cp, func(n, at int) bool {
		if k := s.kindAt(at); k == kCode || k == kDouble || k == kBacktick || phpSources[n] == "php://input" {
			if n := len(st.src); n == 0 || st.src[n-1] != at {
				st.src = append(st.src, at)
			}
		}
		return true
	})
	sort.Ints(st.src)
	s.phpAssignments(st)
	s.phpCalls(st)
	s.phpWrappers(st)
	s.phpFlows(st)
	s.phpDangerArgs(st)
	s.phpTextFlows()
	s.phpInputCalls(st)
	s.phpBackticks(st)
	s.phpIncludes(st)
	s.phpObfuscation(st)
	s.phpCapabilities(st)
	s.phpPolyglot()
}

// hasSource reports request input in cp[lo:hi] and returns its offset.
func (st *phpState) hasSource(lo, hi int) (int, bool) {
	k := sort.SearchInts(st.src, lo)
	if k < len(st.src) && st.src[k] < hi {
		return st.src[k], true
	}
	return 0, false
}

// varsIn calls fn for each $variable in cp[lo:hi] until fn returns true.
func varsIn(cp []byte, lo, hi int, fn func(name string, at int) bool) bool {
	for i := lo; i < hi && i < len(cp); i++ {
		if cp[i] != '$' {
			continue
		}
		id := identAt(cp, i+1)
		if len(id) == 0 {
			continue
		}
		if fn(string(id), i) {
			return true
		}
		i += len(id)
	}
	return false
}

// inputIn reports request input or a tainted variable in cp[lo:hi].
func (s *scanner) inputIn(st *phpState, lo, hi int) (int, bool) {
	if at, ok := st.hasSource(lo, hi); ok {
		return at, true
	}
	at := -1
	varsIn(s.cp, lo, hi, func(name string, i int) bool {
		if st.tainted[name] {
			at = i
			return true
		}
		return false
	})
	return at, at >= 0
}

// phpAssignments finds "$x = ..." and marks variables fed by input or by decoders, and
// folds constant strings (see evaluator) so that variables holding the name of a dangerous
// function are known.
func (s *scanner) phpAssignments(st *phpState) {
	type assign struct {
		name   string
		lo, hi int
		concat bool   // .=
		elem   bool   // $x[...] =
		exact  string // the name as written (PHP variable names are case-sensitive)
	}
	var as []assign
	cp := s.cp
	for i := 0; i < len(cp); i++ {
		if cp[i] != '$' || s.kindAt(i) != kCode {
			continue
		}
		id := identAt(cp, i+1)
		if len(id) == 0 {
			continue
		}
		k := i + 1 + len(id)
		// $x[...] = is an element: the variable counts as assigned too.
		elem := false
		for k < len(cp) && cp[k] == '[' {
			e := bytes.IndexByte(cp[k:min(len(cp), k+100)], ']')
			if e < 0 {
				break
			}
			k += e + 1
			elem = true
		}
		concat := false
		if k < len(cp) && cp[k] == '.' {
			k++
			concat = true
		}
		if k+1 < len(cp) && cp[k] == '=' && cp[k+1] != '=' && cp[k+1] != '>' {
			end := s.stmtEnd(k+1, 4096)
			as = append(as, assign{string(id), k + 1, end, concat, elem, string(s.cr[i+1 : i+1+len(id)])})
		}
		i = k - 1
	}
	for _, a := range as {
		st.assigned[a.name] = true
	}
	// constant folding, in source order
	s.ev.env = map[string][]byte{}
	for _, a := range as {
		if len(s.ev.env) > 5000 {
			break
		}
		if a.elem {
			delete(s.ev.env, a.exact)
			continue
		}
		v, ok := s.evalExpr(a.lo, a.hi, 0)
		if !ok {
			continue
		}
		if a.concat {
			old, had := s.ev.env[a.exact]
			if !had {
				continue
			}
			v = append(append([]byte(nil), old...), v...)
		}
		if len(v) <= 1<<16 {
			s.ev.env[a.exact] = v
		}
	}
	for name, v := range s.ev.env {
		lv := string(bytes.ToLower(bytes.TrimSpace(v)))
		for _, d := range phpDangerNames {
			if lv == d {
				st.funcVars[strings.ToLower(name)] = lv
			}
		}
	}
	// $$x and ${...} that name a superglobal are input
	added := false
	for i := 0; i+1 < len(cp); i++ {
		if cp[i] != '$' || (cp[i+1] != '$' && cp[i+1] != '{') || s.kindAt(i) != kCode {
			continue
		}
		end := i + 2 + len(identAt(cp, i+2))
		if cp[i+1] == '{' {
			end = closingBrace(cp, i+1) + 1
			if end <= 0 {
				continue
			}
		}
		if _, ok := s.superglobalName(i, end); ok {
			st.src = append(st.src, i)
			added = true
		}
	}
	if added {
		sort.Ints(st.src)
	}
	// foreach ($_POST as $k => $v)
	for i := 0; ; {
		j := bytes.Index(cp[i:], []byte("foreach("))
		if j < 0 {
			break
		}
		i += j + 8
		end := argEnd(cp, i-1, 200)
		if _, ok := st.hasSource(i, end); ok {
			if a := bytes.Index(cp[i:end], []byte(" as")); a >= 0 {
				varsIn(cp, i+a, end, func(name string, _ int) bool {
					st.tainted[name] = true
					st.ctrl[name] = true
					return false
				})
			}
		}
	}
	for _, a := range as {
		if _, ok := st.hasSource(a.lo, a.hi); ok {
			st.tainted[a.name] = true
		}
		s.eachCall(a.lo, a.hi, func(name string, _ int) {
			if phpDecoders[name] && name != "chr" && name != "stripslashes" && name != "urldecode" {
				st.decoded[a.name] = true
			}
		})
	}
	for round := 0; round < 3; round++ {
		changed := false
		for _, a := range as {
			if !st.ctrl[a.name] && s.pureInput(st, a.lo, a.hi) {
				st.ctrl[a.name] = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for round := 0; round < 3; round++ {
		changed := false
		for _, a := range as {
			if st.tainted[a.name] && st.decoded[a.name] {
				continue
			}
			varsIn(cp, a.lo, a.hi, func(name string, _ int) bool {
				if st.tainted[name] && !st.tainted[a.name] {
					st.tainted[a.name] = true
					changed = true
				}
				if st.decoded[name] && !st.decoded[a.name] {
					st.decoded[a.name] = true
					changed = true
				}
				return false
			})
		}
		if !changed {
			break
		}
	}
}

// superglobalName reports whether the variable-variable cp[lo:hi] ("$$x", "${'_po'.'st'}")
// names a request superglobal, and which.
func (s *scanner) superglobalName(lo, hi int) (string, bool) {
	var v []byte
	var ok bool
	if s.cp[lo+1] == '$' {
		v, ok = s.ev.env[string(identAt(s.cr, lo+2))]
	} else {
		v, ok = s.evalExpr(lo+2, hi-1, 0)
	}
	if !ok {
		return "", false
	}
	switch n := string(bytes.ToLower(bytes.TrimSpace(v))); n {
	case "_post", "_get", "_request", "_cookie", "_files":
		return n, true
	}
	return "", false
}

// eachCall calls fn with the name and '(' offset of each plain function call in cp[lo:hi].
func (s *scanner) eachCall(lo, hi int, fn func(name string, open int)) {
	cp := s.cp
	for i := lo; i < hi && i < len(cp); i++ {
		if cp[i] != '(' || s.kindAt(i) != kCode {
			continue
		}
		name, st := identBefore(cp, i)
		if name == "" {
			continue
		}
		if st > 0 {
			switch cp[st-1] {
			case '$', '>', ':':
				continue
			}
		}
		fn(name, i)
	}
}

// phpCalls collects the calls the rules look at.
func (s *scanner) phpCalls(st *phpState) {
	cp := s.cp
	for i := 0; i < len(cp); i++ {
		if cp[i] != '(' || s.kindAt(i) != kCode {
			continue
		}
		name, at := identBefore(cp, i)
		if name == "" {
			continue
		}
		prev := byte(0)
		if at > 0 {
			prev = cp[at-1]
		}
		if prev == '>' || prev == ':' {
			continue
		}
		_, cb := phpCallbacks[name]
		isVar := prev == '$'
		if isVar && bytes.HasSuffix(cp[:at-1], []byte("new ")) {
			continue
		}
		if !isVar && !phpCmdSinks[name] && !phpCodeSinks[name] && !cb && name != "preg_replace" &&
			name != "preg_filter" && name != "mb_ereg_replace" && name != "mb_eregi_replace" && name != "file_put_contents" &&
			name != "fwrite" && name != "fputs" && name != "move_uploaded_file" && name != "fsockopen" &&
			name != "socket_create" && name != "stream_socket_client" && name != "extract" &&
			name != "parse_str" && name != "md5" && name != "sha1" && name != "function_exists" &&
			name != "unlink" && name != "ini_get" && name != "copy" && name != "fopen" {
			continue
		}
		end := argEnd(cp, i, 2000)
		st.calls = append(st.calls, call{name: name, open: i, close: end, args: splitArgs(cp, i, end), varFunc: isVar})
	}
}

// phpFlows: request input reaching code or command execution.
func (s *scanner) phpFlows(st *phpState) {
	cp := s.cp
	cmds := map[string]bool{}
	for _, c := range st.calls {
		ev := around(cp, c.open-len(c.name), 0, min(c.close-c.open+len(c.name)+1, 90))
		switch {
		case c.varFunc:
			continue
		case phpCmdSinks[c.name] || phpCodeSinks[c.name]:
			if c.close-c.open > 1 && argLooksLikeCode(cp[c.open+1:c.close]) {
				cmds[c.name] = true
			}
			if _, ok := s.inputIn(st, c.open, c.close); ok {
				if phpCodeSinks[c.name] {
					s.add("php.input-eval", 100, ev)
				} else {
					s.add("php.input-exec", 100, ev)
				}
				continue
			}
			if s.globalsInput(st, c) {
				s.add("php.form-global-exec", 100, ev)
				continue
			}
			if phpCodeSinks[c.name] {
				for _, a := range c.args {
					if v, ok := s.evalExpr(a.lo, a.hi, 0); ok && len(v) > 4 && looksLikePHP(bytes.ToLower(v)) {
						s.nested(v)
					}
				}
				if s.decodedIn(st, c.open, c.close) {
					s.add("php.eval-decode", 100, ev)
				} else if dynamicIn(cp, c.open, c.close) {
					s.add("php.eval-dynamic", 40, ev)
				} else if c.name == "assert" || c.name == "create_function" {
					// assert($x) of a string is code too; only literals and expressions are benign.
				}
			}
		case c.name == "mb_ereg_replace" || c.name == "mb_eregi_replace":
			if len(c.args) < 4 {
				continue
			}
			if opt, ok := s.evalExpr(c.args[3].lo, c.args[3].hi, 0); !ok || bytes.IndexByte(opt, 'e') < 0 {
				continue
			}
			if _, ok := s.inputIn(st, c.args[1].lo, c.args[1].hi); ok {
				s.add("php.input-eval", 100, ev)
			} else {
				s.add("php.preg-eval", 60, ev)
			}
		case c.name == "preg_replace" || c.name == "preg_filter":
			if len(c.args) < 2 || !pregEval(cp[c.args[0].lo:c.args[0].hi], c.name) {
				continue
			}
			if _, ok := s.inputIn(st, c.args[1].lo, c.close); ok {
				s.add("php.input-eval", 100, ev)
			} else {
				s.add("php.preg-eval", 60, ev)
			}
		case c.name == "extract" || c.name == "parse_str":
			if len(c.args) > 0 {
				if _, ok := st.hasSource(c.args[0].lo, c.args[0].hi); ok {
					s.add("php.extract-input", 30, ev)
				}
			}
		case c.name == "file_put_contents" || c.name == "fwrite" || c.name == "fputs" || c.name == "move_uploaded_file" || c.name == "copy" || c.name == "unlink":
			if s.formVarIn(st, c.open, c.close) {
				s.add("php.form-global-write", 50, ev)
			}
			if len(c.args) >= 2 && c.name != "move_uploaded_file" && c.name != "copy" && c.name != "unlink" {
				_, dataIn := s.inputIn(st, c.args[1].lo, c.args[1].hi)
				_, nameIn := s.inputIn(st, c.args[0].lo, c.args[0].hi)
				if dataIn && nameIn && c.name == "file_put_contents" {
					s.add("php.write-input", 50, ev)
				} else if dataIn && s.decodedIn(st, c.args[1].lo, c.args[1].hi) {
					s.add("php.write-input", 50, ev)
				}
			}
		case c.name == "md5" || c.name == "sha1":
			if _, ok := st.hasSource(c.open, c.close); ok {
				// a hash of input compared to a constant: a password gate
				tail := cp[c.close:min(len(cp), c.close+4)]
				head := cp[max(0, c.open-len(c.name)-4):max(0, c.open-len(c.name))]
				if bytes.Contains(tail, []byte("==")) || bytes.Contains(tail, []byte("!=")) || bytes.HasSuffix(head, []byte("==")) || bytes.HasSuffix(head, []byte("!=")) {
					s.add("php.password-gate", 15, ev)
				}
			}
		default:
			if idx, ok := phpCallbacks[c.name]; ok && idx < len(c.args) {
				a := c.args[idx]
				if s.pureInput(st, a.lo, a.hi) {
					s.add("php.input-callback", 100, ev)
					continue
				}
				if lit, ok := s.evalExpr(a.lo, a.hi, 0); ok && dangerFunc(string(bytes.ToLower(lit))) {
					if _, ok := s.inputIn(st, c.open, c.close); ok {
						s.add("php.input-callback", 100, ev)
					} else {
						s.add("php.callback-exec", 40, ev)
					}
				}
			}
		}
	}
	n := len(cmds)
	delete(cmds, "eval")
	delete(cmds, "assert")
	delete(cmds, "create_function")
	// shells try every exec function in turn; names tested with function_exists count too
	for _, c := range st.calls {
		if c.name == "function_exists" && len(c.args) == 1 {
			if lit, _, ok := literal(cp[c.args[0].lo:c.args[0].hi]); ok && phpCmdSinks[string(lit)] {
				cmds[string(lit)] = true
			}
		}
	}
	_ = n
	switch {
	case len(cmds) >= 4:
		s.add("php.exec-many", 60, []byte(joinKeys(cmds)))
	case len(cmds) == 3:
		s.add("php.exec-many", 40, []byte(joinKeys(cmds)))
	}
	if len(cmds) > 0 {
		s.cmdExec = true
	}
}

// argLooksLikeCode tells a call's argument from prose ("the system (which...)").
func argLooksLikeCode(b []byte) bool {
	return bytes.ContainsAny(b, "$'\"(")
}

func joinKeys(m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += ","
		}
		out += k
	}
	return out
}

func dangerFunc(name string) bool {
	return phpCmdSinks[name] || phpCodeSinks[name] || name == "preg_replace"
}

// decodedIn reports a decoder call or a variable fed by one in cp[lo:hi].
func (s *scanner) decodedIn(st *phpState, lo, hi int) bool {
	found := false
	s.eachCall(lo+1, hi, func(name string, _ int) {
		if phpDecoders[name] || s.userDecoders[name] {
			found = true
		}
	})
	if found {
		return true
	}
	if bytes.Contains(s.cp[lo:hi], []byte(`"?>"`)) || bytes.Contains(s.cp[lo:hi], []byte(`'?>'`)) {
		return true
	}
	return varsIn(s.cp, lo, hi, func(name string, _ int) bool { return st.decoded[name] })
}

// dynamicIn reports a variable function call "$f(" in cp[lo:hi].
func dynamicIn(cp []byte, lo, hi int) bool {
	return varsIn(cp, lo, hi, func(name string, at int) bool {
		k := at + 1 + len(name)
		return k < len(cp) && k < hi && cp[k] == '('
	})
}

// pregEval reports a regular-expression literal with the /e modifier.
func pregEval(arg []byte, fn string) bool {
	lit, _, ok := literal(arg)
	if !ok {
		return false
	}
	if fn == "mb_ereg_replace" {
		return false
	}
	lit = unescape(lit)
	if len(lit) < 2 {
		return false
	}
	d := lit[0]
	switch d {
	case '(':
		d = ')'
	case '{':
		d = '}'
	case '[':
		d = ']'
	case '<':
		d = '>'
	}
	k := bytes.LastIndexByte(lit, d)
	if k <= 0 {
		return false
	}
	flags := lit[k+1:]
	if len(flags) > 12 {
		return false
	}
	for _, f := range flags {
		if !('a' <= f && f <= 'z') {
			return false
		}
	}
	return bytes.IndexByte(flags, 'e') >= 0
}

// phpInputCalls: a function named by request input ($_GET['f']($_GET['x'])), or a variable
// holding a dangerous function's name called as a function.
func (s *scanner) phpInputCalls(st *phpState) {
	cp := s.cp
	for _, at := range st.src {
		if cp[at] != '$' {
			continue
		}
		k := at + 1 + len(identAt(cp, at+1))
		for k < len(cp) && (cp[k] == '[' || cp[k] == '{') {
			cl := byte(']')
			if cp[k] == '{' {
				cl = '}'
			}
			e := bytes.IndexByte(cp[k:min(len(cp), k+100)], cl)
			if e < 0 {
				break
			}
			k += e + 1
		}
		if k < len(cp) && cp[k] == '(' && k > at+1 && s.kindAt(k) == kCode {
			s.add("php.input-callback", 100, around(cp, at, 0, 80))
			return
		}
	}
	for _, c := range st.calls {
		if !c.varFunc {
			continue
		}
		ev := around(cp, c.open-len(c.name)-1, 0, min(c.close-c.open+len(c.name)+2, 90))
		if st.ctrl[c.name] {
			s.add("php.input-callback", 100, ev)
			continue
		}
		if _, ok := st.funcVars[c.name]; !ok {
			for _, a := range c.args {
				if s.pureInput(st, a.lo, a.hi) {
					s.add("php.varfunc-input", 50, ev)
				}
			}
		}
		if fn, ok := st.funcVars[c.name]; ok {
			if phpCodeSinks[fn] {
				for _, a := range c.args {
					if v, ok := s.evalExpr(a.lo, a.hi, 0); ok && len(v) > 4 && looksLikePHP(bytes.ToLower(v)) {
						s.nested(v)
					}
				}
			}
			_, in := s.inputIn(st, c.open, c.close)
			switch {
			case in && (dangerFunc(fn) || fn == "_post" || fn == "_get" || fn == "_request"):
				s.add("php.input-callback", 100, ev)
			case dangerFunc(fn):
				s.add("php.dynamic-exec", 60, ev)
			case phpDecoders[fn] && in:
				s.add("php.input-decode", 30, ev)
			}
		}
	}
	// $x[...](input): a function taken from an array, called on input
	for i := 0; i < len(cp); i++ {
		if cp[i] != ']' || i+1 >= len(cp) || cp[i+1] != '(' || s.kindAt(i+1) != kCode {
			continue
		}
		// walk back over [..][..] to the variable
		k := i
		for k >= 0 && cp[k] == ']' {
			o := bytes.LastIndexByte(cp[max(0, k-100):k], '[')
			if o < 0 {
				k = -1
				break
			}
			k = max(0, k-100) + o - 1
		}
		if k < 0 {
			continue
		}
		_, at := identBefore(cp, k+1)
		if at == 0 || cp[at-1] != '$' {
			continue
		}
		end := argEnd(cp, i+1, 300)
		for _, a := range splitArgs(cp, i+1, end) {
			if s.pureInput(st, a.lo, a.hi) {
				s.add("php.varfunc-input", 50, around(cp, at-1, 0, min(end-at+2, 90)))
			}
		}
	}
	// $___(...): a function called through an underscore-only variable name
	for _, c := range st.calls {
		if c.varFunc && strings.Trim(c.name, "_") == "" {
			s.add("php.obf-underscore-call", 50, around(cp, c.open-len(c.name)-1, 0, min(c.close-c.open+len(c.name)+2, 60)))
		}
	}
	// $x[...]( where $x is tainted ($_=$_POST; $_['a']($_['b']))
	for i := 0; i < len(cp); i++ {
		if cp[i] != '$' || s.kindAt(i) != kCode {
			continue
		}
		id := identAt(cp, i+1)
		if len(id) == 0 || !st.ctrl[string(id)] {
			continue
		}
		k := i + 1 + len(id)
		if k >= len(cp) || cp[k] != '[' {
			continue
		}
		for k < len(cp) && cp[k] == '[' {
			e := bytes.IndexByte(cp[k:min(len(cp), k+100)], ']')
			if e < 0 {
				break
			}
			k += e + 1
		}
		if k < len(cp) && cp[k] == '(' && s.kindAt(k) == kCode {
			s.add("php.input-callback", 100, around(cp, i, 0, 80))
			return
		}
	}
}

// phpBackticks: `...` shell execution with input.
func (s *scanner) phpBackticks(st *phpState) {
	cp := s.cp
	for i := 0; i < len(cp); i++ {
		if cp[i] != '`' || s.kindAt(i) != kCode {
			continue
		}
		e := bytes.IndexByte(cp[i+1:min(len(cp), i+400)], '`')
		if e < 0 {
			continue
		}
		end := i + 1 + e
		s.cmdExec = true
		if !bytes.Contains(cp[i:end], []byte("$")) {
			i = end
			continue
		}
		if _, ok := s.inputIn(st, i, end); ok {
			s.add("php.input-exec", 100, around(cp, i, 10, min(end-i+1, 80)))
		} else {
			s.add("php.backtick-var", 30, around(cp, i, 10, min(end-i+1, 80)))
		}
		i = end
	}
}

// phpIncludes: include/require of a path from request input.
func (s *scanner) phpIncludes(st *phpState) {
	cp := s.cp
	for _, kw := range []string{"include", "require"} {
		for i := 0; ; {
			j := bytes.Index(cp[i:], []byte(kw))
			if j < 0 {
				break
			}
			i += j + len(kw)
			if (i-len(kw) > 0 && isIdent(cp[i-len(kw)-1])) || s.kindAt(i-len(kw)) != kCode {
				continue
			}
			k := i
			if bytes.HasPrefix(cp[k:], []byte("_once")) {
				k += 5
			}
			if k >= len(cp) || !(cp[k] == '(' || cp[k] == '$' || cp[k] == ' ') {
				continue
			}
			end := s.stmtEnd(k, 300)
			if s.pureInput(st, k, end) {
				s.add("php.include-input", 70, around(cp, i-len(kw), 0, min(end-i+len(kw), 90)))
			}
		}
	}
}

// phpCapabilities: input plus command execution in a small file; back-connect code; file
// managers that can also run commands.
func (s *scanner) phpCapabilities(st *phpState) {
	hasInput := len(st.src) > 0
	cp := s.cp
	payload := false
	for _, c := range st.calls {
		if (phpCmdSinks[c.name] || phpCodeSinks[c.name]) && !c.varFunc && c.close-c.open > 1 && argLooksLikeCode(cp[c.open+1:c.close]) {
			payload = true
			break
		}
	}
	if s.cmdExec {
		payload = true
	}
	for _, r := range []string{"php.form-global-write", "php.varfunc-input", "php.dynamic-exec", "php.preg-eval", "php.include-input", "php.eval-dynamic", "php.callback-exec", "php.input-exec-text", "php.eval-decode", "php.obf-func-name", "php.write-input", "php.extract-input"} {
		if s.has(r) {
			payload = true
		}
	}
	if hasInput && payload {
		n := len(s.raw)
		switch {
		case n < 1500:
			s.add("php.small-input-exec", 50, nil)
		case n < 8000:
			s.add("php.small-input-exec", 30, nil)
		default:
			s.add("php.input-and-exec", 15, nil)
		}
	}
	socket := false
	for _, c := range st.calls {
		if c.name == "fsockopen" || c.name == "socket_create" || c.name == "stream_socket_client" {
			socket = true
		}
	}
	if socket {
		for _, sh := range []string{"/bin/sh", "/bin/bash", "cmd.exe"} {
			if i := bytes.Index(cp, []byte(sh)); i >= 0 {
				s.add("php.back-connect", 50, around(cp, i, 30, 40))
				break
			}
		}
	}
	// file manager: many file operations driven by input, with command execution
	if hasInput && payload {
		ops := 0
		for _, f := range []string{"opendir(", "readdir(", "scandir(", "unlink(", "rmdir(", "rename(", "chmod(", "move_uploaded_file(", "fileperms(", "posix_getpwuid(", "is_writable(", "filesize(", "mkdir(", "touch(", "copy("} {
			if bytes.Contains(cp, []byte(f)) {
				ops++
			}
		}
		if ops >= 7 {
			s.add("php.filemanager-exec", 30, nil)
		}
	}
	if bytes.Contains(cp, []byte("unlink(__file__)")) {
		s.add("php.self-delete", 20, []byte("unlink(__FILE__)"))
	}
}

// phpPolyglot: PHP code in a file that starts like an image.
func (s *scanner) phpPolyglot() {
	r := s.raw
	img := bytes.HasPrefix(r, []byte("GIF8")) || bytes.HasPrefix(r, []byte("\xff\xd8\xff")) ||
		bytes.HasPrefix(r, []byte("\x89PNG")) || bytes.HasPrefix(r, []byte("BM")) && len(r) > 2 && r[2] != ' '
	if !img {
		return
	}
	if i := bytes.Index(s.lc, []byte("<?")); i >= 0 && hasPHPOpen(s.lc) {
		s.add("php.image-polyglot", 60, around(s.raw, i, 0, 60))
	}
}

// Functions that pass input through unchanged as far as a web shell is concerned.
var phpWrappers = map[string]bool{
	"trim": true, "stripslashes": true, "base64_decode": true, "urldecode": true,
	"rawurldecode": true, "str_rot13": true, "strrev": true, "gzinflate": true,
	"gzuncompress": true, "gzdecode": true, "hex2bin": true, "strtolower": true,
	"strtoupper": true, "html_entity_decode": true, "htmlspecialchars_decode": true,
	"stripcslashes": true, "rtrim": true, "ltrim": true, "str_replace": false, "reset": true,
	"current": true, "end": true, "array_pop": true, "array_shift": true, "unserialize": true,
	"json_decode": true, "convert_uudecode": true, "strval": true, "substr": true,
}

// pureInput reports whether the expression cp[lo:hi] is request input as it came: a source
// or a variable holding one, maybe indexed, decoded or trimmed, maybe behind
// "isset(...) ?", with nothing put in front of it.
func (s *scanner) pureInput(st *phpState, lo, hi int) bool {
	cp := s.cp
	hi = min(hi, len(cp))
	p := lo
	for steps := 0; p < hi && steps < 8; steps++ {
		for p < hi && (cp[p] == '(' || cp[p] == ' ' || cp[p] == '&') {
			p++
		}
		if p >= hi {
			return false
		}
		if bytes.HasPrefix(cp[p:hi], []byte("(string)")) {
			p += 8
			continue
		}
		if bytes.HasPrefix(cp[p:hi], []byte("isset(")) || bytes.HasPrefix(cp[p:hi], []byte("!empty(")) || bytes.HasPrefix(cp[p:hi], []byte("empty(")) {
			q := bytes.IndexByte(cp[p:hi], '?')
			if q < 0 {
				return false
			}
			p += q + 1
			continue
		}
		if cp[p] == '$' {
			break
		}
		id := identAt(cp, p)
		if len(id) == 0 || p+len(id) >= hi || cp[p+len(id)] != '(' || !phpWrappers[string(id)] {
			break
		}
		p += len(id) + 1
	}
	if p >= hi {
		return false
	}
	if k := sort.SearchInts(st.src, p); k < len(st.src) && st.src[k] == p {
		return true
	}
	if cp[p] == '$' {
		return st.ctrl[string(identAt(cp, p+1))]
	}
	return false
}

// phpWrappers finds functions that pass a parameter to command or code execution (or call it
// as a function), and calls of them with request input: the usual "function ex($cmd) {
// ... system($cmd) ... }" of bigger shells.
func (s *scanner) phpWrappers(st *phpState) {
	cp := s.cp
	kinds := map[string]string{} // wrapper name -> "exec", "eval" or "call"
	for round := 0; round < 2; round++ {
		for i := 0; ; {
			j := bytes.Index(cp[i:], []byte("function "))
			if j < 0 {
				break
			}
			at := i + j
			i = at + 9
			if s.kindAt(at) != kCode || (at > 0 && isIdent(cp[at-1])) {
				continue
			}
			name := string(identAt(cp, i))
			open := i + len(name)
			if name == "" || open >= len(cp) || cp[open] != '(' || kinds[name] != "" {
				continue
			}
			closeP := closingParen(cp, open)
			if closeP < 0 || closeP+1 >= len(cp) {
				continue
			}
			body := bytes.IndexByte(cp[closeP:min(len(cp), closeP+80)], '{')
			if body < 0 {
				continue
			}
			body += closeP
			end := s.codeBraceEnd(body)
			params := map[string]bool{}
			varsIn(cp, open, closeP, func(n string, _ int) bool {
				params[n] = true
				st.assigned[n] = true
				return false
			})
			if len(params) == 0 {
				continue
			}
			if k := s.wrapperKind(body, end, params, kinds); k != "" {
				kinds[name] = k
				if k == "decode" {
					s.userDecoders[name] = true
				}
			}
		}
	}
	if len(kinds) == 0 {
		return
	}
	for i := 0; i < len(cp); i++ {
		if cp[i] != '(' || s.kindAt(i) != kCode {
			continue
		}
		name, at := identBefore(cp, i)
		k := kinds[name]
		if k == "" || (at >= 9 && string(cp[at-9:at]) == "function ") {
			continue
		}
		end := argEnd(cp, i, 2000)
		ev := around(cp, at, 0, min(end-at+1, 90))
		if _, ok := s.inputIn(st, i, end); ok {
			switch k {
			case "exec":
				s.add("php.input-exec", 100, ev)
			case "eval":
				s.add("php.input-eval", 100, ev)
			case "call":
				s.add("php.input-callback", 100, ev)
			}
			continue
		}
		if k == "call" {
			for _, a := range splitArgs(cp, i, end) {
				if v, ok := s.evalExpr(a.lo, a.hi, 0); ok && dangerFunc(string(bytes.ToLower(v))) {
					s.add("php.dynamic-exec", 60, ev)
				}
			}
		}
	}
}

// wrapperKind tells what a function body does with its parameters.
func (s *scanner) wrapperKind(lo, hi int, params map[string]bool, known map[string]string) string {
	cp := s.cp
	direct := make(map[string]bool, len(params))
	for n := range params {
		direct[n] = true
	}
	// locals copied from parameters
	for i := lo; i < hi; i++ {
		if cp[i] != '$' {
			continue
		}
		id := identAt(cp, i+1)
		k := i + 1 + len(id)
		if k+1 < hi && cp[k] == '=' && cp[k+1] != '=' && cp[k+1] != '>' && len(id) > 0 {
			end := s.stmtEnd(k+1, 400)
			if varsIn(cp, k+1, end, func(n string, _ int) bool { return params[n] }) {
				params[string(id)] = true
			}
		}
	}
	kind := ""
	s.eachCallAll(lo, hi, func(name string, open int, varFunc bool) {
		if kind == "exec" || kind == "eval" {
			return
		}
		end := argEnd(cp, open, 1000)
		uses := varsIn(cp, open, end, func(n string, _ int) bool { return params[n] })
		switch {
		case varFunc && direct[name]:
			kind = "call"
		case uses && phpDecoders[name] && name != "chr" && kind == "":
			kind = "decode"
		case !uses:
		case phpCmdSinks[name]:
			kind = "exec"
		case phpCodeSinks[name]:
			kind = "eval"
		case known[name] != "":
			kind = known[name]
		}
	})
	if kind == "" {
		for i := lo; i < hi; i++ {
			if cp[i] == '`' && s.kindAt(i) == kCode {
				e := bytes.IndexByte(cp[i+1:min(hi, i+300)], '`')
				if e > 0 && varsIn(cp, i+1, i+1+e, func(n string, _ int) bool { return params[n] }) {
					return "exec"
				}
			}
		}
	}
	return kind
}

// eachCallAll is eachCall with variable-function calls too.
func (s *scanner) eachCallAll(lo, hi int, fn func(name string, open int, varFunc bool)) {
	cp := s.cp
	for i := lo; i < hi && i < len(cp); i++ {
		if cp[i] != '(' || s.kindAt(i) != kCode {
			continue
		}
		name, st := identBefore(cp, i)
		if name == "" {
			continue
		}
		prev := byte(0)
		if st > 0 {
			prev = cp[st-1]
		}
		if prev == '>' || prev == ':' || (prev == '$' && bytes.HasSuffix(cp[:st-1], []byte("new "))) {
			continue
		}
		fn(name, i, prev == '$')
	}
}

// codeBraceEnd returns the index of the '}' closing the code brace at cp[open], skipping
// braces in strings (the end of the text when none closes).
func (s *scanner) codeBraceEnd(open int) int {
	depth := 0
	for i := open; i < len(s.cp); i++ {
		if s.kindAt(i) != kCode {
			continue
		}
		switch s.cp[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(s.cp)
}

// Functions that only ask about a function name: a dangerous name given to them is no call.
var phpIntrospection = map[string]bool{
	"function_exists": true, "is_callable": true, "in_array": true, "ini_get": true,
	"strpos": true, "stripos": true, "strstr": true, "stristr": true, "array_search": true,
	"preg_match": true, "explode": true, "method_exists": true, "define": true, "defined": true,
	"str_replace": true, "echo": true, "print": true, "printf": true, "sprintf": true,
	"array": true, "isset": true, "strtolower": true, "strcmp": true, "strcasecmp": true,
	"array_key_exists": true, "_e": true, "__": true, "esc_html": true, "esc_attr": true,
	"__construct": true, "die": true, "exit": true, "header": true, "hash": true,
}

// phpDangerArgs: a dangerous function's name given as an argument to some other call (a
// callback), e.g. array_udiff_assoc(array($_REQUEST[x]), array(1), "assert").
func (s *scanner) phpDangerArgs(st *phpState) {
	cp := s.cp
	dangerArgMatcher.each(cp, func(n, at int) bool {
		pat := dangerArgMatcher.needles[n]
		if pat[0] == '(' || pat[0] == ',' {
			if s.kindAt(at) != kCode || s.kindAt(at+1) != kCode {
				return true
			}
			at++ // the name itself
		}
		open := enclosingParen(cp, at, 400)
		if open < 0 || s.kindAt(open) != kCode {
			return true
		}
		fn, fst := identBefore(cp, open)
		if fn == "" || phpIntrospection[fn] || phpDecoders[fn] {
			return true
		}
		if fst > 0 && (cp[fst-1] == '>' || cp[fst-1] == ':') {
			return true
		}
		end := argEnd(cp, open, 1000)
		ev := around(cp, fst, 0, min(end-fst+1, 90))
		if _, ok := s.inputIn(st, open, end); ok {
			s.add("php.input-callback", 100, ev)
			return false
		}
		if fn != "function" && !phpCmdSinks[fn] && !phpCodeSinks[fn] {
			s.add("php.callback-exec", 40, ev)
		}
		return true
	})
}

var dangerArgMatcher = func() *multi {
	var pats []string
	for _, n := range []string{"assert", "system", "exec", "shell_exec", "passthru", "popen", "proc_open", "create_function", "pcntl_exec"} {
		pats = append(pats, "'"+n+"'", `"`+n+`"`, "("+n+")", "("+n+",", ","+n+")", ","+n+",")
	}
	return newMulti(pats)
}()

// enclosingParen returns the index of the '(' that encloses cp[at], looking back at most
// limit bytes, or -1.
func enclosingParen(cp []byte, at, limit int) int {
	depth := 0
	for i := at - 1; i >= 0 && i >= at-limit; i-- {
		switch cp[i] {
		case ')':
			depth++
		case '(':
			if depth == 0 {
				return i
			}
			depth--
		case ';', '{', '}':
			return -1
		}
	}
	return -1
}

// phpTextFlows: "eval($_POST" and the like anywhere in the text, comments and strings too
// (one-liners pasted into notes, code kept in strings for later).
func (s *scanner) phpTextFlows() {
	lc := s.lc
	for _, src := range []string{"$_post", "$_get", "$_request", "$_cookie"} {
		for i := 0; ; {
			j := bytes.Index(lc[i:], []byte(src))
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(src)
			k := at - 1
			for k >= 0 && (lc[k] == ' ' || lc[k] == '@' || lc[k] == '\t') {
				k--
			}
			if k < 0 || lc[k] != '(' {
				continue
			}
			k--
			for k >= 0 && (lc[k] == ' ' || lc[k] == '\t') {
				k--
			}
			name, st := identBefore(lc, k+1)
			if (phpCmdSinks[name] || phpCodeSinks[name]) && !(st > 0 && (lc[st-1] == '>' || lc[st-1] == ':')) {
				s.add("php.input-exec-text", 60, around(lc, st, 0, 80))
				return
			}
		}
	}
}

// stmtEnd returns the index of the ';' that ends the PHP statement at cp[i] (one outside
// strings), or i+limit.
func (s *scanner) stmtEnd(i, limit int) int {
	end := min(len(s.cp), i+limit)
	for k := i; k < end; k++ {
		if s.cp[k] == ';' && s.kindAt(k) == kCode {
			return k
		}
	}
	return end
}

// globalsInput reports a call whose first argument is a variable the file never assigns but
// whose name is a field of a form in the same file: with register_globals (old PHP, still
// what many shells are written for) the request fills it.
func (s *scanner) globalsInput(st *phpState, c call) bool {
	if len(c.args) == 0 {
		return false
	}
	a := c.args[0]
	p := a.lo
	for p < a.hi && (s.cp[p] == '(' || s.cp[p] == ' ') {
		p++
	}
	if p >= a.hi || s.cp[p] != '$' {
		return false
	}
	name := string(identAt(s.cp, p+1))
	if name == "" || name == "this" || strings.HasPrefix(name, "_") {
		return false
	}
	if st.assigned[name] && !s.readBeforeAssigned(name) {
		return false
	}
	for _, f := range []string{`name="` + name + `"`, `name='` + name + `'`, `name=` + name + ` `, `name=` + name + `>`, `name=\"` + name + `\"`} {
		if bytes.Contains(s.lc, []byte(f)) {
			return true
		}
	}
	return false
}

// readBeforeAssigned reports whether the first use of $name in the code reads it (so its value
// comes from outside the file).
func (s *scanner) readBeforeAssigned(name string) bool {
	pat := []byte("$" + name)
	cp := s.cp
	for i := 0; ; {
		j := bytes.Index(cp[i:], pat)
		if j < 0 {
			return false
		}
		at := i + j
		i = at + len(pat)
		if s.kindAt(at) != kCode || (i < len(cp) && isIdent(cp[i])) {
			continue
		}
		// "function f($name" declares it
		if k := bytes.LastIndex(cp[max(0, at-200):at], []byte("function ")); k >= 0 && bytes.IndexByte(cp[max(0, at-200)+k:at], ')') < 0 {
			return false
		}
		return !(i+1 < len(cp) && cp[i] == '=' && cp[i+1] != '=')
	}
}

// formVarIn reports a variable in cp[lo:hi] that is a form field of the file and is read
// before the file assigns it (register_globals input).
func (s *scanner) formVarIn(st *phpState, lo, hi int) bool {
	return varsIn(s.cp, lo, hi, func(name string, _ int) bool {
		if name == "this" || strings.HasPrefix(name, "_") || len(name) < 2 {
			return false
		}
		if st.assigned[name] && !s.readBeforeAssigned(name) {
			return false
		}
		for _, f := range []string{`name="` + name + `"`, `name='` + name + `'`, `name=` + name + ` `, `name=` + name + `>`, `name=\"` + name + `\"`} {
			if bytes.Contains(s.lc, []byte(f)) {
				return true
			}
		}
		return false
	})
}
