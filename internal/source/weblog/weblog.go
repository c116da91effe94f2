// Package weblog reads the logs of a host's web servers (nginx and Apache access and error logs,
// PHP-FPM and PHP error logs, current, rotated and compressed) and recognises attacks in the
// requests: SQL injection, path traversal, command injection, file inclusion, Log4Shell,
// Shellshock, known CVE and worm probes, web shell access, scanners, proxy abuse and more, each
// hit with a stable rule id, a severity and MITRE ATT&CK techniques. A Tracker follows requests in
// time order to tell an upload followed by a request to the uploaded script, and when a path was
// first requested (the first request to a web shell found on disk is a strong clue to the way in).
//
// The parsers are hand-written byte scanners: one allocation per line, no regular expressions on
// the hot path, memory bounded whatever the input (lines are capped, the path table is capped).
// Access log lines carry their own time zone; error logs are written in the host's local time,
// which Reader.Location gives.
package weblog

import "time"

// Request is one line of an access log.
type Request struct {
	Time      time.Time // UTC
	Client    string    // remote address as logged (IPv4, IPv6 or a host name)
	VHost     string    // virtual host, without port, for the vhost formats; "" otherwise
	User      string    // authenticated user ("" for "-")
	Method    string    // "GET", ...; "" when the request line was empty, "-" or not HTTP
	Target    string    // request target as sent (escapes of the log undone, URL encoding kept)
	Path      string    // URL-decoded path of Target, without the query
	Query     string    // raw query (after "?"), URL encoding kept
	Proto     string    // "HTTP/1.1", ...; "" when missing
	Status    int       // response status
	Bytes     int64     // response size (0 for "-")
	Referer   string    // "" for "-"
	UserAgent string    // "" for "-"
	File      string    // host path of the log
	Line      int       // line number in File, from 1
}

// ErrorEvent is one line of an error log (nginx, Apache, PHP-FPM or PHP).
type ErrorEvent struct {
	Time    time.Time // UTC (the log's local stamps read in Reader.Location)
	Server  string    // "nginx", "apache" or "php-fpm" (PHP error logs too)
	Level   string    // lower case: "error", "warn", "notice", "crit", "warning", "fatal error", ...
	Client  string    // client address without port, when the line names one
	Message string    // the message, without the trailing client/server/request fields of nginx
	Request string    // the request line, when the line names one (nginx)
	Host    string    // the Host header or server name, when the line names one (nginx)
	File    string    // host path of the log
	Line    int       // line number in File, from 1
}

// Kinds of log files.
const (
	KindAccess = "access"
	KindError  = "error"
	KindFPM    = "fpm"
)

// Servers that write the logs.
const (
	ServerNginx  = "nginx"
	ServerApache = "apache"
	ServerFPM    = "php-fpm"
)
