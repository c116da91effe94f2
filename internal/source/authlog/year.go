package authlog

import "github.com/nowwhat/nowwhat/internal/source/logfile"

// The year of traditional stamps is worked out by package logfile (see its year.go).
type (
	stamp      = logfile.Stamp
	yearCursor = logfile.YearCursor
)

var (
	stampOf   = logfile.StampOf
	firstYear = logfile.FirstYear
	clampYear = logfile.ClampYear
	yearOfEnd = logfile.YearOfEnd
)

var monthLen = logfile.MonthLen

const (
	daySecs    = logfile.DaySecs
	yearSpan   = logfile.YearSpan
	boundSlack = logfile.BoundSlack
)
