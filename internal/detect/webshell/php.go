package webshell

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// lastArg stands for "the last argument" in a callback table.
const lastArg = 99

var phpCallbackArgs = map[string]int{
	"call_user_func": 0, "call_user_func_array": 0, "array_map": 0, "array_filter": 1, "array_walk": 1,
	"array_walk_recursive": 1, "array_reduce": 1, "usort": 1, "uasort": 1, "uksort": 1, "iterator_apply": 1,
	"register_shutdown_function": 0, "register_tick_function": 0, "forward_static_call": 0,
	"forward_static_call_array": 0, "ob_start": 0, "set_error_handler": 0, "set_exception_handler": 0,
	"preg_replace_callback": 1, "mb_ereg_replace_callback": 1, "header_register_callback": 0,
	"spl_autoload_register": 0, "array_udiff": lastArg, "array_uintersect": lastArg, "array_diff_ukey": lastArg,
	"array_intersect_ukey": lastArg, "array_udiff_assoc": lastArg, "array_diff_uassoc": lastArg,
	"array_intersect_uassoc": lastArg, "array_uintersect_assoc": lastArg, "array_udiff_uassoc": lastArg,
	"array_uintersect_uassoc": lastArg, "session_set_save_handler": 0, "is_callable": -1,
}

var phpProfile = &profile{
	name:       "php",
	varSigil:   true,
	varCalls:   true,
	dotConcat:  true,
	assignOps:  set("=", ".=", "+=", "-=", "*=", "/=", "%=", "^=", "|=", "&=", "??=", "**=", "<<=", ">>="),
	joinOps:    set(".", "+", "-", "*", "/", "%", "**", "^", "|", "&", "<<", ">>", "=>", "..."),
	valueOrOps: set("??", "?:"),
	boolOps: set("==", "!=", "===", "!==", "<", ">", "<=", ">=", "<>", "<=>", "&&", "||", "!",
		"instanceof"),
	boolWords:      set("and", "or", "xor", "instanceof", "isset", "empty"),
	concatOps:      set("."),
	keywordNoValue: set("echo", "print", "return", "new", "clone", "yield", "throw", "else", "do", "static", "global", "const", "case"),
	funcs: map[string]sinkSpec{
		"eval": sink(skCode, 0), "assert": sink(skCode, 0), "create_function": sink(skCode, 1),
		"system": sink(skExec, 0), "exec": sink(skExec, 0), "shell_exec": sink(skExec, 0), "passthru": sink(skExec, 0),
		"popen": sink(skExec, 0), "proc_open": sink(skExec, 0), "pcntl_exec": sink(skExec, 0), "expect_popen": sink(skExec, 0),
		"ssh2_exec": sink(skExec, 1),
		"include":   sink(skInclude, 0), "include_once": sink(skInclude, 0), "require": sink(skInclude, 0), "require_once": sink(skInclude, 0),
		"file_put_contents": sink2(skWrite, 0, 1), "fwrite": sink2(skWrite, 0, 1), "fputs": sink2(skWrite, 0, 1),
		"gzwrite":            sink2(skWrite, 0, 1),
		"move_uploaded_file": sink2(skUpload, 0, 1), "copy": sink2(skUpload, 0, 1),
		"readfile": sink(skRead, 0), "file_get_contents": sink(skRead, 0), "highlight_file": sink(skRead, 0),
		"show_source": sink(skRead, 0), "file": sink(skRead, 0), "fopen": sink(skRead, 0), "readgzfile": sink(skRead, 0),
		"opendir": sink(skList, 0), "scandir": sink(skList, 0), "glob": sink(skList, 0), "dir": sink(skList, 0),
		"unlink": sink(skDelete, 0), "rmdir": sink(skDelete, 0), "rename": sink(skDelete, 0), "chmod": sink(skDelete, 0),
		"chown": sink(skDelete, 0), "chgrp": sink(skDelete, 0), "touch": sink(skDelete, 0), "symlink": sink(skDelete, 0),
		"mysql_query": sink(skSQL, 0), "mysqli_query": sink(skSQL, 1), "mysqli_multi_query": sink(skSQL, 1),
		"mysqli_real_query": sink(skSQL, 1), "mssql_query": sink(skSQL, 0), "sqlite_query": sink(skSQL, 1),
		"odbc_exec": sink(skSQL, 1), "oci_parse": sink(skSQL, 1), "sqlsrv_query": sink(skSQL, 1),
		"mysql_db_query": sink(skSQL, 1), "ibase_query": sink(skSQL, 1), "sybase_query": sink(skSQL, 0),
		"mysql_connect": sink(skDBConnect, -1), "mysqli_connect": sink(skDBConnect, -1), "mssql_connect": sink(skDBConnect, -1),
		"pg_connect": sink(skDBConnect, -1), "oci_connect": sink(skDBConnect, -1), "sqlsrv_connect": sink(skDBConnect, -1),
		"mysql_pconnect": sink(skDBConnect, -1), "ftp_connect": sink(skSocket, 0), "ftp_login": sink(skDBConnect, -1),
		"fsockopen": sink(skSocket, 0), "pfsockopen": sink(skSocket, 0), "stream_socket_client": sink(skSocket, 0),
		"socket_connect": sink(skSocket, 1), "socket_bind": sink(skListen, 0), "socket_listen": sink(skListen, 0),
		"stream_socket_server": sink(skListen, 0),
		"mail":                 sink(skMail, 0),
	},
	methods: map[string]sinkSpec{
		"query": sink(skSQL, 0), "multi_query": sink(skSQL, 0), "real_query": sink(skSQL, 0), "prepare": sink(skSQL, 0),
		"exec": sink(skSQL, 0), "unquery": sink(skSQL, 0),
	},
	ctors: map[string]sinkSpec{
		"mysqli": sink(skDBConnect, -1), "pdo": sink(skDBConnect, -1), "reflectionfunction": sink(skCallback, 0),
		"directoryiterator": sink(skList, 0), "recursivedirectoryiterator": sink(skList, 0), "splfileobject": sink(skRead, 0),
	},
	callbacks: phpCallbackArgs,
	sanitizers: set("intval", "floatval", "boolval", "is_numeric", "isset", "empty", "count", "sizeof", "strlen",
		"mb_strlen", "md5", "sha1", "crc32", "hash", "hash_hmac", "password_hash", "password_verify", "escapeshellarg",
		"in_array", "array_key_exists", "preg_match", "preg_match_all", "strpos", "stripos", "strrpos",
		"strcmp", "strcasecmp", "strncmp", "strncasecmp", "ctype_digit", "ctype_alnum", "ctype_alpha", "is_array",
		"is_string", "is_int", "is_file", "is_dir", "is_readable", "is_writable", "is_writeable", "is_executable",
		"is_link", "file_exists", "filesize", "filemtime", "fileperms", "fileowner", "filegroup", "time", "abs",
		"round", "ord", "uniqid", "rand", "mt_rand", "microtime", "function_exists", "method_exists", "class_exists",
		"defined", "gettype", "is_callable", "version_compare", "is_object", "is_bool", "is_null", "is_float",
		"is_uploaded_file", "disk_free_space", "disk_total_space", "number_format", "checkdate", "mktime",
		"strtotime", "array_search", "filter_var", "urlencode", "rawurlencode", "bin2hex", "base64_encode",
		"htmlspecialchars", "htmlentities", "json_encode", "var_export", "serialize", "ip2long", "long2ip",
		"esc_html", "esc_attr", "esc_url", "absint", "sanitize_key", "sanitize_file_name", "sanitize_text_field",
		"wp_verify_nonce", "check_admin_referer", "addslashes", "mysql_real_escape_string", "mysqli_real_escape_string",
		"pg_escape_string", "quotemeta", "preg_quote", "sql_quote", "intdiv", "decoct", "octdec", "hexdec", "dechex",
		"bindec", "decbin", "count_chars", "str_word_count", "similar_text", "levenshtein", "soundex", "metaphone",
		"array_sum", "max", "min", "date", "gmdate", "strftime", "md5_file", "sha1_file", "hash_file", "tempnam"),
	wrappers: set("trim", "ltrim", "rtrim", "stripslashes", "stripcslashes", "strtolower", "strtoupper", "ucfirst",
		"lcfirst", "ucwords", "strval", "urldecode", "rawurldecode", "html_entity_decode", "htmlspecialchars_decode",
		"reset", "current", "end", "array_pop", "array_shift", "array_values", "json_decode", "unserialize", "substr",
		"strip_tags", "iconv", "mb_convert_encoding", "utf8_decode", "utf8_encode", "nl2br", "chop", "array_slice",
		"implode", "join", "explode", "base64_decode", "str_rot13", "strrev", "gzinflate", "gzuncompress", "gzdecode",
		"hex2bin", "convert_uudecode", "bzdecompress", "lzf_decompress", "openssl_decrypt", "mcrypt_decrypt",
		"escapeshellcmd", "array_reverse", "str_split", "basename", "realpath", "dirname", "pathinfo", "stream_get_contents", "fread",
		"fgets", "file_get_contents", "array_keys", "array_merge", "array_unique", "mb_substr", "wordwrap",
		"chunk_split", "sprintf", "vsprintf", "strstr", "stristr", "strrchr", "filter_input", "filter_input_array"),
	decoders: set("base64_decode", "str_rot13", "gzinflate", "gzuncompress", "gzdecode", "hex2bin", "convert_uudecode",
		"bzdecompress", "lzf_decompress", "openssl_decrypt", "mcrypt_decrypt", "strrev", "pack"),
	wrapArgOf: map[string]int{"iconv": 2, "implode": 1, "join": 1, "explode": 1, "mcrypt_decrypt": 2, "fread": 0,
		"stream_get_contents": 0, "fgets": 0, "sprintf": 1, "vsprintf": 1, "filter_input": 1, "pack": 1},
	execDanger: set("assert", "create_function", "system", "exec", "shell_exec", "passthru", "popen", "proc_open",
		"pcntl_exec", "call_user_func", "call_user_func_array", "eval", "expect_popen"),
	danger: set("assert", "create_function", "system", "exec", "shell_exec", "passthru", "popen", "proc_open",
		"pcntl_exec", "call_user_func", "call_user_func_array", "eval", "preg_replace", "array_map", "array_filter",
		"usort", "uasort", "uksort", "array_walk", "file_put_contents", "fwrite", "fputs", "move_uploaded_file",
		"ob_start", "register_shutdown_function",
		"expect_popen", "putenv"),
	globalFallback: false,
}

// phpBuiltWatch are names whose assembly at run time is itself a sign of hiding: the
// dangerous functions, the decoders and the request arrays.
var phpBuiltWatch = set("base64_decode", "gzinflate", "gzuncompress", "str_rot13", "strrev", "hex2bin",
	"_post", "_get", "_request", "_cookie", "_server", "_files", "globals")

// superglobal request arrays.
var phpInputArrays = map[string]bool{"_get": true, "_post": true, "_request": true, "_cookie": true, "_files": true,
	"http_get_vars": true, "http_post_vars": true, "http_cookie_vars": true, "http_post_files": true, "http_raw_post_data": true}

var phpSuperglobals = set("_get", "_post", "_request", "_cookie", "_files", "_server", "_env", "_session", "globals",
	"http_get_vars", "http_post_vars", "http_cookie_vars", "http_post_files", "http_server_vars", "http_raw_post_data", "http_session_vars")

// phpServerInput are the $_SERVER keys the client writes.
func phpServerInput(key string) bool {
	k := strings.ToUpper(key)
	return strings.HasPrefix(k, "HTTP_") || k == "QUERY_STRING" || k == "REQUEST_URI" || k == "PATH_INFO" ||
		k == "PHP_AUTH_USER" || k == "PHP_AUTH_PW" || k == "PATH_TRANSLATED" || k == "ORIG_PATH_INFO" || k == "REDIRECT_QUERY_STRING"
}

func init() {
	p := phpProfile
	p.foldCall = phpFolds
	p.foldMethod = map[string]foldFn{}
	p.source = phpSource
	p.interpSource = func(name string) (val, bool) {
		l := asciiLower(name)
		if phpInputArrays[l] {
			return val{in: true, src: "$" + name, up: l == "_files"}, true
		}
		return val{}, false
	}
	p.isGlobal = func(name string) bool { return phpSuperglobals[name] }
	p.funcDefs = phpFuncDefs
	p.returns = returnsAfter
	p.funcWord = func(u *unit, k int) bool {
		t := &u.t[k]
		return (t.lc == "function" || t.lc == "fn") && (u.isOp(k+1, "(") || u.isOp(k+1, "&") && u.isOp(k+2, "("))
	}
	p.castClean = func(u *unit, lo, hi int) bool {
		if u.isOp(lo, "(") && u.closeOf(lo) == lo+2 && u.t[lo+1].k == tkIdent {
			switch u.t[lo+1].lc {
			case "int", "integer", "bool", "boolean", "float", "double", "real", "unset":
				return true
			}
		}
		return false
	}
	p.fieldKey = func(u *unit, k int) (string, int, bool) {
		t := &u.t[k]
		if t.lc == "globals" && u.isOp(k+1, "[") && u.closeOf(k+1) == k+3 && u.t[k+2].k == tkStr {
			return "\x01" + asciiLower(u.t[k+2].s), k + 4, true
		}
		if (u.isOp(k+1, "->") || u.isOp(k+1, "?->")) && k+2 < len(u.t) && u.t[k+2].k == tkIdent && !u.isOp(k+3, "(") {
			return t.lc + "->" + u.t[k+2].lc, k + 3, true
		}
		if u.isOp(k+1, "[") && u.closeOf(k+1) == k+3 && (u.t[k+2].k == tkStr && u.t[k+2].fl&fInterp == 0 || u.t[k+2].k == tkNum) && !phpSuperglobals[t.lc] {
			return t.lc + "['" + u.t[k+2].s + "']", k + 4, true
		}
		return "", 0, false
	}
	p.collect = phpCollect
	p.prepare = phpPrepare
	p.sinkHook = phpSinkHook
	p.features = phpFeatures
	p.nest = func(u *unit, code string) {
		inCode := !strings.Contains(code, "<?")
		toks := lexPHP([]byte(code), inCode)
		n := newUnit(phpProfile, []byte(code), toks, u.an, u.depth+1)
		n.run()
	}
	p.watch = phpBuiltWatch
	p.netReaders = set("fgets", "fread", "fgetc", "stream_get_contents", "stream_get_line", "socket_read", "fscanf", "stream_socket_recvfrom")
	p.netMakers = set("fsockopen", "pfsockopen", "stream_socket_client", "socket_create", "socket_accept", "stream_socket_accept", "curl_init")
	p.netReaders["curl_exec"] = true
	p.callHook = func(u *unit, name string, at, lo, hi int) (val, bool) {
		switch name {
		case "file_get_contents", "file", "readfile", "fopen", "gzfile", "gzopen":
			// a file from the web: what a remote host sent
			if args := u.splitArgs(lo, hi); len(args) > 0 {
				if s, _, ok := u.fold(args[0][0], args[0][1]); ok && remoteURL(s) {
					return val{net: true}, true
				}
			}
		}
		return val{}, false
	}
	p.parenless = func(u *unit, k, hi int) (int, val, bool) {
		// a constant define()d with a value (define('X', $_GET['x'])): that value
		if k > 0 && (u.memberOp(k-1) || u.isIdent(k-1, "new") || u.isIdent(k-1, "function")) {
			return 0, val{}, false
		}
		if vi := u.vars[vkey{0, phpConstKey(u.t[k].s)}]; vi != nil {
			return k + 1, vi.v, true
		}
		return 0, val{}, false
	}
	p.embeddedCode = func(s string) bool {
		return strings.Contains(s, "<?") && strings.Contains(s, "$_") && strings.Contains(s, "(")
	}
}

// phpSource recognizes request input at token i.
func phpSource(u *unit, i int) (int, string, bool) {
	t := &u.t[i]
	switch t.k {
	case tkVar:
		l := t.lc
		if phpInputArrays[l] {
			return i + 1, "$" + t.s, l == "_files" || l == "http_post_files"
		}
		if (l == "_server" || l == "_env" || l == "http_server_vars" || l == "globals") && u.isOp(i+1, "[") {
			c := u.closeOf(i + 1)
			if c == i+3 && u.t[i+2].k == tkStr || c == i+3 && u.t[i+2].k == tkIdent {
				key := u.t[i+2].s
				if l == "globals" {
					if phpInputArrays[asciiLower(key)] {
						return c + 1, "$GLOBALS['" + key + "']", asciiLower(key) == "_files"
					}
					return 0, "", false
				}
				if phpServerInput(key) {
					return c + 1, "$" + t.s + "['" + key + "']", false
				}
			}
		}
		// $$name where $name holds a request array's name
		if i > 0 && u.isOp(i-1, "$") {
			return 0, "", false
		}
	case tkOp:
		if t.s == "$" && i+1 < len(u.t) && u.t[i+1].k == tkVar {
			if vi := u.lookup(i+1, u.t[i+1].lc); vi != nil {
				if vi.hasConst && phpInputArrays[lowerTrim(vi.konst)] {
					return i + 2, "$$" + u.t[i+1].s + " ($" + vi.konst + ")", lowerTrim(vi.konst) == "_files"
				}
				for _, a := range vi.alts {
					if phpInputArrays[lowerTrim(a)] {
						return i + 2, "$$" + u.t[i+1].s + " ($" + a + ")", false
					}
				}
			}
		}
		if t.s == "${" {
			c := u.closeOf(i)
			if c > i+1 {
				if s, _, ok := u.fold(i+1, c); ok && phpInputArrays[lowerTrim(s)] {
					return c + 1, "${" + s + "}", lowerTrim(s) == "_files"
				}
			}
		}
	case tkIdent:
		if !u.isOp(i+1, "(") {
			return 0, "", false
		}
		c := u.closeOf(i + 1)
		if c < 0 {
			return 0, "", false
		}
		switch t.lc {
		case "getallheaders", "apache_request_headers", "http_get_request_body", "http_get_request_headers":
			return c + 1, t.s + "()", false
		case "file_get_contents", "fopen", "file", "readfile", "stream_get_contents", "fpassthru", "http_get_request_body_stream":
			if s, _, ok := u.fold(i+2, firstArgEnd(u, i+2, c)); ok && strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "php://input") {
				return c + 1, t.s + "('php://input')", false
			}
		case "getenv", "apache_getenv":
			if s, _, ok := u.fold(i+2, c); ok && phpServerInput(s) {
				return c + 1, t.s + "('" + s + "')", false
			}
		case "filter_input", "filter_input_array":
			if i+2 < c && u.t[i+2].k == tkIdent {
				switch u.t[i+2].s {
				case "INPUT_GET", "INPUT_POST", "INPUT_COOKIE", "INPUT_REQUEST":
					return c + 1, t.s + "(" + u.t[i+2].s + ")", false
				case "INPUT_SERVER", "INPUT_ENV":
					if args := u.splitArgs(i+2, c); len(args) > 1 {
						if s, _, ok := u.fold(args[1][0], args[1][1]); ok && phpServerInput(s) {
							return c + 1, t.s + "(" + u.t[i+2].s + ", '" + s + "')", false
						}
					}
				}
			}
		}
	}
	return 0, "", false
}

func firstArgEnd(u *unit, lo, hi int) int {
	if a := u.splitArgs(lo, hi); len(a) > 0 {
		return a[0][1]
	}
	return hi
}

// phpFuncDefs finds named functions and methods (closures stay in the scope around them).
func phpFuncDefs(u *unit) {
	t := u.t
	for i := 0; i+2 < len(t); i++ {
		if !u.isIdent(i, "function") {
			continue
		}
		j := i + 1
		if u.isOp(j, "&") {
			j++
		}
		if j >= len(t) || t[j].k != tkIdent || !u.isOp(j+1, "(") {
			continue
		}
		c := u.closeOf(j + 1)
		if c < 0 {
			continue
		}
		b := c + 1
		for b < len(t) && b < c+12 && !u.isOp(b, "{") && !u.isOp(b, ";") {
			b++ // a return type
		}
		if !u.isOp(b, "{") {
			continue // abstract or interface
		}
		e := u.closeOf(b)
		if e < 0 {
			continue
		}
		var params []string
		for _, a := range u.splitArgs(j+2, c) {
			for k := a[0]; k < a[1]; k++ {
				if t[k].k == tkVar {
					params = append(params, t[k].lc)
					break
				}
			}
		}
		u.funcs = append(u.funcs, &fdef{name: t[j].lc, params: params, lo: j + 1, hi: e + 1})
	}
}

// phpCollect adds PHP's own forms to the generic ones: include without parentheses, foreach,
// global, and the register_globals emulations.
func phpCollect(u *unit) {
	collectGeneric(u)
	t := u.t
	for i := 0; i < len(t); i++ {
		tk := &t[i]
		if tk.k != tkIdent {
			continue
		}
		switch tk.lc {
		case "include", "include_once", "require", "require_once", "print", "echo":
			if tk.lc == "print" || tk.lc == "echo" {
				continue
			}
			if u.isOp(i+1, "(") && u.closeOf(i+1)+1 == u.stmtEnd(i+1) {
				continue // the generic call has it
			}
			e := u.stmtEnd(i + 1)
			if e > i+1 {
				u.calls = append(u.calls, call{name: tk.lc, kind: cKeyword, at: i, open: i, close: e, args: [][2]int{{i + 1, e}}})
			}
		case "foreach":
			if !u.isOp(i+1, "(") {
				continue
			}
			c := u.closeOf(i + 1)
			as := -1
			for k := i + 2; k < c; k++ {
				if u.isIdent(k, "as") {
					as = k
					break
				}
			}
			if as < 0 {
				continue
			}
			var keys []vkey
			for k := as + 1; k < c; k++ {
				if t[k].k == tkVar {
					keys = append(keys, u.varKey(k, t[k].lc))
				}
			}
			if len(keys) > 0 {
				u.asg = append(u.asg, assign{lhs: keys, lo: i + 2, hi: as, op: "=", each: true})
			}
		case "global":
			e := u.stmtEnd(i + 1)
			for k := i + 1; k < e; k++ {
				if t[k].k == tkVar && u.scope[k] != 0 {
					u.globals[vkey{u.scope[k], t[k].lc}] = true
				}
			}
		case "define":
			// define('NAME', value): NAME stands for the value where the code names it
			if !u.isOp(i+1, "(") {
				continue
			}
			args := u.splitArgs(i+2, u.closeOf(i+1))
			if len(args) < 2 {
				continue
			}
			if name, _, ok := u.fold(args[0][0], args[0][1]); ok && name != "" && len(name) < 64 {
				u.asg = append(u.asg, assign{lhs: []vkey{{0, phpConstKey(name)}}, lo: args[1][0], hi: args[1][1], op: "="})
			}
		case "extract", "parse_str", "import_request_variables", "mb_parse_str":
			if !u.isOp(i+1, "(") {
				continue
			}
			c := u.closeOf(i + 1)
			args := u.splitArgs(i+2, c)
			if len(args) == 0 {
				continue
			}
			if tk.lc == "import_request_variables" || (tk.lc == "parse_str" || tk.lc == "mb_parse_str") && len(args) == 1 {
				u.globalsInput = true
				continue
			}
			if tk.lc == "extract" {
				// extract($_POST): every variable the code never sets is the request's; so
				// with a copy of it (decided once the values are known, see fixpoint)
				for k := args[0][0]; k < args[0][1]; k++ {
					if t[k].k == tkVar && phpInputArrays[t[k].lc] {
						u.globalsInput = true
					}
				}
				u.spread = append(u.spread, args[0])
				continue
			}
			// parse_str($input, $out): $out is input
			if len(args) > 1 {
				for k := args[1][0]; k < args[1][1]; k++ {
					if t[k].k == tkVar {
						u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(k, t[k].lc)}, lo: args[0][0], hi: args[0][1], op: "="})
						break
					}
				}
			}
		case "preg_match", "preg_match_all":
			// the matches of input are input
			if !u.isOp(i+1, "(") {
				continue
			}
			args := u.splitArgs(i+2, u.closeOf(i+1))
			if len(args) > 2 {
				for k := args[2][0]; k < args[2][1]; k++ {
					if t[k].k == tkVar {
						u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(k, t[k].lc)}, lo: args[1][0], hi: args[1][1], op: "="})
						break
					}
				}
			}
		}
	}
	// $$k = ...: a variable named by a value
	for i := 0; i+2 < len(t); i++ {
		if u.isOp(i, "$") && t[i+1].k == tkVar && u.isOp(i+2, "=") {
			u.dynAssign = append(u.dynAssign, [3]int{i + 1, i + 3, u.stmtEnd(i + 3)})
		}
	}
	// register_globals: form fields of the page read as variables the code never assigns
	u.formFields, u.fileFields = formFieldNames(u)
}

// formFieldNames returns the names of the input fields of the page's forms (in its markup), and
// those of them that are file uploads.
func formFieldNames(u *unit) (map[string]bool, map[string]bool) {
	var m, files map[string]bool
	for i := range u.t {
		t := &u.t[i]
		var text []byte
		switch {
		case t.k == tkHTML:
			text = u.src[t.pos:t.end]
		case t.k == tkStr && (strings.Contains(t.s, "name=") || strings.Contains(t.s, "NAME=")):
			text = []byte(t.s)
		default:
			continue
		}
		lc := toLower(text)
		// parameters of the page's links: href="?dir=/etc&del=x"
		for j := 0; j < len(lc); j++ {
			if lc[j] != '?' && lc[j] != '&' || j+1 >= len(lc) || !isIdentStart(lc[j+1]) {
				continue
			}
			e := j + 1
			for e < len(lc) && isIdentByte(lc[e]) {
				e++
			}
			if e < len(lc) && lc[e] == '=' && e-j < 40 && (lc[j] == '&' || bytes.LastIndex(lc[max(0, j-300):j], []byte("href")) >= 0 || bytes.LastIndex(lc[max(0, j-300):j], []byte("action")) >= 0) {
				if m == nil {
					m = map[string]bool{}
				}
				m[string(lc[j+1:e])] = true
			}
		}
		for j := 0; ; {
			k := bytes.Index(lc[j:], []byte("name="))
			if k < 0 {
				break
			}
			j += k + 5
			v := lc[j:]
			v = bytes.TrimLeft(v, "\"'\\")
			e := 0
			for e < len(v) && isIdentByte(v[e]) {
				e++
			}
			if e > 0 && e < 40 {
				if m == nil {
					m = map[string]bool{}
				}
				m[string(v[:e])] = true
				// <input type="file" name="x">: the field's tag
				lo := bytes.LastIndexByte(lc[:j], '<')
				hi := bytes.IndexByte(lc[j:], '>')
				if lo >= 0 && hi >= 0 && bytes.Contains(lc[lo:j+hi], []byte("file")) && bytes.Contains(lc[lo:j+hi], []byte("type")) {
					if files == nil {
						files = map[string]bool{}
					}
					files[string(v[:e])] = true
				}
			}
		}
	}
	return m, files
}

// phpPrepare: with register_globals emulated, variables the code reads before it assigns them
// are still not known to be input unless a form names them (see lookupVal).
func phpPrepare(u *unit) {}

// phpSinkHook handles preg_replace's /e modifier, mb_ereg_replace's "e" option and the last-
// argument callbacks.
func phpSinkHook(u *unit, c *call) (sinkSpec, bool, bool) {
	if c.kind == cMethod {
		switch c.name {
		case "exec", "run", "shellexecute":
			// new COM('WScript.Shell'): Windows' shell object runs commands
			if u.comShell(c) {
				return sink(skExec, 0), true, true
			}
		}
		switch c.name {
		case "query", "multi_query", "real_query", "prepare", "exec", "unquery":
			// a method of that name runs SQL on a database handle only (a DNS resolver's
			// query() asks for a record)
			if !u.dbHandle(c) {
				return sinkSpec{}, false, true
			}
		}
	}
	if c.kind != cPlain {
		return sinkSpec{}, false, false
	}
	switch c.name {
	case "filter_var", "filter_var_array", "filter_input", "filter_input_array":
		// filter_var($x, FILTER_CALLBACK, array('options' => 'f')): f is called on $x
		for ai, a := range c.args {
			if ai == 0 || !u.isIdent(a[0], "filter_callback") {
				continue
			}
			data := u.eval(c.args[0][0], c.args[0][1])
			if c.name == "filter_input" || c.name == "filter_input_array" {
				data = val{in: true, pure: true, src: c.name + "()"}
			}
			if ai+1 >= len(c.args) {
				break
			}
			o := c.args[ai+1]
			for k := o[0]; k < o[1]; k++ {
				if u.isOp(k, "=>") && k > o[0] && u.tk(k-1).k == tkStr && u.tk(k-1).s == "options" {
					e := k + 1
					for e < o[1] && !u.isOp(e, ",") && !u.isOp(e, ")") && !u.isOp(e, "]") {
						if c2 := u.closeOf(e); c2 > e {
							e = c2
						}
						e++
					}
					name := u.eval(k+1, e)
					ev := u.callEvidence(c)
					if u.nameFlow(name, data, ev) {
						break
					}
					if s, _, ok := u.fold(k+1, e); ok && u.p.dangerName(s) {
						if data.in {
							u.an.add("flow.callback", wFlowCallback, withSource(ev, data))
						} else {
							u.an.add("callback.danger", wCallbackConst, ev)
						}
					}
					break
				}
			}
		}
		return sinkSpec{}, false, true
	case "preg_replace", "preg_filter", "mb_ereg_replace", "mb_eregi_replace", "mb_regex_set_options":
		if len(c.args) < 2 {
			return sinkSpec{}, false, true
		}
		e := false
		if c.name == "mb_ereg_replace" || c.name == "mb_eregi_replace" {
			if len(c.args) >= 4 {
				if s, _, ok := u.fold(c.args[3][0], c.args[3][1]); ok && strings.Contains(s, "e") {
					e = true
				}
			}
		} else if s, _, ok := u.fold(c.args[0][0], c.args[0][1]); ok {
			e = pregHasE(s)
		}
		if !e {
			return sinkSpec{}, false, true
		}
		ev := u.callEvidence(c)
		v := u.eval(c.args[1][0], c.args[1][1])
		if len(c.args) > 2 {
			v.merge(u.eval(c.args[2][0], c.args[2][1]))
		}
		if v.in {
			u.an.add("flow.code", strength(v, wFlowCode), withSource(ev, v))
			return sinkSpec{}, false, true
		}
		u.an.add("code.preg-eval", wCodeDynamic, ev)
		u.codeArg(c, v, c.args[1], ev, "flow.code", wFlowCode)
		if len(c.args) > 2 {
			// what the pattern captures of the subject is put into the code
			if s, fi, ok := u.fold(c.args[2][0], c.args[2][1]); ok {
				if fi.layers > 0 {
					u.an.add("code.decoded", wCodeDecoded, ev)
				}
				u.nest(s, "code")
			}
		}
		return sinkSpec{}, false, true
	case "assert":
		if len(c.args) == 0 {
			return sinkSpec{}, false, true
		}
		v := u.eval(c.args[0][0], c.args[0][1])
		ev := u.callEvidence(c)
		if v.in {
			u.an.add("flow.code", wFlowCode, withSource(ev, v))
			return sinkSpec{}, false, true
		}
		// only a string is run as code; a condition is a condition
		if s, fi, ok := u.fold(c.args[0][0], c.args[0][1]); ok {
			if fi.layers > 0 || v.dec {
				u.an.add("code.decoded", wCodeDecoded, ev)
			}
			u.nest(s, "code")
		} else if v.dec {
			u.an.add("code.decoded", wCodeDecoded, ev)
		}
		return sinkSpec{}, false, true
	}
	if i, ok := phpCallbackArgs[c.name]; ok && i == lastArg {
		return sink(skCallback, len(c.args)-1), len(c.args) > 0, true
	}
	if i, ok := phpCallbackArgs[c.name]; ok && i < 0 {
		return sinkSpec{}, false, true
	}
	return sinkSpec{}, false, false
}

// pregHasE reports a PCRE pattern with the e (eval) modifier.
func pregHasE(p string) bool {
	p = strings.TrimSpace(p)
	if len(p) < 2 {
		return false
	}
	d := p[0]
	if isIdentByte(d) || d == '\\' {
		return false
	}
	cl := closerOf(d)
	e := strings.LastIndexByte(p, cl)
	if e <= 0 {
		return false
	}
	mods := p[e+1:]
	return strings.IndexByte(mods, 'e') >= 0 && strings.Trim(mods, "imsxeuADSUXJn") == ""
}

// phpFeatures: backtick commands, hidden superglobals, image polyglots, password gates,
// self-deletion, LD_PRELOAD, obfuscation and the marker strings.
func phpFeatures(u *unit) {
	for i := range u.t {
		t := &u.t[i]
		if t.k == tkCmd {
			u.an.exec = true
			ev := u.evidence(i, i+1)
			v := val{}
			for _, p := range t.parts {
				if p.v != "" {
					v.merge(u.lookupVal(i, asciiLower(p.v)))
					if sv, ok := u.interpSource(p.v); ok {
						v.merge(sv)
					}
				}
			}
			if v.in {
				u.an.add("flow.exec", wFlowExec, withSource(ev, v))
			} else {
				if shellSpawn(t.s) {
					u.an.shellSpawn = true
				}
				u.an.add("exec.const", wExecConst, ev)
			}
		}
	}
	for ci := range u.calls {
		c := &u.calls[ci]
		switch c.name {
		case "putenv":
			if len(c.args) > 0 {
				if s, _, ok := u.fold(c.args[0][0], c.args[0][1]); ok && strings.Contains(strings.ToUpper(s), "LD_PRELOAD") {
					u.an.add("exec.ld-preload", wDynamicCall, u.callEvidence(c))
				}
			}
		case "unlink":
			if len(c.args) == 1 && (u.isIdent(c.args[0][0], "__file__") || u.tk(c.args[0][0]).k == tkVar && u.tk(c.args[0][0]).lc == "_server" && strings.Contains(u.evidence(c.args[0][0], c.args[0][1]), "SCRIPT_FILENAME")) {
				u.an.add("php.self-delete", wSelfDelete, u.callEvidence(c))
			}
		case "md5", "sha1", "hash", "crypt":
			// md5($_POST['pass']) == '5f4dcc3b...': a page locked with its author's password
			if c.close+2 < len(u.t) {
				v := u.argsVal(c.open+1, c.close)
				n := &u.t[c.close+1]
				if v.in && n.k == tkOp && (n.s == "==" || n.s == "===" || n.s == "!=" || n.s == "!==") && u.t[c.close+2].k == tkStr && len(u.t[c.close+2].s) >= 32 {
					u.an.add("php.password-gate", wPasswordGate, u.evidence(c.at, c.close+3))
				}
			}
		}
	}
	phpNoLetters(u)
	if u.depth == 0 {
		phpPolyglot(u)
		obfuscation(u)
		u.hiddenLiterals()
	}
}

// phpPolyglot: PHP code in a file that starts like an image.
func phpPolyglot(u *unit) {
	if !imageMagic(u.src) {
		return
	}
	for i := range u.t {
		if u.t[i].k != tkHTML {
			u.an.add("php.image-polyglot", wPolyglot, u.evidence(i, min(i+8, len(u.t))))
			return
		}
	}
}

// phpFolds are the PHP functions constant folding computes.
var phpFolds = map[string]foldFn{
	"base64_decode":           foldArg(0, decodeBase64),
	"str_rot13":               pureArg(0, rot13),
	"strrev":                  pureArg(0, reverseString),
	"gzinflate":               foldArg(0, func(s string) (string, bool) { return inflate(s, "raw") }),
	"gzuncompress":            foldArg(0, func(s string) (string, bool) { return inflate(s, "zlib") }),
	"gzdecode":                foldArg(0, func(s string) (string, bool) { return inflate(s, "gzip") }),
	"bzdecompress":            foldArg(0, func(s string) (string, bool) { return inflate(s, "bzip2") }),
	"hex2bin":                 foldArg(0, decodeHex),
	"convert_uudecode":        foldArg(0, uudecode),
	"urldecode":               foldArg(0, func(s string) (string, bool) { return urlDecode(s, true) }),
	"rawurldecode":            foldArg(0, func(s string) (string, bool) { return urlDecode(s, false) }),
	"chr":                     foldChr,
	"strtolower":              pureArg(0, strings.ToLower),
	"strtoupper":              pureArg(0, strings.ToUpper),
	"ucfirst":                 pureArg(0, func(s string) string { return strings.ToUpper(s[:min(1, len(s))]) + s[min(1, len(s)):] }),
	"lcfirst":                 pureArg(0, func(s string) string { return strings.ToLower(s[:min(1, len(s))]) + s[min(1, len(s)):] }),
	"trim":                    pureArg(0, strings.TrimSpace),
	"ltrim":                   pureArg(0, func(s string) string { return strings.TrimLeft(s, " \t\n\r\x00\x0b") }),
	"rtrim":                   pureArg(0, func(s string) string { return strings.TrimRight(s, " \t\n\r\x00\x0b") }),
	"stripslashes":            pureArg(0, func(s string) string { return strings.ReplaceAll(s, `\`, "") }),
	"strval":                  pureArg(0, func(s string) string { return s }),
	"html_entity_decode":      pureArg(0, htmlDecode),
	"htmlspecialchars_decode": pureArg(0, htmlDecode),
	"str_replace":             foldArrReplace,
	"str_ireplace":            foldArrReplace,
	"substr":                  foldSubstr,
	"strtr":                   foldStrtr,
	"str_repeat":              foldRepeat,
	"implode":                 foldImplode,
	"join":                    foldImplode,
	"sprintf":                 foldSprintf,
	"pack":                    func(a []string) (string, bool) { return foldPack(a[0], a[1:]) },
	"array":                   foldArray,
	"md5":                     pureArg(0, func(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }),
	"sha1":                    pureArg(0, func(s string) string { return fmt.Sprintf("%x", sha1.Sum([]byte(s))) }),
	"base64_encode":           pureArg(0, func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }),
	"bin2hex":                 pureArg(0, func(s string) string { return fmt.Sprintf("%x", s) }),
	"strlen":                  pureArg(0, func(s string) string { return strconv.Itoa(len(s)) }),
	"ord": foldArg(0, func(s string) (string, bool) {
		if s == "" {
			return "0", true
		}
		return strconv.Itoa(int(s[0])), true
	}),
}

// Arrays folded as strings: arrMark, then the elements separated by NUL.
const arrMark = "\x00\x01arr\x00"

func foldArray(a []string) (string, bool) {
	for _, e := range a {
		if strings.Contains(e, "\x00") {
			return "", false
		}
	}
	return arrMark + strings.Join(a, "\x00"), true
}

func arrElems(s string) ([]string, bool) {
	if !strings.HasPrefix(s, arrMark) {
		return nil, false
	}
	return strings.Split(s[len(arrMark):], "\x00"), true
}

func foldImplode(a []string) (string, bool) {
	if len(a) == 1 {
		el, ok := arrElems(a[0])
		return strings.Join(el, ""), ok
	}
	if len(a) != 2 {
		return "", false
	}
	if el, ok := arrElems(a[1]); ok {
		return strings.Join(el, a[0]), true
	}
	if el, ok := arrElems(a[0]); ok {
		return strings.Join(el, a[1]), true
	}
	return "", false
}

func foldArrReplace(a []string) (string, bool) {
	if len(a) < 3 {
		return "", false
	}
	search, sArr := arrElems(a[0])
	repl, rArr := arrElems(a[1])
	if !sArr {
		search = []string{a[0]}
	}
	s := a[2]
	for i, x := range search {
		if x == "" {
			continue
		}
		r := a[1]
		if rArr {
			r = ""
			if i < len(repl) {
				r = repl[i]
			}
		}
		s = strings.ReplaceAll(s, x, r)
	}
	return s, true
}

func foldSprintf(a []string) (string, bool) {
	if len(a) == 0 {
		return "", false
	}
	var b strings.Builder
	f, n := a[0], 1
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case '%':
			b.WriteByte('%')
		case 's', 'd':
			if n >= len(a) {
				return "", false
			}
			b.WriteString(a[n])
			n++
		case 'c':
			if n >= len(a) {
				return "", false
			}
			c, ok := parseNum(a[n])
			if !ok {
				return "", false
			}
			b.WriteByte(byte(c))
			n++
		default:
			return "", false
		}
	}
	return b.String(), true
}

// phpDBMakers are the calls and classes that give a database handle.
var phpDBMakers = set("mysqli", "pdo", "sqlite3", "mysqli_connect", "mysql_connect", "mysql_pconnect", "pg_connect",
	"sqlite_open", "mssql_connect", "sqlsrv_connect", "oci_connect", "odbc_connect", "mysqli_init", "adonewconnection",
	"newadoconnection", "db", "database", "connection", "getconnection", "dbconnect", "db_connect", "connect")

// dbHandle reports whether a method's receiver looks like a database handle: named like one
// ($db, $conn, $link, $pdo, $mysqli, $dbh, $this->db), or a variable assigned one (new mysqli,
// new PDO, mysqli_connect, ...).
func (u *unit) dbHandle(c *call) bool {
	for k := c.recvLo; k < c.at && k < len(u.t); k++ {
		t := &u.t[k]
		if t.k != tkVar && t.k != tkIdent {
			continue
		}
		if dbName(t.lc) || phpDBMakers[t.lc] {
			return true
		}
		if t.k == tkVar {
			key := u.varKey(k, t.lc)
			for _, a := range u.asg {
				if len(a.lhs) != 1 || a.lhs[0] != key {
					continue
				}
				for j := a.lo; j < a.hi && j < a.lo+12; j++ {
					if (u.t[j].k == tkIdent || u.t[j].k == tkVar) && (phpDBMakers[u.t[j].lc] || dbName(u.t[j].lc)) {
						return true
					}
				}
			}
		}
	}
	return false
}

func dbName(n string) bool {
	for _, part := range strings.FieldsFunc(n, func(r rune) bool { return r == '_' || r == '-' || r == '>' || r == ':' }) {
		for _, w := range []string{"db", "conn", "link", "pdo", "sql", "mysql", "database", "adodb", "oci"} {
			if strings.HasPrefix(part, w) || strings.HasSuffix(part, w) || strings.HasSuffix(part, "dbh") {
				return true
			}
		}
	}
	return false
}

// remoteURL reports a URL of a remote host (http, https, ftp).
func remoteURL(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "ftp://")
}

// phpConstKey names the variable a define()d constant is kept in.
func phpConstKey(name string) string { return "\x02" + name }

// comShell reports a method called on Windows' shell object (new COM('WScript.Shell')).
func (u *unit) comShell(c *call) bool {
	for k := c.recvLo; k < c.at && k < len(u.t); k++ {
		if u.t[k].k != tkVar {
			continue
		}
		key := u.varKey(k, u.t[k].lc)
		for _, a := range u.asg {
			if len(a.lhs) != 1 || a.lhs[0] != key {
				continue
			}
			for j := a.lo; j+2 < a.hi && j < a.lo+6; j++ {
				if u.isIdent(j, "com") && u.isOp(j+1, "(") {
					if s, _, ok := u.fold(j+2, u.closeOf(j+1)); ok {
						l := strings.ToLower(s)
						return l == "wscript.shell" || l == "shell.application"
					}
				}
			}
		}
	}
	return false
}

// phpNoLetters: code written without letters ($_, $__, $___ built from "Array", ++ and xor
// into function names, then called): no one writes a program that way but to hide it.
func phpNoLetters(u *unit) {
	blank, calls := 0, 0
	for i := range u.t {
		t := &u.t[i]
		if t.k == tkVar && strings.Trim(t.s, "_") == "" {
			blank++
		}
	}
	if blank < 10 {
		return
	}
	for ci := range u.calls {
		c := &u.calls[ci]
		if c.kind == cVar && !c.method && strings.Trim(u.t[c.at].s, "_") == "" {
			calls++
			if calls == 1 {
				u.an.add("obf.no-letters", wDynamicCall, u.evidence(c.at, c.close+1))
			}
		}
	}
}
