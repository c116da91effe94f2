package rotate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/nowwhat/nowwhat/internal/detect/secrets"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// dbTarget is how to reach one database account on this host.
type dbTarget struct {
	Engine   string
	User     string
	Database string
	Net      string // "unix" or "tcp"
	Addr     string // socket path, or host:port (MySQL); socket folder or host (PostgreSQL)
	Port     string // PostgreSQL
}

func (t dbTarget) String() string {
	return fmt.Sprintf("%s user %s over %s %s", t.Engine, t.User, t.Net, t.Addr)
}

// target finds where to reach an item's database: the socket the config names, else the
// distribution's socket; only on the live host or where the operator said (DBAccess).
func target(ref *secrets.DBRef, acc DBAccess, live bool) (dbTarget, error) {
	t := dbTarget{Engine: ref.Engine, User: ref.User, Database: ref.Database}
	if !ref.Local() {
		return t, fmt.Errorf("the database is on %s, not on this host: rotate it there", ref.Host)
	}
	switch ref.Engine {
	case "mysql":
		sock := acc.MySQLSocket
		if sock == "" && live {
			sock = ref.Socket
			if sock == "" && strings.HasPrefix(ref.Host, "/") {
				sock = ref.Host
			}
			if sock == "" && (ref.Host == "127.0.0.1" || ref.Host == "::1") {
				port := ref.Port
				if port == "" {
					port = "3306"
				}
				t.Net, t.Addr = "tcp", net.JoinHostPort(ref.Host, port)
				return t, nil
			}
			if sock == "" {
				sock = "/run/mysqld/mysqld.sock"
			}
		}
		if sock == "" {
			return t, errors.New("the database server runs on the examined host: run rotate on the host itself, or give --mysql-socket")
		}
		t.Net, t.Addr = "unix", sock
	case "postgresql":
		dir := acc.PGSocketDir
		t.Port = acc.PGPort
		if dir == "" && live {
			dir = "/var/run/postgresql"
			if strings.HasPrefix(ref.Host, "/") {
				dir = ref.Host
			}
			if t.Port == "" {
				t.Port = ref.Port
			}
		}
		if dir == "" {
			return t, errors.New("the database server runs on the examined host: run rotate on the host itself, or give --pg-socket-dir")
		}
		if t.Port == "" {
			t.Port = "5432"
		}
		t.Net, t.Addr = "unix", dir
		if t.Database == "" {
			t.Database = "postgres"
		}
	default:
		return t, fmt.Errorf("%s databases are not rotated by nowwhat", ref.Engine)
	}
	return t, nil
}

// errAuth marks a login refused for its credentials (the proof an old password is dead).
var errAuth = errors.New("login refused")

// login opens a connection with a password; a refusal for bad credentials wraps errAuth.
func login(ctx context.Context, t dbTarget, password string) (func(), func(ctx context.Context, stmt string) error, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch t.Engine {
	case "mysql":
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = t.User, password, t.Net, t.Addr, ""
		cfg.Timeout = 10 * time.Second
		cfg.AllowNativePasswords = true
		cfg.AllowCleartextPasswords = false
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, nil, err
		}
		db := sql.OpenDB(conn)
		db.SetMaxOpenConns(1)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			var me *mysql.MySQLError
			if errors.As(err, &me) && (me.Number == 1045 || me.Number == 1698) {
				return nil, nil, fmt.Errorf("%w: %s", errAuth, me.Message)
			}
			return nil, nil, err
		}
		return func() { db.Close() }, func(ctx context.Context, stmt string) error { _, err := db.ExecContext(ctx, stmt); return err }, nil
	case "postgresql":
		cfg, err := pgx.ParseConfig("")
		if err != nil {
			return nil, nil, err
		}
		cfg.Host, cfg.User, cfg.Password, cfg.Database = t.Addr, t.User, password, t.Database
		fmt.Sscanf(t.Port, "%d", &cfg.Port)
		cfg.ConnectTimeout = 10 * time.Second
		cfg.Fallbacks = nil
		cfg.TLSConfig = nil
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			if strings.Contains(err.Error(), "SQLSTATE 28P01") || strings.Contains(err.Error(), "SQLSTATE 28000") || strings.Contains(err.Error(), "password authentication failed") {
				return nil, nil, fmt.Errorf("%w: password authentication failed", errAuth)
			}
			return nil, nil, err
		}
		return func() { conn.Close(context.Background()) }, func(ctx context.Context, stmt string) error { _, err := conn.Exec(ctx, stmt); return err }, nil
	}
	return nil, nil, fmt.Errorf("engine %s", t.Engine)
}

var safePassword = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// setPassword changes the logged-in account's own password (no administrator needed: the
// application's account sets its own).
func setPassword(ctx context.Context, t dbTarget, old, nw string) error {
	if !safePassword.MatchString(nw) {
		return errors.New("internal: new password not alphanumeric")
	}
	closeFn, exec, err := login(ctx, t, old)
	if err != nil {
		return fmt.Errorf("log in to %s with the password in the configuration: %w", t, err)
	}
	defer closeFn()
	// MariaDB lets an account change its own password with SET PASSWORD (ALTER USER needs the
	// CREATE USER privilege there); MySQL 8 dropped PASSWORD() but takes the plain form.
	stmts := []string{"SET PASSWORD = PASSWORD('" + nw + "')", "SET PASSWORD = '" + nw + "'", "ALTER USER CURRENT_USER() IDENTIFIED BY '" + nw + "'"}
	if t.Engine == "postgresql" {
		stmts = []string{"ALTER ROLE CURRENT_USER PASSWORD '" + nw + "'"}
	}
	var first error
	for _, stmt := range stmts {
		err := exec(ctx, stmt)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return fmt.Errorf("set the new password for %s: %w", t, first)
}

// proveDead tries the old password, a wrong one and the new one: the old must be refused, the
// wrong one too (else the server does not check passwords on this path and nothing is proven),
// the new one must log in.
func proveDead(ctx context.Context, t dbTarget, old, nw string) (dead bool, evidence []string) {
	if nw != "" {
		if c, _, err := login(ctx, t, nw); err == nil {
			c()
			evidence = append(evidence, "the new password logs in to "+t.String())
		} else {
			evidence = append(evidence, "the new password does NOT log in to "+t.String()+": "+err.Error())
		}
	}
	if c, _, err := login(ctx, t, "nowwhat-wrong-"+randomString(12, alnum)); err == nil {
		c()
		return false, append(evidence, "could not verify: "+t.String()+" let a wrong password in (trust or peer authentication on this path)")
	}
	c, _, err := login(ctx, t, old)
	switch {
	case err == nil:
		c()
		return false, append(evidence, "the OLD password still logs in to "+t.String())
	case errors.Is(err, errAuth):
		return true, append(evidence, "the old password is refused by "+t.String()+" ("+err.Error()+")")
	}
	return false, append(evidence, "could not verify the old password: "+err.Error())
}

// dbAction sets a new password for one database account and writes it into every file that
// held the old one, in one step; a failure puts the old password back.
type dbAction struct {
	T        dbTarget
	Items    []string
	Edits    []edit // where the password is written
	old, nw  string
	c        *Case
	recips   []age.Recipient
	id       string
	Evidence []string
}

type edit struct {
	File string
	Line int
}

func (a *dbAction) Kind() string   { return "rotate-db-password" }
func (a *dbAction) Target() string { return a.T.Engine + ":" + a.T.User }

func (a *dbAction) Prepare(env *contain.Env) (*contain.Plan, error) {
	a.id = stamp(time.Now())
	p := &contain.Plan{What: []string{"a new password for " + a.T.String() + ", set by the account itself (ALTER USER/ROLE over the socket)"}}
	var files, backups []string
	for i, e := range a.Edits {
		data, err := env.FS.ReadFile(e.File, 16<<20)
		if err != nil {
			return nil, err
		}
		if _, err := replaceOnLine(string(data), e.Line, a.old, a.nw); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", e.File, e.Line, err)
		}
		p.What = append(p.What, fmt.Sprintf("the new password into %s line %d", e.File, e.Line))
		files = append(files, e.File)
		backups = append(backups, a.c.path(fmt.Sprintf("backup-%s-%d-%s.age", a.id, i, baseName(e.File))))
	}
	p.Undo = backupUndo{Items: a.Items, Files: files, Backups: backups}
	p.UndoHow = "the old files are kept only encrypted to you; the old password is not set back (it was leaked)"
	p.Warn = []string{"the application reconnects with the new password on its next connection; long-lived connection pools keep working until they reconnect"}
	return p, nil
}

// replaceOnLine swaps the old value for the new one on one line of a text.
func replaceOnLine(text string, line int, old, nw string) (string, error) {
	ls := strings.Split(text, "\n")
	if line < 1 || line > len(ls) {
		return "", errors.New("the line is gone: plan again")
	}
	if old == "" || !strings.Contains(ls[line-1], old) {
		return "", errors.New("the password is not written as is on this line (escaped, or changed since the plan): change it by hand")
	}
	ls[line-1] = strings.ReplaceAll(ls[line-1], old, nw)
	return strings.Join(ls, "\n"), nil
}

func (a *dbAction) Apply(env *contain.Env, p *contain.Plan) error {
	ctx := context.Background()
	u := p.Undo.(backupUndo)
	if _, err := backup(env, a.c, a.recips, a.id, u.Files); err != nil {
		return err
	}
	if err := setPassword(ctx, a.T, a.old, a.nw); err != nil {
		return err
	}
	written := []edit{}
	restore := func(cause error) error {
		for _, e := range written {
			if data, err := env.FS.ReadFile(e.File, 16<<20); err == nil {
				if back, err := replaceOnLine(string(data), e.Line, a.nw, a.old); err == nil {
					st, _ := env.FS.Lstat(e.File)
					contain.WriteFile(env, e.File, []byte(back), st.Mode.Perm(), int(st.UID), int(st.GID))
				}
			}
		}
		if err := setPassword(ctx, a.T, a.nw, a.old); err != nil {
			return fmt.Errorf("%w; and the old password could not be set back (%v): the new one is in the encrypted file", cause, err)
		}
		return fmt.Errorf("%w (the old password was set back, so the application keeps working)", cause)
	}
	for _, e := range a.Edits {
		data, err := env.FS.ReadFile(e.File, 16<<20)
		if err != nil {
			return restore(err)
		}
		out, err := replaceOnLine(string(data), e.Line, a.old, a.nw)
		if err != nil {
			return restore(fmt.Errorf("%s: %w", e.File, err))
		}
		st, err := env.FS.Lstat(e.File)
		if err != nil {
			return restore(err)
		}
		if err := contain.WriteFile(env, e.File, []byte(out), st.Mode.Perm(), int(st.UID), int(st.GID)); err != nil {
			return restore(err)
		}
		written = append(written, e)
	}
	_, a.Evidence = proveDead(ctx, a.T, a.old, a.nw)
	return nil
}

// sealedPath is where a case keeps an encrypted file (for messages).
func sealedPath(c *Case, name string) string { return filepath.Join(c.Dir, stateDir, name) }

var _ = os.Getpid
