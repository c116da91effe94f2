// Package snapshot holds the record of a host's state at one moment: the typed records
// (files, accounts, SSH keys, jobs, services, packages, processes, ...) and the file that keeps
// them, one SQLite database per snapshot, so users can query it with sqlite3 the way osquery
// users do. A snapshot is written once, atomically, and read only after its seal was verified
// (package seal).
package snapshot

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Format names the file format, stored in the meta table; Version changes when the schema does.
const (
	Format  = "nowwhat-snapshot"
	Version = 1
)

// table describes how one record type is stored.
type table struct {
	name    string
	typ     reflect.Type
	cols    []string
	keys    []string
	fields  []int
	kinds   []reflect.Kind
	insert  string
	create  string
	indexes []string
}

// tableDefs are the record tables of a snapshot, in their stable order: the one list a new
// table is added to (with its record type in records.go).
var tableDefs = []struct {
	typ  reflect.Type
	name string
}{
	{reflect.TypeFor[File](), "files"},
	{reflect.TypeFor[Content](), "contents"},
	{reflect.TypeFor[User](), "users"},
	{reflect.TypeFor[Group](), "groups"},
	{reflect.TypeFor[SudoRule](), "sudoers"},
	{reflect.TypeFor[SSHOption](), "ssh_options"},
	{reflect.TypeFor[SSHKey](), "ssh_keys"},
	{reflect.TypeFor[Job](), "jobs"},
	{reflect.TypeFor[Service](), "services"},
	{reflect.TypeFor[Module](), "kernel_modules"},
	{reflect.TypeFor[Hook](), "hooks"},
	{reflect.TypeFor[Package](), "packages"},
	{reflect.TypeFor[PackageFile](), "package_files"},
	{reflect.TypeFor[Process](), "processes"},
	{reflect.TypeFor[Socket](), "sockets"},
	{reflect.TypeFor[Mount](), "mounts"},
	{reflect.TypeFor[Indicator](), "indicators"},
	{reflect.TypeFor[Event](), "events"},
	{reflect.TypeFor[Session](), "sessions"},
	{reflect.TypeFor[Burst](), "login_bursts"},
	{reflect.TypeFor[Problem](), "problems"},
}

var (
	tablesOnce sync.Once
	tables     map[reflect.Type]*table
	tableList  []*table
)

func allTables() map[reflect.Type]*table {
	tablesOnce.Do(func() {
		tables = map[reflect.Type]*table{}
		for _, d := range tableDefs {
			typ, name := d.typ, d.name
			t := &table{name: name, typ: typ}
			var defs []string
			for i := 0; i < typ.NumField(); i++ {
				f := typ.Field(i)
				tag := f.Tag.Get("db")
				if tag == "" {
					continue
				}
				col, opt, _ := strings.Cut(tag, ",")
				t.cols = append(t.cols, col)
				t.fields = append(t.fields, i)
				t.kinds = append(t.kinds, f.Type.Kind())
				if opt == "key" {
					t.keys = append(t.keys, col)
				}
				sqlType := "INTEGER"
				if f.Type.Kind() == reflect.String {
					sqlType = "TEXT"
				}
				defs = append(defs, col+" "+sqlType+" NOT NULL")
			}
			t.create = fmt.Sprintf("CREATE TABLE %s (%s)", name, strings.Join(defs, ", "))
			ph := strings.TrimSuffix(strings.Repeat("?,", len(t.cols)), ",")
			t.insert = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", name, strings.Join(t.cols, ","), ph)
			if len(t.keys) > 0 {
				t.indexes = append(t.indexes, fmt.Sprintf("CREATE INDEX %s_key ON %s (%s)", name, name, strings.Join(t.keys, ",")))
			}
			tables[typ] = t
			tableList = append(tableList, t)
		}
	})
	return tables
}

// TableNames lists the record tables of a snapshot in a stable order.
func TableNames() []string {
	out := make([]string, len(tableDefs))
	for i, d := range tableDefs {
		out[i] = d.name
	}
	return out
}

func tableOf(v any) (*table, reflect.Value, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	t, ok := allTables()[rv.Type()]
	if !ok {
		return nil, rv, fmt.Errorf("snapshot: %s is not a record type", rv.Type())
	}
	return t, rv, nil
}

func (t *table) values(rv reflect.Value) []any {
	out := make([]any, len(t.fields))
	for i, fi := range t.fields {
		f := rv.Field(fi)
		switch t.kinds[i] {
		case reflect.String:
			out[i] = f.String()
		case reflect.Bool:
			if f.Bool() {
				out[i] = int64(1)
			} else {
				out[i] = int64(0)
			}
		case reflect.Int, reflect.Int64, reflect.Int32:
			out[i] = f.Int()
		case reflect.Uint32, reflect.Uint64, reflect.Uint:
			out[i] = int64(f.Uint())
		}
	}
	return out
}

// set stores scanned column values into the fields of rv.
func (t *table) set(rv reflect.Value, vals []any) {
	for i, fi := range t.fields {
		f := rv.Field(fi)
		v := vals[i]
		switch t.kinds[i] {
		case reflect.String:
			switch s := v.(type) {
			case string:
				f.SetString(s)
			case []byte:
				f.SetString(string(s))
			}
		case reflect.Bool:
			n, _ := v.(int64)
			f.SetBool(n != 0)
		case reflect.Int, reflect.Int64, reflect.Int32:
			n, _ := v.(int64)
			f.SetInt(n)
		case reflect.Uint32, reflect.Uint64, reflect.Uint:
			n, _ := v.(int64)
			f.SetUint(uint64(n))
		}
	}
}
